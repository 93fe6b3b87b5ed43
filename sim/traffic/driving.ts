/**
 * The driving model shared by NPC vehicles and the expert agent: follow the lanes of a plan with
 * pure pursuit, keep the IDM gap to the leader, slow for bends, and stop where the rules say.
 */
import type { RoadNetwork } from '../road/RoadNetwork.ts';
import type { Actor } from '../world/actors.ts';
import { footprintsOverlap, type Footprint } from '../world/footprint.ts';
import { newProjection, type Point2 } from '../road/Path.ts';
import { NO_LANE } from '../road/RoadNetwork.ts';
import { idmAccel, MAX_BRAKE, type IdmParams } from './idm.ts';
import type { LaneOccupancy, Neighbour } from './LaneOccupancy.ts';
import { mobilIncentive, type MobilParams } from './mobil.ts';
import type { TrafficRules } from './TrafficRules.ts';

/** Lateral acceleration drivers accept in bends [m/s²] */
export const COMFORT_LATERAL_ACCEL = 2.5;
/** How far ahead leaders and stop points are looked for [m] */
export const LOOKAHEAD = 150;
/** Extra standstill distance kept to a static obstacle [m] */
const OBSTACLE_STANDOFF = 5;
/** Speed and acceleration of a driver edging out of a blocked lane [m/s], [m/s²] */
const CREEP_SPEED = 1.5;
const CREEP_ACCEL = 0.5;
/**
 * How far ahead along its heading a changer checks its body against the old lane's leader [m]:
 * a few metres, plus what it needs to stop from its speed under firm braking.
 */
const CREEP_LOOKAHEAD = 4;
const CREEP_CHECK_DECEL = 6;
/** The smallest move forward worth making when edging out [m] */
const CREEP_STEP = 0.6;
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
  const bend = bendLimit(ctx.network, plan, s, v);
  const v0 = Math.min(desiredSpeed, ctx.network.lanes[plan[0]].speedLimit, bend.speedHere);
  const bendBrake = bend.accel;
  const leader = ctx.occupancy.leader(self, plan, s, LOOKAHEAD, _leader);
  // Drivers stop well short of a static obstacle, leaving room to steer around it.
  const gap = leader.actor?.kind === 'obstacle' ? leader.gap - OBSTACLE_STANDOFF : leader.gap;
  let a = idmAccel(idm, v, v0, gap, leader.actor ? leader.actor.speed : 0);
  const stop = ctx.rules.stopDistance(self, plan, s, LOOKAHEAD);
  if (stop < Infinity) a = Math.min(a, idmAccel(idm, v, v0, stop - self.length / 2 - STOP_MARGIN, 0));
  return Math.min(a, Math.max(bendBrake, -MAX_BRAKE));
}

/**
 * Acceleration during a lane change: the target lane's, but no more than the old lane allows,
 * except that a driver stopped behind a blocked lane may edge forward while steering out of it.
 */
export function laneChangeAccel(ctx: DrivingContext, self: Actor, targetAccel: number, oldPlan: readonly number[], oldS: number, desiredSpeed: number, idm: IdmParams): number {
  const old = drivingAccel(ctx, self, oldPlan, oldS, desiredSpeed, idm);
  if (old >= targetAccel) return targetAccel;
  // A leader in the old lane that the body is already steering clear of no longer holds it back.
  const leader = _leader.actor;
  const v = self.speed;
  if (!leader || !sweepHits(self, leader, CREEP_LOOKAHEAD + (v * v) / (2 * CREEP_CHECK_DECEL))) return targetAccel;
  if (self.speed < CREEP_SPEED && !sweepHits(self, leader, CREEP_STEP)) return Math.min(targetAccel, CREEP_ACCEL);
  return old;
}

/** Deceleration a driver will use to slow for a bend [m/s²] */
const BEND_DECEL = 2.5;

/** What the bends ahead ask of a driver. */
export interface BendLimit {
  /** Constant deceleration that reaches every bend ahead at its comfortable speed [m/s²], or Infinity */
  accel: number;
  /** Comfortable speed of the bend the car is in or about to enter (within a second) [m/s], or Infinity */
  speedHere: number;
}

