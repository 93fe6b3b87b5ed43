/**
 * Euclidean clustering of a sweep's non-ground points in the ground plane: two points belong to
 * one object when a chain of points links them with no step longer than `eps`. Points are binned
 * into a grid of `eps`-sized cells (a hash table of cells, so the grid has no bounds), and each
 * point is compared only with the points of its own and the 8 neighbouring cells, merged by
 * union–find: linear in the points for objects of bounded density, never all pairs.
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

/** Cell coordinates packed into one int: 16 bits each, so the grid wraps only 32768 cells out. */
const cellKey = (ix: number, iy: number) => ((ix & 0xffff) << 16) | (iy & 0xffff);

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

  // Scratch: union–find parents, the grid's hash table (cell keys and first points), and each point's next point in its cell.
  private parent = new Int32Array(0);
  private next = new Int32Array(0);
  private cellX = new Int32Array(0);
  private cellY = new Int32Array(0);
  private tableKey = new Int32Array(0);
  private tableHead = new Int32Array(0);

  private find(i: number): number {
    const p = this.parent;
    while (p[i] !== i) {
      p[i] = p[p[i]];
      i = p[i];
    }
    return i;
  }

  /** Slot of cell (ix, iy) in the hash table: its own, or the empty one where it would go */
  private slot(key: number): number {
    const mask = this.tableKey.length - 1;
    let h = Math.imul(key, 0x9e3779b1) >>> 0;
    for (;;) {
      const s = h & mask;
      if (this.tableHead[s] < 0 || this.tableKey[s] === key) return s;
      h++;
    }
  }

  /** Clusters the points of one sweep. */
  compute(points: LidarPoints, options: ClusterOptions = DEFAULT_CLUSTERS): this {
    const n = points.count, P = points.ego, W = points.world, eps = options.eps, eps2 = eps * eps;
    this.reserve(n);
    const parent = this.parent, next = this.next, cellX = this.cellX, cellY = this.cellY, head = this.tableHead, keys = this.tableKey;
    head.fill(-1, 0, head.length);
    for (let i = 0; i < n; i++) {
      parent[i] = i;
      const ix = Math.floor(P[i * 3] / eps), iy = Math.floor(P[i * 3 + 1] / eps);
      cellX[i] = ix;
      cellY[i] = iy;
      const key = cellKey(ix, iy), s = this.slot(key);
      keys[s] = key;
      next[i] = head[s];
      head[s] = i;
    }
    for (let i = 0; i < n; i++) {
      const x = P[i * 3], y = P[i * 3 + 1];
      for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) {
        for (let j = head[this.slot(cellKey(cellX[i] + dx, cellY[i] + dy))]; j >= 0; j = next[j]) {
          // Each pair once; pairs already joined skip the distance.
          if (j >= i) continue;
          const ri = this.find(i), rj = this.find(j);
          if (ri === rj) continue;
          const ex = P[j * 3] - x, ey = P[j * 3 + 1] - y;
          if (ex * ex + ey * ey <= eps2) parent[ri < rj ? rj : ri] = ri < rj ? ri : rj;
        }
      }
    }
    // Roots are the lowest index of their cluster, so clusters come in order of their first point.
    const clusterOf = this.clusterOf, size = this.size;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const r = this.find(i);
      clusterOf[i] = r === i ? count++ : clusterOf[r];
    }
    size.fill(0, 0, count);
    for (let i = 0; i < n; i++) size[clusterOf[i]]++;
    // Small clusters are noise; the rest are renumbered densely.
    const renumber = this.next;
    let kept = 0;
    for (let k = 0; k < count; k++) renumber[k] = size[k] >= options.minPoints ? kept++ : -1;
    for (let i = 0; i < n; i++) clusterOf[i] = renumber[clusterOf[i]];
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
      for (let a = 0; a < 3; a++) {
        const v = P[i * 3 + a];
        c[k * 3 + a] += v;
        wc[k * 3 + a] += W[i * 3 + a];
        if (v < lo[k * 3 + a]) lo[k * 3 + a] = v;
        if (v > hi[k * 3 + a]) hi[k * 3 + a] = v;
      }
    }
    for (let k = 0; k < kept; k++) for (let a = 0; a < 3; a++) {
      c[k * 3 + a] /= fill[k];
      wc[k * 3 + a] /= fill[k];
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
    if (this.parent.length < n) {
      const cap = Math.max(n, 2 * this.parent.length);
      this.parent = new Int32Array(cap);
      this.next = new Int32Array(cap);
      this.cellX = new Int32Array(cap);
      this.cellY = new Int32Array(cap);
      this.clusterOf = new Int32Array(cap);
      this.members = new Int32Array(cap);
      this.size = new Int32Array(cap);
    }
    // At most half full: a power of two at least twice the points.
    let t = 16;
    while (t < 2 * n) t *= 2;
    if (this.tableKey.length < t) {
      this.tableKey = new Int32Array(t);
      this.tableHead = new Int32Array(t);
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
