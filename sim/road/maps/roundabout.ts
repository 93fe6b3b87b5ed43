/**
 * A single-lane roundabout centred on the origin, circulating anticlockwise (right-hand traffic),
 * with evenly spaced two-way arms. Entering traffic yields to traffic on the ring.
 */
import type { RoundaboutMap } from '../../../scenarios/schema.ts';
import type { z } from 'zod';
import { Path, type Point2 } from '../Path.ts';
import { NetworkBuilder } from '../NetworkBuilder.ts';
import type { Lane } from '../RoadNetwork.ts';
import { MapReferenceError, type MapGenerator } from './types.ts';

/** Gap between the ring's outer edge and the start of the arms, where the connectors run [m] */
const APPROACH_GAP = 8;
/**
 * Lateral distance [m] between an arm's axis and where its connectors meet the ring. About the gap
 * plus a lane, so a connector turns through roughly a quarter circle of a radius like the gap's.
 */
const MOUTH_HALF_WIDTH = 8.5;
/** The largest δ as a fraction of the angle between arms, so every ring section keeps some length */
const MAX_DELTA_FRACTION = 0.4;
/** Hermite tension of the entry and exit connectors; well below values that make a cubic loop */
const CONNECTOR_TENSION = 0.9;
/** Give-way line before the end of the in-lane [m] */
const GIVE_WAY_SETBACK = 0.5;

interface Arm {
  k: number;
  /** Outward heading [rad] */
  phi: number;
  u: Point2;
  v: Point2;
  in: Lane;
  out: Lane;
  entry: Lane;
  exit: Lane;
  /** Ring from this arm's exit point to its entry point */
  ringA: Lane;
  /** Ring from this arm's entry point to the next arm's exit point */
  ringB: Lane;
}

/** An anticlockwise arc of radius r from angle θ0 to θ1 (θ1 > θ0) around the origin [rad]. */
function ringArc(r: number, th0: number, th1: number): Path {
  return Path.build(r * Math.cos(th0), r * Math.sin(th0), th0 + Math.PI / 2).arc(r * (th1 - th0), 1 / r).done();
}

