/**
 * The driving model shared by NPC vehicles and the expert agent: follow the lanes of a plan with
 * pure pursuit, keep the IDM gap to the leader, slow for bends, and stop where the rules say.
 */
import type { Point2 } from '../road/Path.ts';
import type { RoadNetwork } from '../road/RoadNetwork.ts';
import type { Actor } from '../world/actors.ts';
import { idmAccel, type IdmParams } from './idm.ts';
import type { LaneOccupancy, Neighbour } from './LaneOccupancy.ts';
import type { TrafficRules } from './TrafficRules.ts';

/** Lateral acceleration drivers accept in bends [m/s²] */
export const COMFORT_LATERAL_ACCEL = 2.5;
/** How far ahead leaders and stop points are looked for [m] */
export const LOOKAHEAD = 150;
/** Distance kept to a stop line [m] */
const STOP_MARGIN = 1;

export interface DrivingContext {
  readonly network: RoadNetwork;
  readonly occupancy: LaneOccupancy;
  readonly rules: TrafficRules;
}

const _leader: Neighbour = { actor: null, gap: Infinity };

/**
 * Longitudinal acceleration [m/s²] for `self` at arc length `s` on plan[0]: the IDM response to
 * the leader, to the first stop it must obey and to the bends ahead, whichever is hardest.
 */
export function drivingAccel(ctx: DrivingContext, self: Actor, plan: readonly number[], s: number, desiredSpeed: number, idm: IdmParams): number {
  const v = self.speed;
  const v0 = Math.min(desiredSpeed, ctx.network.lanes[plan[0]].speedLimit, bendSpeed(ctx.network, plan, s, v));
  const leader = ctx.occupancy.leader(self, plan, s, LOOKAHEAD, _leader);
  let a = idmAccel(idm, v, v0, leader.gap, leader.actor ? leader.actor.speed : 0);
  const stop = ctx.rules.stopDistance(self, plan, s, LOOKAHEAD);
  if (stop < Infinity) a = Math.min(a, idmAccel(idm, v, v0, stop - self.length / 2 - STOP_MARGIN, 0));
  return a;
}

/** Largest speed that keeps lateral acceleration comfortable over the stretch ahead [m/s]. */
export function bendSpeed(network: RoadNetwork, plan: readonly number[], s: number, speed: number): number {
  const horizon = 15 + (speed * speed) / (2 * 2.0);
  let kMax = 0;
  let p = 0;
  let lane = network.lanes[plan[0]];
  let at = Math.max(s, 0);
  for (let travelled = 0; travelled <= horizon; travelled += 3, at += 3) {
    while (at > lane.path.length) {
      if (++p >= plan.length) return kMax > 0 ? Math.sqrt(COMFORT_LATERAL_ACCEL / kMax) : Infinity;
      at -= lane.path.length;
      lane = network.lanes[plan[p]];
    }
    const k = Math.abs(lane.path.curvatureAt(at));
    if (k > kMax) kMax = k;
  }
  return kMax > 1e-4 ? Math.sqrt(COMFORT_LATERAL_ACCEL / kMax) : Infinity;
}

/** The point `dist` metres ahead of arc length `s` along the plan's lanes (clamped at its end). */
export function pointAhead(network: RoadNetwork, plan: readonly number[], s: number, dist: number, out: Point2): Point2 {
  let at = s + dist;
  for (let p = 0; p < plan.length; p++) {
    const path = network.lanes[plan[p]].path;
    if (at <= path.length || p === plan.length - 1) return path.pointAt(at, out);
    at -= path.length;
  }
  return out;
}

/** Road-wheel angle [rad] that steers a car of `wheelBase` at (x, y, heading) onto `target` (pure pursuit). */
export function purePursuit(x: number, y: number, heading: number, target: Point2, wheelBase: number): number {
  const dx = target.x - x, dy = target.y - y;
  const ld2 = dx * dx + dy * dy;
  if (ld2 < 1e-6) return 0;
  // Lateral offset of the target in the car frame, positive to the left.
  const lateral = -Math.sin(heading) * dx + Math.cos(heading) * dy;
  return Math.atan((2 * wheelBase * lateral) / ld2);
}

/** Pure-pursuit look-ahead distance for a speed [m]. */
export function lookaheadDistance(speed: number): number {
  return Math.min(Math.max(4 + 0.9 * speed, 6), 30);
}
