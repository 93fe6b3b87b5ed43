import { describe, expect, it } from 'vitest';
import { validateScenario } from '../../../scenarios/parse.ts';
import type { MapType, Scenario } from '../../../scenarios/schema.ts';
import { Rng } from '../../../sim/rng.ts';
import { wrapAngle, type Point2 } from '../../../sim/road/Path.ts';
import { newLanePosition, type RoadNetwork } from '../../../sim/road/RoadNetwork.ts';
import { buildMap } from '../../../sim/road/maps/index.ts';
import type { BuiltMap } from '../../../sim/road/maps/types.ts';

const TYPES: readonly MapType[] = ['highway', 'road', 'merge', 'intersection', 'roundabout'];

function scenario(map: Record<string, unknown>, ego: Record<string, unknown> = {}): Scenario {
  return validateScenario({ version: 1, id: 'test', map, ego }, 'test');
}

function build(map: Record<string, unknown>, ego: Record<string, unknown> = {}): BuiltMap {
  const s = scenario(map, ego);
  return buildMap(s.map, s.ego, Rng.seeded(7));
}

/** Default maps plus variants that exercise other code paths. */
const CASES: readonly { label: string; map: Record<string, unknown>; ego?: Record<string, unknown> }[] = [
  ...TYPES.map((type) => ({ label: `${type} (defaults)`, map: { type } })),
  { label: 'merge from the ramp', map: { type: 'merge' }, ego: { lane: -1 } },
  { label: 'intersection, 3 lanes, left turn', map: { type: 'intersection', lanes: 3 }, ego: { lane: 2, turn: 'left' } },
  { label: 'intersection, 2 lanes, right turn, all-way stop', map: { type: 'intersection', lanes: 2, signals: false, crosswalks: false }, ego: { lane: 0, turn: 'right' } },
  { label: 'roundabout, 6 arms, small, exit 5', map: { type: 'roundabout', arms: 6, radius: 15 }, ego: { exit: 5 } },
  { label: 'roundabout, 3 arms, large, exit 1', map: { type: 'roundabout', arms: 3, radius: 60 }, ego: { exit: 1 } },
];

const pt = (): Point2 => ({ x: 0, y: 0 });

describe.each(CASES)('$label', ({ map, ego }) => {
  const built = build(map, ego);
  const net = built.network;

  it('has symmetric next/prev links', () => {
    for (const lane of net.lanes) {
      for (const n of lane.next) expect(net.lane(n).prev, `${lane.name} -> ${net.lane(n).name}`).toContain(lane.id);
      for (const p of lane.prev) expect(net.lane(p).next, `${net.lane(p).name} -> ${lane.name}`).toContain(lane.id);
    }
  });

  it('joins each lane to its successors in position and heading', () => {
    for (const lane of net.lanes) {
      const end = lane.path.pointAt(lane.path.length, pt());
      const hEnd = lane.path.headingAt(lane.path.length);
      for (const n of lane.next) {
        const next = net.lane(n);
        const start = next.path.pointAt(0, pt());
        const label = `${lane.name} -> ${next.name}`;
        expect(Math.hypot(end.x - start.x, end.y - start.y), label).toBeLessThan(0.3);
        expect(Math.abs(wrapAngle(hEnd - next.path.headingAt(0))), label).toBeLessThan(0.1);
      }
    }
  });

  it('routes the ego along a connected chain on drivable ground', () => {
    const route = built.egoRoute;
    expect(route.length).toBeGreaterThan(0);
    for (let i = 1; i < route.length; i++) expect(net.lane(route[i - 1]).next).toContain(route[i]);
    const p = pt();
    for (const id of route) {
      const path = net.lane(id).path;
      for (let s = 0; s <= path.length; s += 1) {
        path.pointAt(s, p);
        expect(net.isDrivable(p.x, p.y), `${net.lane(id).name} at s=${s}`).toBe(true);
      }
    }
  });

  it('locates mid-lane points on their own lane', () => {
    const pos = newLanePosition();
    const p = pt();
    for (const lane of net.lanes) {
      if (lane.kind !== 'lane') continue;
      lane.path.pointAt(lane.path.length / 2, p);
      expect(net.locate(p.x, p.y, pos), lane.name).toBe(true);
      expect(net.lane(pos.lane).name).toBe(lane.name);
      expect(Math.abs(pos.d)).toBeLessThan(0.05);
    }
  });

  it('resolves spawn lanes and road lanes', () => {
    for (const id of built.spawnLanes) expect(net.lane(id).kind).toBe('lane');
    const { lane, s } = built.roadLane(0, 10);
    expect(net.lane(lane).path.length).toBeGreaterThan(s);
  });
});

