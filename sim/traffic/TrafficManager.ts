/**
 * NPC vehicles: kinematic Rapier bodies driven by IDM car following, MOBIL lane changes and a
 * pure-pursuit lane follower on a kinematic bicycle model. Vehicles that reach the end of the
 * network re-enter at a source lane once there is room.
 */
import type RAPIER from '@dimforge/rapier3d-compat';
import type { Scenario } from '../../scenarios/schema.ts';
import { newProjection } from '../road/Path.ts';
import { NO_LANE, type Lane } from '../road/RoadNetwork.ts';
import type { Rng } from '../rng.ts';
import { createActor, type Actor } from '../world/actors.ts';
import { createKinematicBody, driveKinematic, parkBody } from '../world/physics.ts';
import { bendLookahead, chooseLane, drivingAccel, startingSpeed, laneChangeAccel, laneChangeUnsafe, obstacleAhead, lookaheadDistance, LOOKAHEAD, pointAhead, purePursuit, type DrivingContext } from './driving.ts';
import { DEFAULT_IDM, type IdmParams } from './idm.ts';
import type { Neighbour } from './LaneOccupancy.ts';
import { DEFAULT_MOBIL, type MobilParams } from './mobil.ts';
import { placeOnLane, placeRandomly, SPAWN_GAP, spotIsClear, spreadSlots } from './placement.ts';

const WHEEL_BASE = 2.8;
const MAX_STEER = 0.6;
/** Hardest lateral acceleration an NPC driver steers for [m/s²]; bends are entered slower than this */
export const MAX_LATERAL_ACCEL = 4;
/** Seconds between a driver's lane-change decisions */
const MOBIL_PERIOD = 1;
/** Clear road needed in front of a source lane's start to re-enter [m] */
const ENTRY_CLEARANCE = 30;
/** Standstill beside or behind an obstacle after which a vehicle leaves the road [s] */
const JAM_TIMEOUT = 15;
/** Below this a vehicle is standing still [m/s] */
const STANDSTILL = 0.1;
/** Arc length at which a vehicle re-enters a source lane [m] */
const ENTRY_S = 3;

interface Npc {
  readonly actor: Actor;
  readonly body: RAPIER.RigidBody;
  /** Lanes ahead, plan[0] being the lane the vehicle is on */
  plan: number[];
  /** Lane being changed into, until the centre crosses the line, or NO_LANE */
  changingTo: number;
  /** Lane just left, while the body still overlaps it, or NO_LANE */
  leaving: number;
  desiredSpeed: number;
  readonly idm: IdmParams;
  nextDecision: number;
  /** Time the vehicle has been stuck in a jam it cannot leave [s] */
  stuckFor: number;
  /** Time the vehicle has been standing still, for whatever reason [s] */
  waited: number;
  /** Pose at the end of the current step */
  nx: number;
  ny: number;
  nh: number;
  nv: number;
}

/** How traffic has flowed this episode. */
export interface TrafficStats {
  /** Vehicles that drove off the end of the network */
  exits: number;
  /** Vehicles taken off the road after standing in a jam they could not leave */
  jamRemovals: number;
  /** Longest time any vehicle stood still without a break [s] */
  longestWait: number;
}

export class TrafficManager {
  readonly npcs: Npc[] = [];
  readonly stats: TrafficStats = { exits: 0, jamRemovals: 0, longestWait: 0 };
  private readonly mobil: MobilParams;
  private readonly proj = newProjection();
  private readonly pt = { x: 0, y: 0 };
  private readonly nb: Neighbour = { actor: null, gap: Infinity };
  private readonly sourceLanes: number[];
  /** Scratch one-lane plan for the lane being changed into */
  private readonly targetPlan: number[] = [0];

  constructor(
    private readonly ctx: DrivingContext,
    private readonly physics: RAPIER.World,
    private readonly rng: Rng,
    private readonly spec: Scenario['traffic'],
    /** Every actor of the world, for clearance checks when vehicles re-enter */
    private readonly actors: readonly Actor[],
  ) {
    this.mobil = { ...DEFAULT_MOBIL, politeness: spec.politeness };
    this.sourceLanes = ctx.network.sources.filter((id) => ctx.network.lanes[id].kind === 'lane');
  }

