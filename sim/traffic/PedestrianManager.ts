/**
 * Pedestrians: each belongs to a zebra crossing, waits on the kerb, crosses when the approaching
 * traffic leaves a safe gap, waits on the far side and comes back. Vehicles must stop for anyone
 * on a crossing (see `TrafficRules`).
 */
import type RAPIER from '@dimforge/rapier3d-compat';
import type { Rng } from '../rng.ts';
import type { RoadNetwork } from '../road/RoadNetwork.ts';
import { createActor, type Actor } from '../world/actors.ts';
import { createKinematicBody, driveKinematic } from '../world/physics.ts';
import type { LaneOccupancy } from './LaneOccupancy.ts';
import type { TrafficRules } from './TrafficRules.ts';

/** Time-to-arrival of the nearest vehicle a pedestrian accepts before stepping out [s] */
const CROSSING_GAP = 4.5;
/** A vehicle this close to the stop line and nearly stopped is waiting there [m] */
const WAITING_ZONE = 10;
/** Waiting time on the kerb between crossings [s] */
const WAIT = [2, 12] as const;
/** Walking speed [m/s] */
const WALK_SPEED = [1.1, 1.6] as const;

interface Walker {
  readonly actor: Actor;
  readonly body: RAPIER.RigidBody;
  readonly crosswalk: number;
  /** +1 walks the crosswalk path forward, −1 backward */
  dir: number;
  crossing: boolean;
  /** Distance walked on the crossing [m] */
  walked: number;
  /** Time at which the pedestrian is willing to cross again [s] */
  readyAt: number;
  /** Lateral place on the zebra [m] */
  readonly offset: number;
  readonly walkSpeed: number;
  /** Pose at the end of the current step */
  nx: number;
  ny: number;
  nh: number;
}

/** Lanes that pass a crossing, with the arc length of their stop line there. */
interface Approach {
  lane: number;
  stopS: number;
}

export class PedestrianManager {
  readonly walkers: Walker[] = [];
  private readonly approaches: Approach[][];
  private readonly pt = { x: 0, y: 0 };

  constructor(
    private readonly network: RoadNetwork,
    private readonly occupancy: LaneOccupancy,
    private readonly rules: TrafficRules,
    private readonly physics: RAPIER.World,
    private readonly rng: Rng,
  ) {
    this.approaches = network.crosswalks.map(() => []);
    for (const lane of network.lanes) {
      for (const stop of lane.stops) {
        if (stop.kind === 'crosswalk') this.approaches[stop.crosswalk].push({ lane: lane.id, stopS: stop.s });
      }
    }
  }

  spawn(count: number, nextId: number): Actor[] {
    const crosswalks = this.network.crosswalks;
    if (crosswalks.length === 0) return [];
    const out: Actor[] = [];
    for (let i = 0; i < count; i++) {
      const actor = createActor(nextId + i, 'pedestrian', 'adult');
      const crosswalk = crosswalks[i % crosswalks.length];
      const dir = this.rng.next() < 0.5 ? 1 : -1;
      const offset = this.rng.uniform(-0.35, 0.35) * crosswalk.width;
      const p = crosswalk.path.toWorld(dir > 0 ? 0 : crosswalk.path.length, offset, this.pt);
      actor.x = p.x;
      actor.y = p.y;
      actor.heading = crosswalk.path.headingAt(0) + (dir > 0 ? 0 : Math.PI);
      const walker: Walker = {
        actor, body: createKinematicBody(this.physics, actor), crosswalk: crosswalk.id, dir, crossing: false, walked: 0,
        readyAt: this.rng.uniform(0, WAIT[1]), offset, walkSpeed: this.rng.uniform(WALK_SPEED[0], WALK_SPEED[1]),
        nx: p.x, ny: p.y, nh: actor.heading,
      };
      this.walkers.push(walker);
      out.push(actor);
    }
    return out;
  }

  /** Decides every pedestrian's motion for the step and counts who is on each crossing. */
  decide(time: number, dt: number): void {
    this.rules.crosswalkUsers.fill(0);
    for (const w of this.walkers) {
      const path = this.network.crosswalks[w.crosswalk].path;
      const a = w.actor;
      if (!w.crossing && time >= w.readyAt && this.gapIsSafe(w.crosswalk)) {
        w.crossing = true;
        w.walked = 0;
      }
      if (w.crossing) {
        this.rules.crosswalkUsers[w.crosswalk]++;
        w.walked = Math.min(w.walked + w.walkSpeed * dt, path.length);
        a.speed = w.walkSpeed;
      } else {
        a.speed = 0;
      }
      const along = w.dir > 0 ? w.walked : path.length - w.walked;
      const p = path.toWorld(along, w.offset, this.pt);
      w.nx = p.x;
      w.ny = p.y;
      w.nh = path.headingAt(along) + (w.dir > 0 ? 0 : Math.PI);
      if (w.crossing && w.walked >= path.length) {
        w.crossing = false;
        w.dir = -w.dir;
        w.walked = 0;
        w.readyAt = time + this.rng.uniform(WAIT[0], WAIT[1]);
      }
      driveKinematic(this.physics, w.body, a, w.nx, w.ny, w.nh, dt);
    }
  }

  commit(dt: number): void {
    for (const w of this.walkers) {
      const a = w.actor;
      let dh = w.nh - a.heading;
      dh = Math.atan2(Math.sin(dh), Math.cos(dh));
      a.yawRate = dh / dt;
      a.x = w.nx;
      a.y = w.ny;
      a.heading = w.nh;
    }
  }

  /** No vehicle is on the crossing or will reach its stop line within the accepted gap. */
  private gapIsSafe(crosswalk: number): boolean {
    const lanes = this.network.lanes;
    for (const { lane, stopS } of this.approaches[crosswalk]) {
      if (!this.laneClear(lane, stopS, 0)) return false;
      for (const prev of lanes[lane].prev) {
        if (!this.laneClear(prev, stopS, lanes[prev].path.length)) return false;
      }
    }
    return true;
  }

  /** `offset` is the distance from the start of `lane` to the start of the lane holding the stop. */
  private laneClear(lane: number, stopS: number, offset: number): boolean {
    const entries = this.occupancy.entries(lane);
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k];
      if (e.actor.kind !== 'vehicle' && e.actor.kind !== 'ego') continue;
      const toStop = stopS + offset - e.s;
      // On the crossing itself, or just past the stop line.
      if (toStop < 0 && toStop > -(8 + e.actor.length)) return false;
      if (toStop >= 0 && toStop / Math.max(e.actor.speed, 0.5) < CROSSING_GAP) return false;
      // A driver waiting at the line gets a turn: nobody new steps out in front of it.
      if (toStop >= 0 && toStop < WAITING_ZONE && e.actor.speed < 1) return false;
    }
    return true;
  }
}
