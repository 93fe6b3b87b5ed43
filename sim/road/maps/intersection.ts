/**
 * A four-way junction centred on the origin: arms S, E, N, W (anticlockwise from the south), each
 * with `lanes` lanes per direction, a square junction box, optional zebra crossings on every arm
 * and either fixed-time signals (split phasing, one group per arm) or an all-way stop.
 */
import type { IntersectionMap } from '../../../scenarios/schema.ts';
import type { z } from 'zod';
import { Path, type Point2 } from '../Path.ts';
import { NetworkBuilder } from '../NetworkBuilder.ts';
import { SignalPlan, type Lane } from '../RoadNetwork.ts';
import { MapReferenceError, SIDEWALK_WIDTH, type MapGenerator } from './types.ts';

const ARM_NAMES = ['S', 'E', 'N', 'W'] as const;
/** Width of a junction zebra along the road [m]; narrower than on open road to keep the box compact */
const JUNCTION_CROSSWALK_WIDTH = 3;
/** Distance from the box edge to the crosswalk centre line [m] */
const CROSSWALK_OFFSET = 3;
/**
 * Gap between the stop line and the near edge of the crosswalk [m]; the same as NetworkBuilder's
 * crosswalk setback, so one line serves both the signal and the pedestrians.
 */
const STOP_BEFORE_CROSSWALK = 2;
/** Gap between the stop line and the box edge when there is no crosswalk [m] */
const STOP_BEFORE_BOX = 1;
/** Extra box half-size beyond the carriageway, so turning paths have room [m] */
const BOX_MARGIN = 4;
/** Speed limit on turning connectors as a fraction of the road's */
const TURN_SPEED_FACTOR = 0.7;
/**
 * Hermite tension for the 90° turns: the end tangents are 4·tan(π/8)·r long, i.e. 1.17 chords,
 * which makes the cubic match the quarter circle through both ends to within 0.1% of its radius
 * (1.1 would give 2%, 0.9 about 7%). A circle about the box corner stays inside the box.
 */
const TURN_TENSION = 1.17;

/** One arm's frame: `u` points outward along the axis, `v` is `u` turned 90° anticlockwise. */
interface Arm {
  k: number;
  name: string;
  /** Outward heading [rad] */
  phi: number;
  u: Point2;
  v: Point2;
  in: Lane[];
  out: Lane[];
}

