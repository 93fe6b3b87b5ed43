/**
 * Euclidean clustering of a sweep's non-ground points in the ground plane: two points belong to
 * one object when a chain of points links them with no step longer than `eps`. Points are binned
 * into a grid of cells eps/√2 across, over their bounding box (a 160 m sweep at eps 1 m is 51,000
 * cells, 200 kB). Any two points of one cell are within eps, so a cell is one piece; union–find
 * then joins cells, each with the 20 around it that can hold a point within eps (the 5 × 5 block
 * less its corners), and two cells already joined are never compared again. Dense returns (a
 * wall, a near car) thus cost a few cell lookups per cell, not a comparison per pair of points:
 * linear in the points, never all pairs.
 *
 * `eps` must exceed the spacing of neighbouring returns on one object at the farthest range of
 * interest: range · azimuth step (80 m · 0.5° = 0.7 m), or objects fall apart into pieces.
 *
 * Clusters are stored struct-of-arrays in buffers reused from sweep to sweep; `toList()` copies
 * them out as plain objects for code that keeps them.
 */
import type { LidarPoints } from './lidarPoints.ts';

export interface ClusterOptions {
  /** Largest gap between neighbouring points of one object [m] */
  eps: number;
  /** Fewer points than this are noise, not an object */
  minPoints: number;
}

export const DEFAULT_CLUSTERS: ClusterOptions = { eps: 1, minPoints: 2 };

/** One cluster as a plain object [m] */
export interface LidarCluster {
  points: number;
  /** Mean of the points, ego frame (x forward, y left, z up) */
  egoCentroid: [number, number, number];
  /** Ego-frame bounding box of the points: lowest and highest corner */
  egoMin: [number, number, number];
  egoMax: [number, number, number];
  /** Mean of the points in the world (ground x, y and height z) */
  worldCentroid: [number, number, number];
}

/** Most cells of the grid: 64 MB of it */
const MAX_GRID = 1 << 24;

export class LidarClusters {
  count = 0;
  /** [count] points in each cluster */
  size = new Int32Array(0);
  /** [count × 3] ego-frame centroid, lowest and highest corner; world centroid */
  egoCentroid = new Float64Array(0);
  egoMin = new Float64Array(0);
  egoMax = new Float64Array(0);
  worldCentroid = new Float64Array(0);
  /** Cluster k's point indices are members[start[k] … start[k + 1]) */
  start = new Int32Array(1);
  members = new Int32Array(0);
  /** [points] the cluster of each point, or −1 for noise */
  clusterOf = new Int32Array(0);

  // Scratch, per point: its cell and the next point in that cell; per cell: its place in the grid,
  // first point and union–find parent; the grid itself, of cell numbers (−1 where empty).
  private cellOf = new Int32Array(0);
  private next = new Int32Array(0);
  private cellAt = new Int32Array(0);
  private head = new Int32Array(0);
  private parent = new Int32Array(0);
  private grid = new Int32Array(0);
  /** Cells in use */
  private cells = 0;

  private find(c: number): number {
    const p = this.parent;
    while (p[c] !== c) {
      p[c] = p[p[c]];
      c = p[c];
    }
    return c;
  }

  /** Whether some point of cell a is within √eps2 of some point of cell b */
  private near(a: number, b: number, P: Float64Array, eps2: number): boolean {
    for (let i = this.head[a]; i >= 0; i = this.next[i]) {
      const x = P[i * 3], y = P[i * 3 + 1];
      for (let j = this.head[b]; j >= 0; j = this.next[j]) {
        const dx = P[j * 3] - x, dy = P[j * 3 + 1] - y;
        if (dx * dx + dy * dy <= eps2) return true;
      }
    }
    return false;
  }

