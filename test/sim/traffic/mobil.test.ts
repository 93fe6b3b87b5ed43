import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../../../sim/env/registry.ts';
import { Rng } from '../../../sim/rng.ts';
import { buildMap } from '../../../sim/road/maps/index.ts';
import { NO_LANE } from '../../../sim/road/RoadNetwork.ts';
import { chooseLane, type DrivingContext } from '../../../sim/traffic/driving.ts';
import { DEFAULT_IDM } from '../../../sim/traffic/idm.ts';
import { LaneOccupancy } from '../../../sim/traffic/LaneOccupancy.ts';
import { DEFAULT_MOBIL, mobilIncentive } from '../../../sim/traffic/mobil.ts';
import { TrafficRules } from '../../../sim/traffic/TrafficRules.ts';
import { createActor, type Actor } from '../../../sim/world/actors.ts';

/** A straight two-lane highway with actors placed by hand: [lane, s, speed]. */
function road(placements: [number, number, number][]) {
  const s = resolveScenario('highway', { map: { type: 'highway', lanes: 2 }, ego: { lane: 0 } });
  const { network } = buildMap(s.map, s.ego, Rng.seeded(0));
  const occupancy = new LaneOccupancy(network);
  const rules = new TrafficRules(network, occupancy);
  const actors: Actor[] = placements.map(([lane, at, speed], i) => {
    const a = createActor(i, 'vehicle', 'car');
    const p = network.lanes[lane].path.pointAt(at, { x: 0, y: 0 });
    Object.assign(a, { x: p.x, y: p.y, heading: 0, speed, lane, s: at });
    return a;
  });
  occupancy.rebuild(actors);
  const ctx: DrivingContext = { network, occupancy, rules };
  return { ctx, actors };
}

describe('MOBIL', () => {
  it('is −Infinity when the new follower would brake harder than b_safe', () => {
    const unsafe = { self: 0, selfAfter: 1, newFollower: 0, newFollowerAfter: -DEFAULT_MOBIL.safeDecel - 0.1, oldFollower: 0, oldFollowerAfter: 0 };
    expect(mobilIncentive(DEFAULT_MOBIL, unsafe, false)).toBe(-Infinity);
  });

  it('overtakes a slow leader when the left lane is clear', () => {
    // Driver 0 at 25 m/s, 30 m behind a truck doing 12 m/s.
    const { ctx, actors } = road([[0, 100, 25], [0, 135, 12]]);
    expect(chooseLane(ctx, actors[0], [0], 28, DEFAULT_IDM, DEFAULT_MOBIL)).toBe(1);
  });

  it('refuses the change when a fast car is right behind in the target lane', () => {
    const { ctx, actors } = road([[0, 100, 25], [0, 135, 12], [1, 92, 32]]);
    expect(chooseLane(ctx, actors[0], [0], 28, DEFAULT_IDM, DEFAULT_MOBIL)).toBe(NO_LANE);
  });

  it('refuses the change into a car alongside', () => {
    const { ctx, actors } = road([[0, 100, 25], [0, 135, 12], [1, 101, 25]]);
    expect(chooseLane(ctx, actors[0], [0], 28, DEFAULT_IDM, DEFAULT_MOBIL)).toBe(NO_LANE);
  });

  it('does not change lanes without an advantage, and keeps right', () => {
    const free = road([[0, 100, 25]]);
    expect(chooseLane(free.ctx, free.actors[0], [0], 25, DEFAULT_IDM, DEFAULT_MOBIL)).toBe(NO_LANE);
    const left = road([[1, 100, 25]]);
    expect(chooseLane(left.ctx, left.actors[0], [1], 25, DEFAULT_IDM, { ...DEFAULT_MOBIL, threshold: 0.05 })).toBe(0);
  });
});