  /**
   * Places up to `spec.vehicles` NPCs on the spawn lanes, clear of each other and of `keepClear`
   * (the ego and obstacles). Returns the vehicles placed; fewer than asked when the lanes are full.
   */
  spawn(spawnLanes: readonly number[], nextId: number, keepClear: readonly Actor[]): Actor[] {
    const lanes = spawnLanes.map((id) => this.ctx.network.lanes[id]);
    const placed: Actor[] = [];
    const others: Actor[] = [...keepClear];
    const slots = spreadSlots(lanes, this.spec.vehicles, this.rng);
    // Slots that clash with the ego, an obstacle or a crossing lane are retried anywhere.
    let retries = this.spec.vehicles - slots.length;
    for (const slot of slots) {
      const actor = createActor(nextId + placed.length, 'vehicle', this.rng.next() < 0.15 ? 'van' : 'car');
      if (spotIsClear(actor, slot.lane, slot.s, others, SPAWN_GAP, keepClear)) {
        placeOnLane(actor, slot.lane, slot.s);
        this.place(actor, placed, others);
      } else retries++;
    }
    for (; retries > 0; retries--) {
      const actor = createActor(nextId + placed.length, 'vehicle', this.rng.next() < 0.15 ? 'van' : 'car');
      if (!placeRandomly(actor, lanes, others, keepClear, this.rng)) break;
      this.place(actor, placed, others);
    }
    this.limitInitialSpeeds(keepClear);
    return placed;
  }

  private place(actor: Actor, placed: Actor[], others: Actor[]): void {
    const desiredSpeed = this.rng.uniform(this.spec.speed[0], this.spec.speed[1]);
    actor.speed = Math.min(desiredSpeed, this.ctx.network.lanes[actor.lane].speedLimit);
    this.adopt(actor, desiredSpeed);
    placed.push(actor);
    others.push(actor);
  }

  private adopt(actor: Actor, desiredSpeed: number): Npc {
    const body = createKinematicBody(this.physics, actor);
    const npc: Npc = {
      actor, body, plan: [actor.lane], changingTo: NO_LANE, leaving: NO_LANE, desiredSpeed,
      idm: { ...DEFAULT_IDM, timeHeadway: this.spec.timeHeadway },
      nextDecision: this.rng.uniform(0, MOBIL_PERIOD),
      stuckFor: 0,
      waited: 0,
      nx: actor.x, ny: actor.y, nh: actor.heading, nv: actor.speed,
    };
    this.extendPlan(npc);
    this.npcs.push(npc);
    return npc;
  }

  /**
   * Slows vehicles placed close behind another, or before a bend or a stop line, so that no one
   * starts needing more than comfortable braking. A car's cap depends on its leader's, so the
   * caps are applied front to back and repeated until none changes.
   */
  private limitInitialSpeeds(others: readonly Actor[]): void {
    this.ctx.occupancy.rebuild([...others, ...this.npcs.map((n) => n.actor)]);
    const order = [...this.npcs].sort((p, q) => q.actor.s - p.actor.s || p.actor.id - q.actor.id);
    for (let pass = 0; pass < order.length + 1; pass++) {
      let changed = false;
      for (const npc of order) {
        const before = npc.actor.speed;
        this.settleSpeed(npc);
        if (npc.actor.speed < before) changed = true;
      }
      if (!changed) break;
    }
  }

  /** Caps a freshly placed vehicle's speed to what it can start at (see `startingSpeed`). */
  private settleSpeed(npc: Npc): void {
    npc.nv = npc.actor.speed = startingSpeed(this.ctx, npc.actor, npc.plan, npc.idm);
  }

  /** Chooses the next lanes at branches until the plan covers the look-ahead. */
  private extendPlan(npc: Npc): void {
    const lanes = this.ctx.network.lanes;
    let covered = -npc.actor.s;
    for (const id of npc.plan) covered += lanes[id].path.length;
    while (covered < LOOKAHEAD) {
      const last = lanes[npc.plan[npc.plan.length - 1]];
      if (last.next.length === 0) break;
      const next = last.next.length === 1 ? last.next[0] : this.chooseBranch(last);
      npc.plan.push(next);
      covered += lanes[next].path.length;
    }
    npc.actor.intent = npc.plan.length > 1 ? npc.plan[1] : NO_LANE;
  }

  /** Picks a successor; on a ring, leaving is as likely as going on, so nobody circles long. */
  private chooseBranch(lane: Lane): number {
    return this.rng.pick(lane.next);
  }

  /** Decides every NPC's motion for the coming step and hands the velocities to Rapier. */
  decide(time: number, dt: number): void {
    for (const npc of this.npcs) {
      if (!npc.actor.active) {
        this.tryReenter(npc);
        continue;
      }
      if (this.jammed(npc, dt)) {
        this.stats.jamRemovals++;
        this.retire(npc);
        continue;
      }
      if (npc.changingTo !== NO_LANE && this.changeTurnedUnsafe(npc)) {
        // Someone took the gap first: stay in the lane.
        npc.changingTo = NO_LANE;
        npc.nextDecision = time + 2 * MOBIL_PERIOD;
      }
      if (this.spec.behavior === 'idm-mobil' && time >= npc.nextDecision) {
        npc.nextDecision = time + MOBIL_PERIOD;
        if (npc.changingTo === NO_LANE && npc.leaving === NO_LANE) this.considerLaneChange(npc);
      }
      this.integrate(npc, dt);
      driveKinematic(this.physics, npc.body, npc.actor, npc.nx, npc.ny, npc.nh, dt);
    }
  }

