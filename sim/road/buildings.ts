/**
 * Buildings beside the road: boxes on a fixed grid wherever a grid point lies in a band beside the
 * road, turned to face the nearest lane. Sizes follow the grid indices, so the same network always
 * gets the same town. The physics world gives them colliders (lidar and radar see them) and the
 * scene draws them, from this one list.
 */
import type { RoadNetwork } from './RoadNetwork.ts';

export interface Building {
  /** Footprint centre on the ground [m] */
  x: number;
  y: number;
  /** Direction of the long side [rad] */
  heading: number;
  /** Footprint along the heading, across it, and height [m] */
  length: number;
  depth: number;
  height: number;
}

/** Candidates lie on a grid of this spacing [m], wider than any building's diagonal */
const GRID = 26;
/** Clear gap between the road (or sidewalk) edge and a building's corner [m] */
const SETBACK = 6;
/** Candidates farther than this from the road (beyond the setback) get no building [m] */
const BAND = 16;

const cache = new WeakMap<RoadNetwork, readonly Building[]>();

export function buildingsFor(network: RoadNetwork): readonly Building[] {
  let list = cache.get(network);
  if (!list) cache.set(network, (list = place(network)));
  return list;
}

/** The largest building's half diagonal [m] (length ≤ 18, depth ≤ 12) */
const MAX_HALF_DIAGONAL = Math.hypot(18, 12) / 2;

function place(network: RoadNetwork): Building[] {
  // Road and sidewalk centre lines with the half width each must be kept clear of [m].
  const strips = [
    ...network.lanes.map((l) => ({ path: l.path, half: l.width / 2 })),
    ...network.sidewalks.map((s) => ({ path: s.path, half: s.width / 2 })),
  ];
  // Only strip points within this reach of a candidate can decide it: one farther away leaves it
  // beyond the band anyway. They are bucketed in cells of that size, so each candidate looks at
  // the 3 × 3 cells around it instead of at every point of the network.
  const maxHalf = Math.max(0, ...strips.map((st) => st.half));
  const cell = SETBACK + MAX_HALF_DIAGONAL + BAND + maxHalf + 1;
  const buckets = new Map<number, number[]>();
  const key = (ci: number, cj: number) => ci * 100003 + cj;
  strips.forEach((st, n) => {
    const { xs, ys } = st.path;
    for (let k = 0; k < xs.length; k += 2) {
      const id = key(Math.floor(xs[k] / cell), Math.floor(ys[k] / cell));
      let list = buckets.get(id);
      if (!list) buckets.set(id, (list = []));
      list.push(n, k);
    }
  });
  const b = network.bounds;
  const reach = SETBACK + BAND + GRID;
  const i0 = Math.floor((b.minX - reach) / GRID), i1 = Math.ceil((b.maxX + reach) / GRID);
  const j0 = Math.floor((b.minY - reach) / GRID), j1 = Math.ceil((b.maxY + reach) / GRID);
  const out: Building[] = [];
  for (let i = i0; i <= i1; i++) {
    for (let j = j0; j <= j1; j++) {
      const x = i * GRID, y = j * GRID;
      const v = ((i % 5) + 5) % 5, w = ((j % 3) + 3) % 3;
      const length = 10 + 2 * v, depth = 8 + 2 * w, height = 5 + 3 * ((v + 2 * w) % 5);
      const halfDiag = Math.hypot(length, depth) / 2;
      if (network.islands.some((isl) => Math.hypot(x - isl.x, y - isl.y) < isl.radius + halfDiag)) continue;
      // The nearest strip point; on a tie the one listed first (strip, then point order) wins.
      let clear = Infinity, heading = 0, bestN = -1, bestK = -1;
      const ci = Math.floor(x / cell), cj = Math.floor(y / cell);
      for (let di = -1; di <= 1; di++) {
        for (let dj = -1; dj <= 1; dj++) {
          const list = buckets.get(key(ci + di, cj + dj));
          if (!list) continue;
          for (let m = 0; m < list.length; m += 2) {
            const n = list[m], k = list[m + 1];
            const st = strips[n];
            const dx = x - st.path.xs[k], dy = y - st.path.ys[k];
            // Farther than the best so far even before the square root: skip it.
            const bound = clear + st.half;
            if (dx * dx + dy * dy > bound * bound * (1 + 1e-9)) continue;
            const d = Math.hypot(dx, dy) - st.half;
            if (d < clear || (d === clear && (n < bestN || (n === bestN && k < bestK)))) {
              clear = d;
              heading = st.path.headings[k];
              bestN = n;
              bestK = k;
            }
          }
        }
      }
      if (clear < SETBACK + halfDiag || clear > SETBACK + halfDiag + BAND) continue;
      out.push({ x, y, heading, length, depth, height });
    }
  }
  return out;
}