export const buildIntersection: MapGenerator<z.infer<typeof IntersectionMap>> = (map, ego) => {
  const b = new NetworkBuilder();
  const n = map.lanes;
  const w = map.laneWidth;
  const L = map.armLength;
  const B = n * w + BOX_MARGIN;
  const halfRoad = n * w;

  b.junctions.push([
    { x: -B, y: -B },
    { x: B, y: -B },
    { x: B, y: B },
    { x: -B, y: B },
  ]);

  /** The point at radius `r` along arm `a`'s axis and lateral offset `l` along `v`. */
  const at = (a: Arm, r: number, l: number): Point2 => ({ x: a.u.x * r + a.v.x * l, y: a.u.y * r + a.v.y * l });
  /** A straight path along arm `a` from radius r0 to r1 at lateral offset `l`. */
  const radial = (a: Arm, r0: number, r1: number, l: number): Path => Path.fromPoints([at(a, r0, l), at(a, r1, l)]);

  // In-lanes travel along −u, whose right is +v; out-lanes travel along +u, whose right is −v.
  // Lane j counts from the kerb, as on every map: its centre lies `offset(j)` from the axis.
  const offset = (j: number) => (n - j - 0.5) * w;
  const arms: Arm[] = ARM_NAMES.map((name, k) => {
    const phi = -Math.PI / 2 + (k * Math.PI) / 2;
    const u = { x: Math.cos(phi), y: Math.sin(phi) };
    const v = { x: -u.y, y: u.x };
    return { k, name, phi, u, v, in: [], out: [] };
  });
  for (const a of arms) {
    for (let j = 0; j < n; j++) {
      const l = offset(j);
      a.in.push(b.lane(`${a.name}-in/${j}`, radial(a, B + L, B, l), w, map.speedLimit));
      a.out.push(b.lane(`${a.name}-out/${j}`, radial(a, B, B + L, -l), w, map.speedLimit));
    }
    b.neighbours(a.in);
    b.neighbours(a.out);
  }

  // Connectors; `entering[k]` collects those that end on arm k, for the crosswalk stops.
  const entering: Lane[][] = arms.map(() => []);
  const connect = (from: Arm, j: number, to: Arm, jOut: number, turn: boolean): Lane => {
    const src = from.in[j], dst = to.out[jOut];
    const p0 = at(from, B, offset(j)), p1 = at(to, B, -offset(jOut));
    const path = turn
      ? Path.hermite(p0.x, p0.y, from.phi + Math.PI, p1.x, p1.y, to.phi, TURN_TENSION)
      : Path.fromPoints([p0, p1]);
    const speed = turn ? map.speedLimit * TURN_SPEED_FACTOR : map.speedLimit;
    const c = b.lane(`${from.name}>${to.name}/${j}`, path, w, speed, 'connector');
    b.link(src, c);
    b.link(c, dst);
    entering[to.k].push(c);
    return c;
  };
  /** Connectors by manoeuvre from arm 0, for the ego route */
  const fromSouth: { straight: Lane[]; left?: Lane; right?: Lane } = { straight: [] };
  for (const a of arms) {
    const straightTo = arms[(a.k + 2) % 4];
    for (let j = 0; j < n; j++) {
      const c = connect(a, j, straightTo, j, false);
      if (a.k === 0) fromSouth.straight.push(c);
    }
    const right = connect(a, 0, arms[(a.k + 1) % 4], 0, true);
    const left = connect(a, n - 1, arms[(a.k + 3) % 4], n - 1, true);
    if (a.k === 0) {
      fromSouth.right = right;
      fromSouth.left = left;
    }
  }

  // Markings along each arm, from the box edge outward; nothing is painted inside the box.
  for (const a of arms) {
    b.marking(radial(a, B, B + L, halfRoad), 'solid');
    b.marking(radial(a, B, B + L, -halfRoad), 'solid');
    b.marking(radial(a, B, B + L, 0), 'double-yellow');
    for (let i = 1; i < n; i++) {
      b.marking(radial(a, B, B + L, i * w), 'dashed');
      b.marking(radial(a, B, B + L, -i * w), 'dashed');
    }
  }

  // Crosswalks and sidewalks.
  const crosswalkHalf = JUNCTION_CROSSWALK_WIDTH / 2;
  if (map.crosswalks) {
    const kerbToKerb = halfRoad + SIDEWALK_WIDTH / 2;
    for (const a of arms) {
      b.sidewalk(radial(a, B, B + L, halfRoad + SIDEWALK_WIDTH / 2), SIDEWALK_WIDTH);
      b.sidewalk(radial(a, B, B + L, -halfRoad - SIDEWALK_WIDTH / 2), SIDEWALK_WIDTH);
      const r = B + CROSSWALK_OFFSET;
      const cw = b.crosswalk(Path.fromPoints([at(a, r, -kerbToKerb), at(a, r, kerbToKerb)]), JUNCTION_CROSSWALK_WIDTH, [...a.in, ...a.out]);
      // The crossing lies just past the start of the out-lanes, too early for a stop on them, so
      // vehicles heading out of the box wait at the end of their connector instead.
      for (const c of entering[a.k]) c.stops.push({ kind: 'crosswalk', s: c.path.length - 0.5, crosswalk: cw.id });
    }
  }

  // Stop lines: just before the crosswalk, or just before the box [m from the lane end].
  const setback = map.crosswalks ? CROSSWALK_OFFSET + crosswalkHalf + STOP_BEFORE_CROSSWALK : STOP_BEFORE_BOX;
  if (map.signals) b.signalPlan = new SignalPlan(4, map.cycle.green, map.cycle.yellow, map.cycle.allRed, 0);
  for (const a of arms) {
    for (const lane of a.in) {
      const s = lane.path.length - setback;
      lane.stops.push(map.signals ? { kind: 'signal', s, group: a.k } : { kind: 'allway', s, group: a.k });
      b.stopLine(lane, s);
    }
    if (map.signals) {
      // On the right kerb of the approach, level with the stop line, facing the oncoming traffic.
      const head = at(a, B + setback, halfRoad + 0.5);
      b.signals.push({ group: a.k, x: head.x, y: head.y, heading: a.phi + Math.PI });
    }
  }

  // Ego: from the south arm through the chosen manoeuvre.
  const south = arms[0];
  let connector: Lane | undefined;
  if (ego.turn === 'straight') connector = fromSouth.straight[ego.lane];
  else if (ego.turn === 'left' && ego.lane === n - 1) connector = fromSouth.left;
  else if (ego.turn === 'right' && ego.lane === 0) connector = fromSouth.right;
  if (!connector) {
    const expected = ego.turn === 'straight' ? `a lane index from 0 to ${n - 1}` : `${ego.turn === 'left' ? n - 1 : 0} (the ${ego.turn}most lane) for a ${ego.turn} turn`;
    throw new MapReferenceError(['ego', 'lane'], `expected ${expected} on this ${n}-lane intersection, got ${ego.lane}`);
  }
  const egoIn = south.in[ego.lane];
  const egoOut = b.lanes[connector.next[0]];

  return {
    network: b.build(),
    egoRoute: [egoIn.id, connector.id, egoOut.id],
    spawnLanes: arms.flatMap((a) => [...a.in, ...a.out]).map((l) => l.id),
    roadLanes: n,
    roadLane: (index, position) => ({ lane: south.in[index].id, s: position }),
  };
};