export const buildRoundabout: MapGenerator<z.infer<typeof RoundaboutMap>> = (map, ego) => {
  const b = new NetworkBuilder();
  const R = map.radius;
  const w = map.laneWidth;
  const A = map.arms;
  const Ra = R + w / 2 + APPROACH_GAP;
  const L = map.armLength;
  const spacing = (2 * Math.PI) / A;
  // Half the angle between an arm's exit and entry points on the ring [rad]; ≈0.39 for R = 22.
  const delta = Math.min(Math.asin(Math.min(1, MOUTH_HALF_WIDTH / R)), MAX_DELTA_FRACTION * spacing);

  const at = (u: Point2, v: Point2, r: number, l: number): Point2 => ({ x: u.x * r + v.x * l, y: u.y * r + v.y * l });
  const ringPoint = (th: number): Point2 => ({ x: R * Math.cos(th), y: R * Math.sin(th) });

  // Ring sections first so they can be linked in a cycle afterwards.
  const arms: Arm[] = [];
  for (let k = 0; k < A; k++) {
    const phi = -Math.PI / 2 + k * spacing;
    const u = { x: Math.cos(phi), y: Math.sin(phi) };
    const v = { x: -u.y, y: u.x };
    const ringA = b.lane(`ring/${k}a`, ringArc(R, phi - delta, phi + delta), w, map.speedLimit);
    const ringB = b.lane(`ring/${k}b`, ringArc(R, phi + delta, phi + spacing - delta), w, map.speedLimit);
    // In-lanes travel along −u (right is +v); out-lanes along +u (right is −v).
    const inLane = b.lane(`arm${k}-in`, Path.fromPoints([at(u, v, Ra + L, w / 2), at(u, v, Ra, w / 2)]), w, map.speedLimit);
    const outLane = b.lane(`arm${k}-out`, Path.fromPoints([at(u, v, Ra, -w / 2), at(u, v, Ra + L, -w / 2)]), w, map.speedLimit);
    const p0 = at(u, v, Ra, w / 2), pe = ringPoint(phi + delta);
    const entry = b.lane(
      `arm${k}-entry`,
      Path.hermite(p0.x, p0.y, phi + Math.PI, pe.x, pe.y, phi + delta + Math.PI / 2, CONNECTOR_TENSION),
      w, map.speedLimit, 'connector',
    );
    const px = ringPoint(phi - delta), p1 = at(u, v, Ra, -w / 2);
    const exit = b.lane(
      `arm${k}-exit`,
      Path.hermite(px.x, px.y, phi - delta + Math.PI / 2, p1.x, p1.y, phi, CONNECTOR_TENSION),
      w, map.speedLimit, 'connector',
    );
    arms.push({ k, phi, u, v, in: inLane, out: outLane, entry, exit, ringA, ringB });
  }

  for (const a of arms) {
    const next = arms[(a.k + 1) % A];
    b.link(a.in, a.entry);
    b.link(a.entry, a.ringB);
    b.link(a.ringA, a.ringB);
    b.link(a.ringB, next.ringA);
    b.link(a.ringB, next.exit);
    b.link(a.exit, a.out);
  }

  // Entering traffic gives way to ring traffic that will pass its merge point; conflictS is the
  // arc length from the start of each priority lane to that point.
  for (const a of arms) {
    const prev = arms[(a.k + A - 1) % A];
    const s = a.in.path.length - GIVE_WAY_SETBACK;
    a.in.stops.push({
      kind: 'yield',
      s,
      toConflict: a.in.path.length - s + a.entry.path.length,
      priority: [
        { lane: a.ringA.id, conflictS: a.ringA.path.length },
        { lane: prev.ringB.id, conflictS: prev.ringB.path.length + a.ringA.path.length },
      ],
    });
    b.stopLine(a.in, s);
  }

  // The island is not drivable; its kerb is the ring's inner edge.
  b.islands.push({ x: 0, y: 0, radius: R - w / 2 });
  b.marking(ringArc(R - w / 2, 0, 2 * Math.PI), 'solid');
  for (const a of arms) {
    // Outer edge between the mouths; the connectors' right edges continue it into the arms, and
    // their left edges outline the splitter island.
    b.marking(a.ringB.path.offset(-w / 2), 'solid');
    b.marking(a.entry.path.offset(-w / 2), 'solid');
    b.marking(a.exit.path.offset(-w / 2), 'solid');
    b.marking(a.entry.path.offset(w / 2), 'solid');
    b.marking(a.exit.path.offset(w / 2), 'solid');
    b.marking(Path.fromPoints([at(a.u, a.v, Ra, w), at(a.u, a.v, Ra + L, w)]), 'solid');
    b.marking(Path.fromPoints([at(a.u, a.v, Ra, -w), at(a.u, a.v, Ra + L, -w)]), 'solid');
    b.marking(Path.fromPoints([at(a.u, a.v, Ra, 0), at(a.u, a.v, Ra + L, 0)]), 'double-yellow');
  }

  // Ego: enter from arm 0, circulate, leave by exit `ego.exit` (1 = the next arm anticlockwise).
  if (ego.lane !== 0) throw new MapReferenceError(['ego', 'lane'], `expected 0, the only lane of a roundabout arm, got ${ego.lane}`);
  if (!Number.isInteger(ego.exit) || ego.exit < 1 || ego.exit >= A) {
    throw new MapReferenceError(['ego', 'exit'], `expected an exit from 1 to ${A - 1} on a ${A}-arm roundabout, got ${ego.exit}`);
  }
  const route: Lane[] = [arms[0].in, arms[0].entry, arms[0].ringB];
  for (let k = 1; k < ego.exit; k++) route.push(arms[k].ringA, arms[k].ringB);
  route.push(arms[ego.exit].exit, arms[ego.exit].out);

  return {
    network: b.build(),
    egoRoute: route.map((l) => l.id),
    spawnLanes: arms.flatMap((a) => [a.in, a.out, a.ringA, a.ringB]).map((l) => l.id),
    roadLanes: 1,
    roadLane: (_index, position) => ({ lane: arms[0].in.id, s: position }),
  };
};