const _bend: BendLimit = { accel: Infinity, speedHere: Infinity };

/**
 * The bends ahead along the plan: the constant deceleration that brings the speed down to each
 * bend's comfortable speed sqrt(a_lat / κ) by the time the car gets there (braking starts gently
 * and early, as drivers do), and the comfortable speed right here, which caps the speed the car
 * aims for so that it settles at it rather than braking and accelerating around it.
 */
export function bendLimit(network: RoadNetwork, plan: readonly number[], s: number, speed: number): BendLimit {
  const v2 = speed * speed;
  const horizon = 10 + v2 / (2 * BEND_DECEL) * 1.5;
  const here = Math.max(4, speed);
  // Softening distance: a small excess over a bend's speed asks for mild braking, not a jolt.
  const soft = 1 + 0.5 * speed;
  _bend.accel = Infinity;
  let here2 = Infinity;
  let p = 0;
  let lane = network.lanes[plan[0]];
  let at = Math.max(s, 0);
  for (let travelled = 0; travelled <= horizon; travelled += 2, at += 2) {
    while (at > lane.path.length || lane.path.maxCurvature < 1e-4) {
      // A straight lane has no bend to slow for: skip to its end.
      if (lane.path.maxCurvature < 1e-4 && at <= lane.path.length) {
        const skip = Math.ceil((lane.path.length - at) / 2) * 2 + 2;
        travelled += skip;
        at += skip;
      }
      if (travelled > horizon || ++p >= plan.length) {
        _bend.speedHere = Math.sqrt(here2);
        return _bend;
      }
      at -= lane.path.length;
      lane = network.lanes[plan[p]];
    }
    const k = Math.abs(lane.path.curvatureAt(at));
    if (k < 1e-4) continue;
    const bend2 = COMFORT_LATERAL_ACCEL / k;
    if (travelled <= here && bend2 < here2) here2 = bend2;
    if (bend2 >= v2) continue;
    const a = (bend2 - v2) / (2 * (travelled + soft));
    if (a < _bend.accel) _bend.accel = a;
  }
  _bend.speedHere = Math.sqrt(here2);
  return _bend;
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

const _start: Neighbour = { actor: null, gap: Infinity };

/**
 * The speed a freshly placed vehicle may start at [m/s]: its current one, capped so that it can
 * settle behind its leader and stop or slow where it may have to. No faster than the IDM
 * equilibrium speed for the gap to its leader (nor than it could brake down to the leader's speed
 * from), than lets it stop at the first stop line ahead at the comfortable rate, or than the bends
 * ahead allow.
 */
export function startingSpeed(ctx: DrivingContext, self: Actor, plan: readonly number[], idm: IdmParams): number {
  let v = self.speed;
  const leader = ctx.occupancy.leader(self, plan, self.s, LOOKAHEAD, _start);
  if (leader.actor) {
    const gap = leader.actor.kind === 'obstacle' ? leader.gap - OBSTACLE_STANDOFF : leader.gap;
    const room = Math.max(0, gap - idm.minGap);
    v = Math.min(v, room / idm.timeHeadway, leader.actor.speed + Math.sqrt(2 * idm.decel * room));
  }
  const stop = firstStopAhead(ctx.network, plan, self.s, LOOKAHEAD);
  if (stop < Infinity) v = Math.min(v, Math.sqrt(2 * idm.decel * Math.max(0, stop - self.length / 2 - idm.minGap)));
  v = Math.min(v, bendLimit(ctx.network, plan, self.s, v).speedHere);
  // A bend close ahead must not ask for more than gentle braking (the estimate is softened).
  for (let k = 0; k < 30 && bendLimit(ctx.network, plan, self.s, v).accel < -1; k++) v *= 0.9;
  return v;
}

/**
 * Distance from `s` on plan[0] to the first stop point of any kind along the plan, whatever its
 * state (a light may turn red, a crossing fill), within `maxDist` [m], or Infinity.
 */
function firstStopAhead(network: RoadNetwork, plan: readonly number[], s: number, maxDist: number): number {
  let offset = 0;
  for (let p = 0; p < plan.length; p++) {
    const lane = network.lanes[plan[p]];
    for (const stop of lane.stops) {
      const dist = stop.s + offset - s;
      if (dist < 0) continue;
      return dist <= maxDist ? dist : Infinity;
    }
    offset += lane.path.length;
    if (offset - s > maxDist) return Infinity;
  }
  return Infinity;
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

/**
 * Pure-pursuit look-ahead distance [m]. Keeping a lane wants a short one, so that S-bends are not
 * cut; changing lanes wants a long one, so that the move across takes a few seconds and the
 * lateral acceleration stays comfortable.
 */
export function lookaheadDistance(speed: number, changingLanes = false): number {
  return changingLanes ? Math.min(Math.max(4 + 1.6 * speed, 8), 50) : Math.min(Math.max(4 + 0.9 * speed, 6), 30);
}

/** How far a pure-pursuit path may cut inside a bend [m] */
const MAX_CORNER_CUT = 0.3;

/**
 * The look-ahead shortened for the bends ahead: pure pursuit cuts a bend of radius R by about
 * ld²/(8R), so in a tight junction turn a look-ahead chosen for speed would leave the lane.
 */
export function bendLookahead(network: RoadNetwork, plan: readonly number[], s: number, lookahead: number): number {
  let kMax = 0;
  let at = Math.max(s, 0);
  let travelled = 0;
  for (let p = 0; p < plan.length && travelled <= lookahead; p++) {
    const path = network.lanes[plan[p]].path;
    if (path.maxCurvature > kMax) {
      for (let u = at; u <= path.length && travelled + u - at <= lookahead; u += 1) {
        const k = Math.abs(path.curvatureAt(u));
        if (k > kMax) kMax = k;
      }
    }
    travelled += path.length - at;
    at = 0;
  }
  if (kMax < 1e-4) return lookahead;
  return Math.min(lookahead, Math.max(3, Math.sqrt((8 * MAX_CORNER_CUT) / kMax)));
}

const _follower: Neighbour = { actor: null, gap: Infinity };
const _newLeader: Neighbour = { actor: null, gap: Infinity };
const _proj = newProjection();
const _plan2: number[] = [0];

/**
 * MOBIL over the lanes beside `self`'s lane: the neighbour worth changing into, or NO_LANE.
 * The followers' accelerations are judged with their own speed + 2 m/s as desired speed, since
 * their real one is unknown to the driver deciding.
 */
export function chooseLane(ctx: DrivingContext, self: Actor, plan: readonly number[], desiredSpeed: number, idm: IdmParams, mobil: MobilParams): number {
  const lane = ctx.network.lanes[self.lane];
  if (lane.path.length - self.s < 20) return NO_LANE;
  const occ = ctx.occupancy;
  const own = drivingAccel(ctx, self, plan, self.s, desiredSpeed, idm);
  occ.follower(self, self.lane, self.s, 80, _follower);
  const oldF = _follower.actor;
  const oldGap = _follower.gap;
  const oldFollowerNow = oldF ? idmAccel(idm, oldF.speed, oldF.speed + 2, oldGap, self.speed) : 0;
  const oldFollowerAfter = oldF ? idmAccel(idm, oldF.speed, oldF.speed + 2, Infinity, 0) : 0;
  let best = 0;
  let bestLane = NO_LANE;
  for (let side = 0; side < 2; side++) {
    const candidate = side === 0 ? lane.right : lane.left;
    if (candidate === NO_LANE) continue;
    const target = ctx.network.lanes[candidate];
    const s2 = target.path.project(self.x, self.y, _proj, self.s).s;
    // The change needs room to finish on the target lane: about one and a half look-aheads.
    if (s2 < 0 || target.path.length - s2 < Math.max(30, 1.5 * lookaheadDistance(self.speed, true))) continue;
    _plan2[0] = candidate;
    // MOBIL looks at accelerations now; nobody moves into a lane blocked a little way ahead.
    if (obstacleWithin(ctx, candidate, s2, Math.max(50, 4 * self.speed))) continue;
    const selfAfter = drivingAccel(ctx, self, _plan2, s2, desiredSpeed, idm);
    occ.leader(self, _plan2, s2, LOOKAHEAD, _newLeader);
    if (_newLeader.gap < 2) continue;
    occ.follower(self, candidate, s2, 80, _follower);
    if (_follower.gap < 2) continue;
    const nf = _follower.actor;
    const leader = _newLeader.actor;
    const gapWithout = leader ? _follower.gap + self.length + _newLeader.gap : Infinity;
    const newFollowerNow = nf ? idmAccel(idm, nf.speed, nf.speed + 2, gapWithout, leader ? leader.speed : 0) : 0;
    const newFollowerAfter = nf ? idmAccel(idm, nf.speed, nf.speed + 2, _follower.gap, self.speed) : 0;
    const incentive = mobilIncentive(
      mobil,
      { self: own, selfAfter, newFollower: newFollowerNow, newFollowerAfter, oldFollower: oldFollowerNow, oldFollowerAfter },
      side === 0,
    );
    if (incentive > best) {
      best = incentive;
      bestLane = candidate;
    }
  }
  return bestLane;
}

/**
 * Whether a lane change under way has become unsafe: someone now sits in the target lane close
 * behind, or would have to brake harder than MOBIL's b_safe for the changer. Two drivers can pick
 * the same gap at the same moment; the one that sees it first backs off.
 */
export function laneChangeUnsafe(ctx: DrivingContext, self: Actor, target: number, sOnTarget: number, idm: IdmParams, mobil: MobilParams): boolean {
  ctx.occupancy.follower(self, target, sOnTarget, 60, _follower);
  const f = _follower.actor;
  if (!f) return false;
  if (_follower.gap < 1.5) return true;
  return idmAccel(idm, f.speed, f.speed + 2, _follower.gap, self.speed) < -mobil.safeDecel;
}

/** Scratch footprint of a body stretched forward over a sweep */
const _sweep: Footprint = { x: 0, y: 0, heading: 0, length: 0, width: 0 };

/**
 * Whether `self`'s footprint, moved `advance` metres along its heading and grown by a 0.15 m
 * margin, overlaps `other`'s footprint.
 */
export function sweepHits(self: Actor, other: Actor, advance: number): boolean {
  // Stretch the box forward over the whole sweep: centre half-way, length grown by the advance.
  _sweep.x = self.x + (Math.cos(self.heading) * advance) / 2;
  _sweep.y = self.y + (Math.sin(self.heading) * advance) / 2;
  _sweep.heading = self.heading;
  _sweep.length = self.length + advance + 0.3;
  _sweep.width = self.width + 0.3;
  return footprintsOverlap(_sweep, other);
}

/** A static obstacle within 30 m ahead along `plan`: a lane change away from it cannot be undone. */
export function obstacleAhead(ctx: DrivingContext, self: Actor, plan: readonly number[], s: number): boolean {
  return ctx.occupancy.leader(self, plan, s, 30, _newLeader).actor?.kind === 'obstacle';
}

/** A static obstacle on `lane` between `s` and `s + dist` (or on its first successors). */
function obstacleWithin(ctx: DrivingContext, lane: number, s: number, dist: number): boolean {
  let offset = 0;
  for (let depth = 0; depth < 3 && lane !== NO_LANE; depth++) {
    const entries = ctx.occupancy.entries(lane);
    for (let k = 0; k < entries.length; k++) {
      const ahead = entries[k].s + offset - s;
      if (ahead > 0 && ahead < dist && entries[k].actor.kind === 'obstacle') return true;
    }
    const l = ctx.network.lanes[lane];
    offset += l.path.length;
    if (offset - s > dist || l.next.length === 0) return false;
    lane = l.next[0];
  }
  return false;
}