  /**
   * Makes the poses decided for this step current and locates every vehicle on its lanes again,
   * so that what the lane occupancy lists next agrees with where the bodies are.
   */
  commit(dt: number): void {
    for (const npc of this.npcs) {
      const a = npc.actor;
      if (!a.active) continue;
      let dh = npc.nh - a.heading;
      dh = Math.atan2(Math.sin(dh), Math.cos(dh));
      a.yawRate = dh / dt;
      a.accel = (npc.nv - a.speed) / dt;
      a.x = npc.nx;
      a.y = npc.ny;
      a.heading = npc.nh;
      a.speed = npc.nv;
      npc.waited = a.speed < STANDSTILL ? npc.waited + dt : 0;
      if (npc.waited > this.stats.longestWait) this.stats.longestWait = npc.waited;
      this.track(npc);
    }
  }

  /**
   * Updates lane, arc length and lateral offset from the pose; moves on to the next lane at the
   * end, and to the target lane once the centre crosses into it.
   */
  private track(npc: Npc): void {
    const a = npc.actor;
    const lanes = this.ctx.network.lanes;
    let lane = lanes[npc.plan[0]];
    lane.path.project(a.x, a.y, this.proj, a.s);
    while (this.proj.s > lane.path.length) {
      const over = this.proj.s - lane.path.length;
      npc.plan.shift();
      if (npc.plan.length === 0) {
        this.stats.exits++;
        this.retire(npc);
        return;
      }
      lane = lanes[npc.plan[0]];
      lane.path.project(a.x, a.y, this.proj, over);
    }
    a.lane = lane.id;
    a.s = this.proj.s;
    a.d = this.proj.d;
    a.lane2 = NO_LANE;
    if (npc.changingTo !== NO_LANE) {
      const target = lanes[npc.changingTo];
      target.path.project(a.x, a.y, this.proj, a.s);
      if (Math.abs(this.proj.d) < target.width / 2 || this.proj.s > target.path.length) {
        // The centre has crossed the line: the new lane is the vehicle's lane, the old one its second.
        npc.leaving = a.lane;
        npc.plan = [target.id];
        npc.changingTo = NO_LANE;
        a.lane = target.id;
        a.s = this.proj.s;
        a.d = this.proj.d;
      } else {
        a.lane2 = target.id;
        a.s2 = this.proj.s;
      }
    }
    if (a.lane2 === NO_LANE && npc.leaving === NO_LANE) this.straddle(a);
    if (npc.leaving !== NO_LANE) {
      const old = lanes[npc.leaving];
      old.path.project(a.x, a.y, this.proj, a.s);
      if (Math.abs(this.proj.d) > (old.width + a.width) / 2 || this.proj.s > old.path.length) {
        npc.leaving = NO_LANE;
      } else {
        a.lane2 = old.id;
        a.s2 = this.proj.s;
      }
    }
    this.extendPlan(npc);
  }

  /**
   * Stuck at a standstill beside or behind a static obstacle for longer than JAM_TIMEOUT: the
   * vehicle is taken out and re-enters later, as SUMO teleports vehicles out of jams. Queues at
   * signals and crossings are not jams.
   */
  private jammed(npc: Npc, dt: number): boolean {
    const a = npc.actor;
    if (a.speed > STANDSTILL) {
      npc.stuckFor = 0;
      return false;
    }
    const leader = this.ctx.occupancy.leader(a, npc.plan, a.s, 20, this.nb).actor;
    const blocked = a.lane2 !== NO_LANE || npc.changingTo !== NO_LANE || leader?.kind === 'obstacle';
    npc.stuckFor = blocked ? npc.stuckFor + dt : 0;
    return npc.stuckFor > JAM_TIMEOUT;
  }

  /**
   * Whether a lane change under way should be given up: the car has barely left its lane, and the
   * gap it aimed for is no longer safe. Past a static obstacle there is no going back.
   */
  private changeTurnedUnsafe(npc: Npc): boolean {
    const a = npc.actor;
    if (a.lane2 !== npc.changingTo || Math.abs(a.d) >= 0.3 * this.ctx.network.lanes[a.lane].width) return false;
    return !this.blockedByObstacle(npc) && laneChangeUnsafe(this.ctx, a, npc.changingTo, a.s2, npc.idm, this.mobil);
  }

  /** A static obstacle close ahead in the lane: there is no backing out of a change then. */
  private blockedByObstacle(npc: Npc): boolean {
    return obstacleAhead(this.ctx, npc.actor, npc.plan, npc.actor.s);
  }

