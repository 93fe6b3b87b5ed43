/** The ego's planned lanes from where it is now, for rules and planners that walk lanes ahead. */
import type { World } from './World.ts';

export interface EgoPlan {
  /** Route lanes from the one the ego is on */
  lanes: readonly number[];
  /** Arc length on lanes[0] [m] */
  s: number;
}

const cache = new WeakMap<World, { cum: Float64Array; plans: (readonly number[])[]; out: EgoPlan }>();

/**
 * Where the ego is along its route, expressed as a lane plan (route lanes, not lane changes).
 * The result is reused by the next call for the same world: read it, do not keep it.
 */
export function egoPlan(world: World): EgoPlan {
  let c = cache.get(world);
  if (!c) {
    const lanes = world.routeLanes;
    const cum = new Float64Array(lanes.length + 1);
    for (let i = 0; i < lanes.length; i++) cum[i + 1] = cum[i] + world.network.lanes[lanes[i]].path.length;
    c = { cum, plans: lanes.map((_, i) => lanes.slice(i)), out: { lanes, s: 0 } };
    cache.set(world, c);
  }
  const s = world.egoState.s;
  let i = 0;
  while (i < c.plans.length - 1 && s > c.cum[i + 1]) i++;
  c.out.lanes = c.plans[i];
  c.out.s = s - c.cum[i];
  return c.out;
}

const ahead = new WeakMap<World, Map<number, readonly number[]>>();

/**
 * `lane` and the lanes that follow it: along the route where the route has it, else first
 * successors (8 lanes at most). Built once per world and lane; the result is shared, do not change it.
 */
export function lanesFrom(world: World, lane: number): readonly number[] {
  let byLane = ahead.get(world);
  if (!byLane) ahead.set(world, (byLane = new Map()));
  let plan = byLane.get(lane);
  if (!plan) {
    const at = world.routeLanes.indexOf(lane);
    if (at >= 0) plan = world.routeLanes.slice(at);
    else {
      const lanes = [lane];
      for (let l = world.network.lanes[lane]; l.next.length > 0 && lanes.length < 8; l = world.network.lanes[l.next[0]]) lanes.push(l.next[0]);
      plan = lanes;
    }
    byLane.set(lane, plan);
  }
  return plan;
}
