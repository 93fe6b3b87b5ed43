/**
 * Right of way: which stop points along a vehicle's planned lanes it must obey now. Signals,
 * zebra crossings, give-way lines and all-way stops all become a distance to a virtual stopped
 * car that the car-following model then brakes for.
 */
import { NO_LANE, type RoadNetwork, type StopPoint } from '../road/RoadNetwork.ts';
import type { Actor } from '../world/actors.ts';
import type { LaneOccupancy, Neighbour } from './LaneOccupancy.ts';

/** Deceleration a driver accepts to stop for a yellow light [m/s²] */
const YELLOW_DECEL = 4;
/** Deceleration beyond which a driver cannot stop in time and goes on [m/s²] */
const CANNOT_STOP_DECEL = 7;
/** Smallest gap to priority traffic accepted at a give-way line [s] */
const YIELD_GAP = 3.5;
/** Headway left to priority traffic behind a vehicle that has just merged in front of it [s] */
const YIELD_HEADWAY = 1.5;
/** How a driver pulls away from a give-way line: acceleration [m/s²] up to a speed [m/s] */
const ENTRY_ACCEL = 1.5;
const ENTRY_SPEED = 6;
/** Give-way lines are judged only within this distance [m] */
const YIELD_HORIZON = 30;
/**
 * A vehicle has arrived at an all-way stop when it is the first of its queue and has come to a
 * stop below this speed within this distance of the line [m/s], [m]. Drivers stop a car-following
 * gap short of the line, so the distance covers a body length plus that gap.
 */
const STOPPED_SPEED = 0.5;
const ARRIVAL_DIST = 10;
/** An arrival nobody has asked about for this long is forgotten [s] */
const ARRIVAL_EXPIRY = 0.5;

export class TrafficRules {
  time = 0;
  /** Pedestrians on each crosswalk, written by the pedestrian model each step */
  readonly crosswalkUsers: Int32Array;
  /** Junction group (approach arm) each connector lane comes from, or −1 */
  private readonly connectorGroup: Int32Array;
  /** Vehicles inside the junction per group */
  private readonly boxCount: Int32Array;
  /**
   * All-way stop: when each waiting vehicle came to a stop, from which group, and when it
   * last asked to go; an entry not asked about for a while belongs to a vehicle that went away.
   */
  private readonly arrivals = new Map<number, { time: number; group: number; seen: number }>();
  private readonly nb: Neighbour = { actor: null, gap: Infinity };

  constructor(
    private readonly network: RoadNetwork,
    private readonly occupancy: LaneOccupancy,
  ) {
    this.crosswalkUsers = new Int32Array(network.crosswalks.length);
    this.connectorGroup = new Int32Array(network.lanes.length).fill(-1);
    let groups = 0;
    for (const lane of network.lanes) {
      for (const stop of lane.stops) {
        if (stop.kind !== 'signal' && stop.kind !== 'allway') continue;
        groups = Math.max(groups, stop.group + 1);
        for (const next of lane.next) if (network.lanes[next].kind === 'connector') this.connectorGroup[next] = stop.group;
      }
    }
    this.boxCount = new Int32Array(groups);
  }

  /** Counts who is inside each junction; call once per step after the occupancy is rebuilt. */
  update(time: number, actors: readonly Actor[]): void {
    this.time = time;
    this.boxCount.fill(0);
    for (const a of actors) {
      if (!a.active || a.lane === NO_LANE) continue;
      const g = this.connectorGroup[a.lane];
      if (g >= 0) {
        this.boxCount[g]++;
        this.arrivals.delete(a.id);
      }
    }
    // A vehicle that left its approach without entering the junction (taken off the road, or an
    // ego that drove elsewhere) must not hold the others back.
    for (const [id, arrival] of this.arrivals) if (time - arrival.seen > ARRIVAL_EXPIRY) this.arrivals.delete(id);
  }

  /**
   * Distance from `s` on plan[0] to the first stop point `self` must halt at within `maxDist` [m],
   * or Infinity.
   */
  stopDistance(self: Actor, plan: readonly number[], s: number, maxDist: number): number {
    let offset = 0;
    for (let p = 0; p < plan.length; p++) {
      const lane = this.network.lanes[plan[p]];
      for (const stop of lane.stops) {
        const dist = stop.s + offset - s;
        if (dist < -0.5) continue;
        if (dist > maxDist) return Infinity;
        if (this.mustStop(stop, self, Math.max(dist, 0), plan, s)) return Math.max(dist, 0);
      }
      offset += lane.path.length;
      if (offset - s > maxDist) return Infinity;
    }
    return Infinity;
  }