  /** A body over the lane line, however it got there, also occupies the lane beside. */
  private straddle(a: Actor): void {
    const lane = this.ctx.network.lanes[a.lane];
    const dh = a.heading - lane.path.headingAt(a.s);
    const halfExtent = (a.length / 2) * Math.abs(Math.sin(dh)) + (a.width / 2) * Math.abs(Math.cos(dh));
    if (Math.abs(a.d) + halfExtent <= lane.width / 2) return;
    const side = a.d > 0 ? lane.left : lane.right;
    if (side === NO_LANE) return;
    a.lane2 = side;
    a.s2 = this.ctx.network.lanes[side].path.project(a.x, a.y, this.proj, a.s).s;
  }

  private considerLaneChange(npc: Npc): void {
    const a = npc.actor;
    const lane = chooseLane(this.ctx, a, npc.plan, npc.desiredSpeed, npc.idm, this.mobil);
    if (lane !== NO_LANE) npc.changingTo = lane;
  }

  /** Kinematic bicycle step with pure-pursuit steering toward the lane being followed. */
  private integrate(npc: Npc, dt: number): void {
    const a = npc.actor;
    let accel = drivingAccel(this.ctx, a, npc.plan, a.s, npc.desiredSpeed, npc.idm);
    let followPlan = npc.plan;
    let followS = a.s;
    if (npc.changingTo !== NO_LANE) {
      // Follow the target lane from the point beside the car, found afresh: the decision to
      // change may have been taken this very step.
      const lanes = this.ctx.network.lanes;
      const target = lanes[npc.changingTo];
      this.targetPlan.length = 1;
      this.targetPlan[0] = target.id;
      if (target.next.length === 1) this.targetPlan.push(target.next[0]);
      followPlan = this.targetPlan;
      followS = target.path.project(a.x, a.y, this.proj, a.s).s;
      const targetAccel = drivingAccel(this.ctx, a, followPlan, followS, npc.desiredSpeed, npc.idm);
      accel = laneChangeAccel(this.ctx, a, targetAccel, npc.plan, a.s, npc.desiredSpeed, npc.idm);
    }
    const network = this.ctx.network;
    const lookahead = bendLookahead(network, followPlan, followS, lookaheadDistance(a.speed, npc.changingTo !== NO_LANE || npc.leaving !== NO_LANE));
    const target = pointAhead(network, followPlan, followS, lookahead, this.pt);
    const v1 = Math.max(0, a.speed + accel * dt);
    // Steering within the tyres' comfortable grip at this speed, and the wheels' lock.
    const vMax = Math.max(a.speed, v1, 1);
    const steerLimit = Math.min(MAX_STEER, Math.atan((MAX_LATERAL_ACCEL * WHEEL_BASE) / (vMax * vMax)));
    const steer = Math.max(-steerLimit, Math.min(steerLimit, purePursuit(a.x, a.y, a.heading, target, WHEEL_BASE)));
    const vMean = (a.speed + v1) / 2;
    const yawRate = (vMean / WHEEL_BASE) * Math.tan(steer);
    const hMid = a.heading + (yawRate * dt) / 2;
    npc.nx = a.x + Math.cos(hMid) * vMean * dt;
    npc.ny = a.y + Math.sin(hMid) * vMean * dt;
    npc.nh = a.heading + yawRate * dt;
    npc.nv = v1;
  }

  private retire(npc: Npc): void {
    const a = npc.actor;
    a.active = false;
    a.lane = NO_LANE;
    a.lane2 = NO_LANE;
    a.speed = 0;
    npc.changingTo = NO_LANE;
    npc.leaving = NO_LANE;
    npc.stuckFor = 0;
    npc.waited = 0;
    parkBody(npc.body, a.id);
  }

  /**
   * Puts a retired vehicle back at the start of a source lane when its first stretch is clear,
   * judged against where every body is now, including vehicles that re-entered earlier this step.
   */
  private tryReenter(npc: Npc): void {
    if (this.sourceLanes.length === 0) return;
    const lane = this.ctx.network.lanes[this.rng.pick(this.sourceLanes)];
    const entries = this.ctx.occupancy.entries(lane.id);
    for (let k = 0; k < entries.length; k++) if (entries[k].s < ENTRY_CLEARANCE) return;
    const a = npc.actor;
    if (!spotIsClear(a, lane, ENTRY_S, this.actors, ENTRY_CLEARANCE)) return;
    placeOnLane(a, lane, ENTRY_S);
    a.speed = Math.min(npc.desiredSpeed, lane.speedLimit);
    a.active = true;
    npc.nx = a.x;
    npc.ny = a.y;
    npc.nh = a.heading;
    npc.plan = [lane.id];
    this.extendPlan(npc);
    this.settleSpeed(npc);
    driveKinematic(this.physics, npc.body, a, a.x, a.y, a.heading, 1);
  }
}