describe('highway', () => {
  it('is not drivable 3 m beyond either road edge', () => {
    for (const curvature of [0, 0.005]) {
      const net = build({ type: 'highway', curvature }).network;
      const right = net.laneByName('main/0'), left = net.laneByName('main/2');
      const p = pt();
      for (let s = 5; s < right.path.length; s += 50) {
        right.path.toWorld(s, -right.width / 2 - 3, p);
        expect(net.isDrivable(p.x, p.y)).toBe(false);
        left.path.toWorld(s, left.width / 2 + 3, p);
        expect(net.isDrivable(p.x, p.y)).toBe(false);
        left.path.toWorld(s, left.width / 2 - 0.2, p);
        expect(net.isDrivable(p.x, p.y)).toBe(true);
      }
    }
  });
});

describe('intersection', () => {
  it('turns left from north-bound to west-bound', () => {
    const net = build({ type: 'intersection' }).network;
    const left = net.laneByName('S>W/0');
    expect(Math.abs(wrapAngle(left.path.headingAt(0) - Math.PI / 2))).toBeLessThan(0.1);
    expect(Math.abs(wrapAngle(left.path.headingAt(left.path.length) - Math.PI))).toBeLessThan(0.1);
  });

  it('turns along quarter circles about the box corners', () => {
    for (const lanes of [1, 2, 3]) {
      const w = 3.5;
      const net = build({ type: 'intersection', lanes, laneWidth: w }).network;
      const B = lanes * w + 4;
      // A right turn leaves from the kerb lane, (lanes − ½)·w right of the axis; a left turn from
      // the median lane, ½·w right of it.
      const turns = [
        { path: net.laneByName('S>E/0').path, cx: B, cy: -B, r: B - (lanes - 0.5) * w },
        { path: net.laneByName(`S>W/${lanes - 1}`).path, cx: -B, cy: -B, r: B + w / 2 },
      ];
      for (const { path, cx, cy, r } of turns) {
        for (let i = 0; i < path.xs.length; i++) {
          expect(Math.abs(Math.hypot(path.xs[i] - cx, path.ys[i] - cy) - r) / r).toBeLessThan(0.01);
        }
      }
    }
  });

  it('counts lanes from the kerb, so no two connectors from different lanes of an arm cross', () => {
    /** Whether segments pq and rs properly cross. */
    const cross = (p: Point2, q: Point2, r: Point2, s: Point2) => {
      const side = (a: Point2, b: Point2, c: Point2) => Math.sign((b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x));
      return side(p, q, r) * side(p, q, s) < 0 && side(r, s, p) * side(r, s, q) < 0;
    };
    const points = (lane: { path: { xs: ArrayLike<number>; ys: ArrayLike<number> } }) => Array.from(lane.path.xs, (x, i) => ({ x, y: lane.path.ys[i] }));
    for (const lanes of [2, 3]) {
      const net = build({ type: 'intersection', lanes, laneWidth: 3.5 }).network;
      // North-bound on the south arm, the right is +x: lane 0 is the eastmost, its right neighbour none.
      const south = Array.from({ length: lanes }, (_, j) => net.laneByName(`S-in/${j}`));
      for (let j = 1; j < lanes; j++) expect(south[j].path.xs[0]).toBeCloseTo(south[j - 1].path.xs[0] - 3.5, 6);
      expect(south[0].right).toBe(-1);
      expect(south[0].left).toBe(south[1].id);
      for (const arm of ['S', 'E', 'N', 'W']) {
        const connectors = net.lanes.filter((l) => l.kind === 'connector' && l.name.startsWith(`${arm}>`));
        for (const a of connectors) {
          for (const b of connectors) {
            if (a.id >= b.id || a.prev[0] === b.prev[0]) continue;
            const [pa, pb] = [points(a), points(b)];
            for (let i = 1; i < pa.length; i++) {
              for (let k = 1; k < pb.length; k++) expect(cross(pa[i - 1], pa[i], pb[k - 1], pb[k]), `${a.name} crosses ${b.name}`).toBe(false);
            }
          }
        }
      }
    }
  });

  it('keeps turning connectors inside the junction box', () => {
    for (const lanes of [1, 2, 3]) {
      const net = build({ type: 'intersection', lanes }).network;
      const box = net.junctions[0];
      const B = Math.max(...box.map((q) => q.x));
      for (const lane of net.lanes) {
        if (lane.kind !== 'connector') continue;
        for (let i = 0; i < lane.path.xs.length; i++) {
          expect(Math.max(Math.abs(lane.path.xs[i]), Math.abs(lane.path.ys[i]))).toBeLessThanOrEqual(B + 1e-6);
        }
      }
    }
  });

  it('never shows green to two groups at once, and gives every group a green', () => {
    const net = build({ type: 'intersection' }).network;
    const plan = net.signalPlan!;
    expect(plan).toBeDefined();
    const seen = new Set<number>();
    for (let t = -plan.cycle; t < 2 * plan.cycle; t += 0.05) {
      const greens = [0, 1, 2, 3].filter((g) => plan.state(g, t) === 'green');
      expect(greens.length).toBeLessThanOrEqual(1);
      greens.forEach((g) => seen.add(g));
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
    expect(net.signals).toHaveLength(4);
  });

  it('gives in-lanes signal stops by arm, or all-way stops without signals', () => {
    for (const signals of [true, false]) {
      const net = build({ type: 'intersection', lanes: 2, signals }).network;
      expect(net.signalPlan === undefined).toBe(!signals);
      ['S', 'E', 'N', 'W'].forEach((arm, k) => {
        for (const j of [0, 1]) {
          const lane = net.laneByName(`${arm}-in/${j}`);
          const stop = lane.stops.find((x) => x.kind === (signals ? 'signal' : 'allway'));
          expect(stop && 'group' in stop ? stop.group : -1).toBe(k);
          expect(stop!.s).toBeGreaterThan(lane.path.length - 10);
          expect(stop!.s).toBeLessThan(lane.path.length);
        }
      });
    }
  });

  it('stops traffic for each crosswalk on the approach and on every connector leaving by that arm', () => {
    const net = build({ type: 'intersection' }).network;
    expect(net.crosswalks).toHaveLength(4);
    for (const lane of net.lanes) {
      if (lane.kind === 'connector' || lane.name.includes('-in/')) {
        expect(lane.stops.some((x) => x.kind === 'crosswalk'), lane.name).toBe(true);
      }
    }
    const noCrossings = build({ type: 'intersection', crosswalks: false }).network;
    expect(noCrossings.crosswalks).toHaveLength(0);
    expect(noCrossings.lanes.some((l) => l.stops.some((x) => x.kind === 'crosswalk'))).toBe(false);
  });
});

/** The point `s` metres along the ring from the start of ring lane `id`, crossing into later sections. */
function alongRing(net: RoadNetwork, id: number, s: number): Point2 {
  let lane = net.lane(id);
  while (s > lane.path.length + 1e-9) {
    s -= lane.path.length;
    lane = net.lane(lane.next.find((n) => net.lane(n).name.startsWith('ring/'))!);
  }
  return lane.path.pointAt(s, pt());
}

describe('roundabout', () => {
  it('leaves the central island undrivable', () => {
    const net = build({ type: 'roundabout' }).network;
    expect(net.isDrivable(0, 0)).toBe(false);
    expect(net.isDrivable(0, 22 - 2 - 0.5)).toBe(false);
    expect(net.isDrivable(0, 22)).toBe(true);
  });

  it('puts each yield conflict point within 1 m of the merge point', () => {
    for (const arms of [3, 4, 6]) {
      const net = build({ type: 'roundabout', arms }).network;
      for (let k = 0; k < arms; k++) {
        const entry = net.laneByName(`arm${k}-entry`);
        const merge = entry.path.pointAt(entry.path.length, pt());
        const stop = net.laneByName(`arm${k}-in`).stops.find((x) => x.kind === 'yield');
        expect(stop?.kind).toBe('yield');
        if (stop?.kind !== 'yield') continue;
        expect(stop.priority).toHaveLength(2);
        for (const { lane, conflictS } of stop.priority) {
          const q = alongRing(net, lane, conflictS);
          expect(Math.hypot(q.x - merge.x, q.y - merge.y), `arm ${k} vs ${net.lane(lane).name}`).toBeLessThan(1);
        }
      }
    }
  });

  it('circulates anticlockwise and routes the ego out of the chosen exit', () => {
    for (const exit of [1, 2, 3]) {
      const built = build({ type: 'roundabout' }, { exit });
      const names = built.egoRoute.map((id) => built.network.lane(id).name);
      expect(names[0]).toBe('arm0-in');
      expect(names.at(-1)).toBe(`arm${exit}-out`);
      expect(names.at(-2)).toBe(`arm${exit}-exit`);
    }
    const ring = build({ type: 'roundabout' }).network.laneByName('ring/0b');
    const p = ring.path.pointAt(0, pt());
    const h = ring.path.headingAt(0);
    // Anticlockwise about the origin: the cross product of position and heading is positive.
    expect(p.x * Math.sin(h) - p.y * Math.cos(h)).toBeGreaterThan(0);
  });
});

describe('buildMap', () => {
  it('builds every map type', () => {
    for (const type of TYPES) expect(build({ type }).network.lanes.length).toBeGreaterThan(0);
  });
});