  private mustStop(stop: StopPoint, self: Actor, dist: number, plan: readonly number[], s: number): boolean {
    const v = Math.max(self.speed, 0);
    const neededDecel = (v * v) / (2 * Math.max(dist, 0.1));
    switch (stop.kind) {
      case 'signal': {
        const plan = this.network.signalPlan;
        const state = plan ? plan.state(stop.group, this.time) : 'green';
        if (state === 'green') return this.boxBusy(stop.group) && neededDecel < CANNOT_STOP_DECEL;
        if (state === 'yellow') return neededDecel < YELLOW_DECEL;
        return neededDecel < CANNOT_STOP_DECEL;
      }
      case 'crosswalk':
        return this.crosswalkUsers[stop.crosswalk] > 0 && neededDecel < CANNOT_STOP_DECEL;
      case 'yield':
        return dist < YIELD_HORIZON && this.priorityTrafficNear(stop, self, dist);
      case 'allway':
        return !this.allwayClear(stop.group, self, dist, plan, s);
    }
  }

  private boxBusy(group: number): boolean {
    for (let g = 0; g < this.boxCount.length; g++) if (g !== group && this.boxCount[g] > 0) return true;
    return false;
  }

  private allwayClear(group: number, self: Actor, dist: number, plan: readonly number[], s: number): boolean {
    let arrival = this.arrivals.get(self.id);
    if (!arrival) {
      if (self.speed > STOPPED_SPEED || dist > ARRIVAL_DIST) return false;
      // Only the first car of a queue has arrived; the ones behind it wait their turn.
      if (this.occupancy.leader(self, plan, s, dist, this.nb).actor) return false;
      arrival = { time: this.time, group, seen: this.time };
      this.arrivals.set(self.id, arrival);
    }
    arrival.seen = this.time;
    if (this.boxBusy(group)) return false;
    for (const [id, other] of this.arrivals) {
      if (id === self.id || other.group === group) continue;
      if (other.time < arrival.time || (other.time === arrival.time && id < self.id)) return false;
    }
    return true;
  }

  /**
   * True while a vehicle on a priority lane is at the conflict point, or would reach it before
   * `self` could get there and leave it a following headway. `self` is assumed to pull away at a
   * moderate acceleration up to a moderate speed, as drivers entering a junction do.
   */
  private priorityTrafficNear(stop: Extract<StopPoint, { kind: 'yield' }>, self: Actor, dist: number): boolean {
    const needed = Math.max(YIELD_GAP, timeToCover(dist + stop.toConflict, self.speed) + YIELD_HEADWAY);
    for (const { lane, conflictS } of stop.priority) {
      const priorityLane = this.network.lanes[lane];
      const entries = this.occupancy.entries(lane);
      for (let k = 0; k < entries.length; k++) {
        const e = entries[k];
        if (e.actor.kind === 'obstacle' || e.actor === self) continue;
        const toConflict = conflictS - e.s;
        if (toConflict < -(e.actor.length / 2 + 3)) continue;
        // Traffic that leaves before the conflict point does not conflict.
        if (conflictS > priorityLane.path.length && e.actor.intent !== NO_LANE && !stop.priority.some((p) => p.lane === e.actor.intent)) continue;
        if (toConflict <= e.actor.length / 2 + 3) return true;
        if (toConflict / Math.max(e.actor.speed, 2) < needed) return true;
      }
    }
    return false;
  }
}

/**
 * Time to cover `dist` [m] from `speed` [m/s], accelerating at ENTRY_ACCEL up to ENTRY_SPEED (or
 * holding a higher speed) [s].
 */
function timeToCover(dist: number, speed: number): number {
  const v0 = Math.max(speed, 0);
  if (v0 >= ENTRY_SPEED) return dist / v0;
  const dAccel = (ENTRY_SPEED * ENTRY_SPEED - v0 * v0) / (2 * ENTRY_ACCEL);
  if (dist <= dAccel) return (Math.sqrt(v0 * v0 + 2 * ENTRY_ACCEL * dist) - v0) / ENTRY_ACCEL;
  return (ENTRY_SPEED - v0) / ENTRY_ACCEL + (dist - dAccel) / ENTRY_SPEED;
}