  /** Clusters the points of one sweep. */
  compute(points: LidarPoints, options: ClusterOptions = DEFAULT_CLUSTERS): this {
    const n = points.count, P = points.ego, W = points.world, eps2 = options.eps * options.eps, side = options.eps / Math.SQRT2;
    this.reserve(n);
    // The grid spans the points' bounding box, with a margin of two cells for the neighbourhood.
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = P[i * 3], y = P[i * 3 + 1];
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    const nx = Math.floor((x1 - x0) / side) + 5, ny = Math.floor((y1 - y0) / side) + 5;
    if (n > 0 && nx * ny > MAX_GRID) throw new Error(`lidar clusters: points spread over ${(x1 - x0).toFixed(0)} × ${(y1 - y0).toFixed(0)} m need ${nx * ny} cells of ${side.toFixed(2)} m; expected at most ${MAX_GRID}: raise eps`);
    if (n > 0 && this.grid.length < nx * ny) this.grid = new Int32Array(Math.max(nx * ny, 2 * this.grid.length)).fill(-1);
    const grid = this.grid, cellOf = this.cellOf, next = this.next, head = this.head, parent = this.parent, cellAt = this.cellAt;
    let cells = 0;
    // Points are pushed onto their cell's list from the last, so each list runs in increasing order.
    for (let i = n - 1; i >= 0; i--) {
      const g = (Math.floor((P[i * 3 + 1] - y0) / side) + 2) * nx + Math.floor((P[i * 3] - x0) / side) + 2;
      let c = grid[g];
      if (c < 0) {
        c = grid[g] = cells++;
        cellAt[c] = g;
        head[c] = -1;
        parent[c] = c;
      }
      cellOf[i] = c;
      next[i] = head[c];
      head[c] = i;
    }
    for (let a = 0; a < cells; a++) {
      const g = cellAt[a];
      // Half of the neighbourhood, each pair of cells once; corner cells are more than eps away.
      for (let dy = 0; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) {
        if ((dy === 0 && dx <= 0) || (dy === 2 && (dx === 2 || dx === -2))) continue;
        const b = grid[g + dy * nx + dx];
        if (b < 0) continue;
        const ra = this.find(a), rb = this.find(b);
        if (ra !== rb && this.near(a, b, P, eps2)) parent[Math.max(ra, rb)] = Math.min(ra, rb);
      }
    }
    // The grid is left empty for the next sweep.
    for (let a = 0; a < cells; a++) grid[cellAt[a]] = -1;
    this.cells = cells;
    // Clusters are numbered in order of their first point; `renumber` maps a root cell to its cluster.
    const clusterOf = this.clusterOf, size = this.size, renumber = this.cellAt;
    renumber.fill(-1, 0, this.cells);
    let count = 0;
    for (let i = 0; i < n; i++) {
      const r = this.find(cellOf[i]);
      if (renumber[r] < 0) renumber[r] = count++;
      clusterOf[i] = renumber[r];
    }
    size.fill(0, 0, count);
    for (let i = 0; i < n; i++) size[clusterOf[i]]++;
    // Small clusters are noise; the rest are renumbered densely.
    const keep = this.next;
    let kept = 0;
    for (let k = 0; k < count; k++) keep[k] = size[k] >= options.minPoints ? kept++ : -1;
    for (let i = 0; i < n; i++) clusterOf[i] = keep[clusterOf[i]];
    this.count = kept;
    this.reserveClusters(kept);
    const start = this.start, members = this.members, c = this.egoCentroid, lo = this.egoMin, hi = this.egoMax, wc = this.worldCentroid;
    start.fill(0, 0, kept + 1);
    for (let i = 0; i < n; i++) if (clusterOf[i] >= 0) start[clusterOf[i] + 1]++;
    for (let k = 0; k < kept; k++) start[k + 1] += start[k];
    c.fill(0, 0, kept * 3);
    wc.fill(0, 0, kept * 3);
    lo.fill(Infinity, 0, kept * 3);
    hi.fill(-Infinity, 0, kept * 3);
    const fill = this.size;
    fill.fill(0, 0, kept);
    for (let i = 0; i < n; i++) {
      const k = clusterOf[i];
      if (k < 0) continue;
      members[start[k] + fill[k]++] = i;
      const p = i * 3, q = k * 3, x = P[p], y = P[p + 1], z = P[p + 2];
      c[q] += x; c[q + 1] += y; c[q + 2] += z;
      wc[q] += W[p]; wc[q + 1] += W[p + 1]; wc[q + 2] += W[p + 2];
      if (x < lo[q]) lo[q] = x;
      if (x > hi[q]) hi[q] = x;
      if (y < lo[q + 1]) lo[q + 1] = y;
      if (y > hi[q + 1]) hi[q + 1] = y;
      if (z < lo[q + 2]) lo[q + 2] = z;
      if (z > hi[q + 2]) hi[q + 2] = z;
    }
    for (let q = 0; q < kept * 3; q++) {
      const m = fill[(q / 3) | 0];
      c[q] /= m;
      wc[q] /= m;
    }
    return this;
  }

  /** The clusters as plain objects (a fresh copy) */
  toList(): LidarCluster[] {
    const out: LidarCluster[] = [];
    const three = (a: Float64Array, k: number): [number, number, number] => [a[k * 3], a[k * 3 + 1], a[k * 3 + 2]];
    for (let k = 0; k < this.count; k++) {
      out.push({ points: this.size[k], egoCentroid: three(this.egoCentroid, k), egoMin: three(this.egoMin, k), egoMax: three(this.egoMax, k), worldCentroid: three(this.worldCentroid, k) });
    }
    return out;
  }

  private reserve(n: number): void {
    if (this.cellOf.length < n) {
      const cap = Math.max(n, 2 * this.cellOf.length);
      for (const k of ['cellOf', 'next', 'cellAt', 'head', 'parent', 'clusterOf', 'members', 'size'] as const) this[k] = new Int32Array(cap);
    }
  }

  private reserveClusters(k: number): void {
    if (this.start.length < k + 1) {
      const cap = Math.max(k, 2 * (this.start.length - 1));
      this.start = new Int32Array(cap + 1);
      this.egoCentroid = new Float64Array(cap * 3);
      this.egoMin = new Float64Array(cap * 3);
      this.egoMax = new Float64Array(cap * 3);
      this.worldCentroid = new Float64Array(cap * 3);
    }
  }
}
