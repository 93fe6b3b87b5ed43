/**
 * Who is on which lane, sorted by arc length, rebuilt once per step. Leader and follower queries
 * walk a vehicle's planned lanes through it.
 *
 * Besides each actor's own lane, an actor is listed where it matters to others:
 * - on its second lane while it straddles two (a lane change);
 * - on the lane a zipper-merge lane blends into, and the other way round;
 * - on a lane where several lanes converge, at a negative arc length, while it is near the end of
 *   one of the converging lanes, so that traffic on the others sees it coming;
 * - on the other branches of a fork, just past it, while its body still covers them.
 */
import type { Actor } from '../world/actors.ts';
import { newProjection } from '../road/Path.ts';
import { NO_LANE, type RoadNetwork } from '../road/RoadNetwork.ts';

export interface LaneEntry {
  actor: Actor;
  /** Arc length on this lane [m]; negative for an actor still on a lane converging into it */
  s: number;
}

/** A leader or follower found by a query; `gap` is bumper to bumper along the lanes [m]. */
export interface Neighbour {
  actor: Actor | null;
  gap: number;
}

/** How far before a convergence actors are shown on the lane they converge into [m] */
const CONVERGE_LOOKBACK = 30;
/** How far past a fork actors are looked for on the branches they did not take [m] */
const DIVERGE_SPAN = 15;

export class LaneOccupancy {
  private readonly lists: LaneEntry[][];
  private readonly pool: LaneEntry[] = [];
  private used = 0;
  private readonly proj = newProjection();

  /** For each zipper-merge lane, the target lane's arc length at the merge lane's start [m] */
  private readonly mergeStart: Float64Array;

  constructor(private readonly network: RoadNetwork) {
    this.lists = network.lanes.map(() => []);
    this.mergeStart = new Float64Array(network.lanes.length);
    for (const lane of network.lanes) {
      if (!lane.mergesInto) continue;
      const target = network.lanes[lane.mergesInto.lane];
      this.mergeStart[lane.id] = target.path.project(lane.path.xs[0], lane.path.ys[0], this.proj).s;
    }
  }

  entries(lane: number): readonly LaneEntry[] {
    return this.lists[lane];
  }

  rebuild(actors: readonly Actor[]): void {
    for (const list of this.lists) list.length = 0;
    this.used = 0;
    const lanes = this.network.lanes;
    for (let i = 0; i < actors.length; i++) {
      const a = actors[i];
      if (!a.active || a.lane === NO_LANE || a.kind === 'pedestrian') continue;
      this.add(a.lane, a, a.s);
      if (a.lane2 !== NO_LANE && a.lane2 !== a.lane) this.add(a.lane2, a, a.s2);
    }
    // Zipper merges and convergences, from the lists built so far.
    for (const lane of lanes) {
      if (lane.mergesInto) {
        const target = lanes[lane.mergesInto.lane];
        const own = this.lists[lane.id];
        const theirs = this.lists[target.id];
        const nOwn = own.length, nTheirs = theirs.length;
        // One affine map between the two lanes' arc lengths, used both ways, so that of two cars
        // side by side exactly one is ahead of the other whichever lane it is seen from.
        const offset = this.mergeStart[lane.id];
        for (let k = 0; k < nOwn; k++) {
          const e = own[k];
          if (e.s < lane.mergesInto.fromS) continue;
          this.add(target.id, e.actor, offset + e.s);
        }
        for (let k = 0; k < nTheirs; k++) {
          const e = theirs[k];
          const s = e.s - offset;
          if (s <= 0 || s >= lane.path.length) continue;
          lane.path.project(e.actor.x, e.actor.y, this.proj, s);
          if (Math.abs(this.proj.d) < 2 * lane.width) this.add(lane.id, e.actor, s);
        }
      }
      if (lane.next.length > 1) this.addDivergence(lane.next);
      if (lane.prev.length > 1) {
        for (const p of lane.prev) {
          const from = lanes[p];
          const list = this.lists[p];
          for (let k = 0; k < list.length; k++) {
            const e = list[k];
            if (e.s > from.path.length - CONVERGE_LOOKBACK && e.s <= from.path.length) this.add(lane.id, e.actor, e.s - from.path.length);
          }
        }
      }
    }
    for (const list of this.lists) if (list.length > 1) list.sort(byS);
  }

