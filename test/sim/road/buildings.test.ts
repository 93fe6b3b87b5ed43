import { describe, expect, it } from 'vitest';
import { validateScenario } from '../../../scenarios/parse.ts';
import { Rng } from '../../../sim/rng.ts';
import { buildingsFor, type Building } from '../../../sim/road/buildings.ts';
import { buildMap } from '../../../sim/road/maps/index.ts';
import type { RoadNetwork } from '../../../sim/road/RoadNetwork.ts';

const MAPS: Record<string, unknown>[] = [
  { type: 'highway', curvature: 0.003 },
  { type: 'highway', lanes: 6, laneWidth: 6 },
  { type: 'road' },
  { type: 'merge' },
  { type: 'intersection', lanes: 3 },
  { type: 'roundabout', arms: 5 },
];

function network(map: Record<string, unknown>): RoadNetwork {
  const s = validateScenario({ version: 1, id: 't', map }, 't');
  return buildMap(s.map, s.ego, Rng.seeded(3)).network;
}

/** Every lane and sidewalk as sample points with the half width kept clear around them. */
function strips(net: RoadNetwork) {
  return [...net.lanes.map((l) => ({ path: l.path, half: l.width / 2 })), ...net.sidewalks.map((s) => ({ path: s.path, half: s.width / 2 }))];
}

/** Distance from a point to a building's footprint rectangle [m]; 0 inside. */
function distanceToFootprint(b: Building, x: number, y: number): number {
  const c = Math.cos(b.heading), s = Math.sin(b.heading);
  const u = Math.abs((x - b.x) * c + (y - b.y) * s) - b.length / 2;
  const v = Math.abs(-(x - b.x) * s + (y - b.y) * c) - b.depth / 2;
  return Math.hypot(Math.max(u, 0), Math.max(v, 0));
}

const SETBACK = 6, BAND = 16, GRID = 26;

describe('buildings', () => {
  for (const map of MAPS) {
    it(`stand at least 6 m from every lane and sidewalk edge: ${JSON.stringify(map)}`, () => {
      const net = network(map);
      const town = buildingsFor(net);
      expect(town.length).toBeGreaterThan(5);
      let nearest = Infinity;
      for (const b of town) {
        for (const st of strips(net)) {
          for (let k = 0; k < st.path.xs.length; k++) nearest = Math.min(nearest, distanceToFootprint(b, st.path.xs[k], st.path.ys[k]) - st.half);
        }
      }
      // Sample points lie 0.5 m apart: the edge between two can be up to a few centimetres nearer.
      expect(nearest).toBeGreaterThan(SETBACK - 0.05);
    });

    it(`stand on every grid point whose nearest road edge lies in the band beyond the setback, and nowhere else: ${JSON.stringify(map)}`, () => {
      const net = network(map);
      const town = buildingsFor(net);
      const placed = new Set(town.map((b) => `${b.x},${b.y}`));
      const all = strips(net);
      const b = net.bounds;
      const reach = SETBACK + BAND + GRID;
      const missing: string[] = [];
      const extra = new Set(placed);
      for (let i = Math.floor((b.minX - reach) / GRID); i <= Math.ceil((b.maxX + reach) / GRID); i++) {
        for (let j = Math.floor((b.minY - reach) / GRID); j <= Math.ceil((b.maxY + reach) / GRID); j++) {
          const [x, y] = [i * GRID, j * GRID];
          const v = ((i % 5) + 5) % 5, w = ((j % 3) + 3) % 3;
          const halfDiag = Math.hypot(10 + 2 * v, 8 + 2 * w) / 2;
          if (net.islands.some((isl) => Math.hypot(x - isl.x, y - isl.y) < isl.radius + halfDiag)) continue;
          let clear = Infinity;
          for (const st of all) for (let k = 0; k < st.path.xs.length; k++) clear = Math.min(clear, Math.hypot(x - st.path.xs[k], y - st.path.ys[k]) - st.half);
          // Points decided within a few centimetres of either limit may go either way with the sampling.
          const lo = SETBACK + halfDiag, hi = lo + BAND;
          if (Math.abs(clear - lo) < 0.05 || Math.abs(clear - hi) < 0.05) {
            extra.delete(`${x},${y}`);
            continue;
          }
          const wanted = clear >= lo && clear <= hi;
          if (wanted && !placed.has(`${x},${y}`)) missing.push(`${x},${y} (clear ${clear.toFixed(2)})`);
          if (wanted) extra.delete(`${x},${y}`);
        }
      }
      expect(missing).toEqual([]);
      expect([...extra]).toEqual([]);
    });
  }
});