  /**
   * Lanes that fork from one lane overlap near the fork: an actor just past it on one branch is
   * also listed on the others while its body still covers them.
   */
  private addDivergence(branches: readonly number[]): void {
    const lanes = this.network.lanes;
    for (const from of branches) {
      const list = this.lists[from];
      const n = list.length;
      for (let k = 0; k < n; k++) {
        const e = list[k];
        if (e.s > DIVERGE_SPAN || e.s < 0) continue;
        for (const to of branches) {
          if (to === from) continue;
          const other = lanes[to];
          other.path.project(e.actor.x, e.actor.y, this.proj, e.s);
          // The body's half extent across that branch: a car turned against it reaches farther than half its width.
          const angle = this.proj.heading - e.actor.heading;
          const across = (e.actor.length * Math.abs(Math.sin(angle)) + e.actor.width * Math.abs(Math.cos(angle))) / 2;
          if (this.proj.s >= 0 && this.proj.s <= other.path.length && Math.abs(this.proj.d) < other.width / 2 + across) this.add(to, e.actor, this.proj.s);
        }
      }
    }
  }

  private add(lane: number, actor: Actor, s: number): void {
    const list = this.lists[lane];
    for (let k = 0; k < list.length; k++) if (list[k].actor === actor) return;
    let e = this.pool[this.used];
    if (!e) this.pool.push((e = { actor, s }));
    e.actor = actor;
    e.s = s;
    this.used++;
    list.push(e);
  }

  /**
   * The nearest actor ahead of `self` along `plan` (lane ids, starting with the lane where `s` is
   * measured), within `maxDist` [m]. Writes into `out`.
   */
  leader(self: Actor, plan: readonly number[], s: number, maxDist: number, out: Neighbour): Neighbour {
    out.actor = null;
    out.gap = Infinity;
    let offset = 0;
    for (let p = 0; p < plan.length; p++) {
      const list = this.lists[plan[p]];
      for (let k = 0; k < list.length; k++) {
        const e = list[k];
        if (e.actor === self) continue;
        const ahead = e.s + offset - s;
        if (ahead < 0 || (ahead === 0 && e.actor.id < self.id)) continue;
        if (ahead > maxDist) return out;
        out.actor = e.actor;
        out.gap = ahead - (self.length + e.actor.length) / 2;
        return out;
      }
      offset += this.network.lanes[plan[p]].path.length;
      if (offset - s > maxDist) return out;
    }
    return out;
  }

  /** The nearest actor behind arc length `s` on `lane` (and on the lane before it), within `maxDist`. */
  follower(self: Actor, lane: number, s: number, maxDist: number, out: Neighbour): Neighbour {
    out.actor = null;
    out.gap = Infinity;
    let offset = 0;
    let current = lane;
    for (let depth = 0; depth < 3 && current !== NO_LANE; depth++) {
      const list = this.lists[current];
      for (let k = list.length - 1; k >= 0; k--) {
        const e = list[k];
        if (e.actor === self) continue;
        const behind = s - (e.s + offset);
        if (behind < 0 || (behind === 0 && e.actor.id > self.id)) continue;
        if (behind > maxDist) return out;
        out.actor = e.actor;
        out.gap = behind - (self.length + e.actor.length) / 2;
        return out;
      }
      const prev = this.network.lanes[current].prev;
      if (prev.length === 0) return out;
      current = prev[0];
      offset -= this.network.lanes[current].path.length;
      if (s - offset > maxDist) return out;
    }
    return out;
  }
}

function byS(a: LaneEntry, b: LaneEntry): number {
  return a.s - b.s || a.actor.id - b.actor.id;
}
