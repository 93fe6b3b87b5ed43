import { describe, expect, it } from 'vitest';
import { computeReward, rewardNames, rewardTerms, type RewardContext } from '../../../sim/env/rewardTerms.ts';
import { make } from '../../../sim/env/registry.ts';
import { NO_LANE } from '../../../sim/road/RoadNetwork.ts';
import type { Actor } from '../../../sim/world/actors.ts';
import type { StepEvents, World } from '../../../sim/world/World.ts';

/** What one step looked like, in the few numbers the reward terms read. */
interface Situation {
  /** Route arc length before and after the step [m] */
  fromS?: number;
  s?: number;
  /** Lane after the step: 0 (limit 25 m/s, 3.6 m wide), 1 (limit 10 m/s, 3 m wide) or NO_LANE */
  lane?: number;
  laneOffset?: number;
  /** The ego's heading less the lane's [rad] */
  headingError?: number;
  speed?: number;
  /** Acceleration and road-wheel angle before and after the step [m/s²], [rad] */
  fromAccel?: number;
  accel?: number;
  fromSteer?: number;
  steer?: number;
  events?: Partial<StepEvents>;
}

/**
 * A reward context over a stand-in world. Lane 1 is the first lane of the route, whose limit
 * counts when the ego is off every lane. The step is 0.1 s.
 */
function context(x: Situation): RewardContext {
  const world = {
    egoState: { s: x.s ?? 0, d: 0, lane: x.lane ?? 0, laneOffset: x.laneOffset ?? 0, headingError: x.headingError ?? 0 },
    network: { lanes: [{ speedLimit: 25, width: 3.6 }, { speedLimit: 10, width: 3 }] },
    routeLanes: [1],
    egoActor: { speed: x.speed ?? 0, accel: x.accel ?? 0 },
    ego: { steerAngle: x.steer ?? 0 },
  } as unknown as World;
  const events: StepEvents = { collision: null, offRoad: false, goalReached: false, npcContacts: 0, ...x.events };
  return { world, events, previousS: x.fromS ?? 0, previousAccel: x.fromAccel ?? 0, previousSteer: x.fromSteer ?? 0, dt: 0.1 };
}

const term = (name: keyof typeof rewardTerms, x: Situation) => rewardTerms[name](context(x));

describe('reward terms, each against a value worked out by hand', () => {
  it('progress: metres gained over what the speed limit covers in a step, within [−1, 1.5]', () => {
    // 2.5 m in 0.1 s at a 25 m/s limit (2.5 m per step): 1.
    expect(term('progress', { fromS: 100, s: 102.5 })).toBeCloseTo(1, 12);
    expect(term('progress', { fromS: 100, s: 101 })).toBeCloseTo(0.4, 12);
    expect(term('progress', { fromS: 100, s: 99 })).toBeCloseTo(-0.4, 12);
    expect(term('progress', { fromS: 100, s: 105 })).toBe(1.5);
    expect(term('progress', { fromS: 100, s: 96 })).toBe(-1);
    // Off every lane the route's first lane (10 m/s, 1 m per step) sets the scale: 0.5 m is 0.5.
    expect(term('progress', { fromS: 100, s: 100.5, lane: NO_LANE })).toBeCloseTo(0.5, 12);
  });

  it('speed: a fraction of the limit, within [0, 1]', () => {
    expect(term('speed', { speed: 12.5 })).toBeCloseTo(0.5, 12);
    expect(term('speed', { speed: 30 })).toBe(1);
    expect(term('speed', { speed: -3 })).toBe(0);
    expect(term('speed', { speed: 5, lane: 1 })).toBeCloseTo(0.5, 12);
    expect(term('speed', { speed: 2.5, lane: NO_LANE })).toBeCloseTo(0.25, 12);
  });

  it('lane centering: 1 on the centre line, 0 at the lane edge and beyond, 0 off the lanes or against the lane', () => {
    // Half of a 3.6 m lane is 1.8 m: 0.9 m off centre is half way to the edge.
    expect(term('laneCentering', { laneOffset: 0 })).toBe(1);
    expect(term('laneCentering', { laneOffset: 0.9 })).toBeCloseTo(0.5, 12);
    expect(term('laneCentering', { laneOffset: -0.45 })).toBeCloseTo(0.75, 12);
    expect(term('laneCentering', { laneOffset: 1.2, lane: 1 })).toBeCloseTo(0.2, 12);
    expect(term('laneCentering', { laneOffset: 2.5 })).toBe(0);
    expect(term('laneCentering', { lane: NO_LANE })).toBe(0);
    // Centred in a lane but driving against it (the oncoming lane of a two-way road) earns nothing; askew along it still counts.
    expect(term('laneCentering', { laneOffset: 0, headingError: Math.PI - 0.1 })).toBe(0);
    expect(term('laneCentering', { laneOffset: 0, headingError: -Math.PI / 2 - 0.01 })).toBe(0);
    expect(term('laneCentering', { laneOffset: 0, headingError: 0.5 })).toBe(1);
  });

  it('comfort: (jerk / 10 m/s³)² + (steering rate / 0.6 rad/s)², at most 5', () => {
    // 1 → 2 m/s² in 0.1 s is 10 m/s³; 0 → 0.06 rad in 0.1 s is 0.6 rad/s: 1 + 1.
    expect(term('comfort', { fromAccel: 1, accel: 2, fromSteer: 0, steer: 0.06 })).toBeCloseTo(2, 12);
    expect(term('comfort', { fromAccel: 0, accel: -0.5 })).toBeCloseTo(0.25, 12);
    expect(term('comfort', { fromSteer: 0.1, steer: 0.07 })).toBeCloseTo(0.25, 12);
    expect(term('comfort', { fromAccel: 3, accel: 3, fromSteer: 0.2, steer: 0.2 })).toBe(0);
    expect(term('comfort', { fromAccel: -8, accel: 8 })).toBe(5);
  });

  it('collision, off-road and goal: 1 on the step it happens, else 0', () => {
    const hit = { kind: 'vehicle' } as Actor;
    expect(term('collision', { events: { collision: hit } })).toBe(1);
    expect(term('collision', {})).toBe(0);
    expect(term('offRoad', { events: { offRoad: true } })).toBe(1);
    expect(term('offRoad', { events: { collision: hit, goalReached: true } })).toBe(0);
    expect(term('goal', { events: { goalReached: true } })).toBe(1);
    expect(term('goal', { events: { offRoad: true } })).toBe(0);
  });

  it('computeReward weights each term, reports each, and sums them', () => {
    const weights = { progress: 1, speed: 0.2, laneCentering: 0.1, collision: -10, offRoad: -5, comfort: -0.05, goal: 0 };
    const x = context({ fromS: 100, s: 102.5, speed: 12.5, laneOffset: 0.9, fromAccel: 1, accel: 2, fromSteer: 0, steer: 0.06, events: { collision: { kind: 'vehicle' } as Actor, goalReached: true } });
    const out: Record<string, number> = {};
    const total = computeReward(weights, x, out);
    // 1 + 0.2 × 0.5 + 0.1 × 0.5 − 10 × 1 − 5 × 0 − 0.05 × 2 + 0 × 1
    const expected = { progress: 1, speed: 0.1, laneCentering: 0.05, collision: -10, offRoad: 0, comfort: -0.1, goal: 0 };
    expect(Object.keys(out).sort()).toEqual([...rewardNames].sort());
    for (const [name, value] of Object.entries(expected)) expect(out[name], name).toBeCloseTo(value, 12);
    expect(total).toBeCloseTo(-8.95, 12);
    expect(Object.is(out.offRoad, -0)).toBe(false);
  });
});

describe('reward terms in a running env', () => {
  it('coasting at 20 m/s on the centre of a straight 30 m/s lane: progress and speed 2/3, centring 1', async () => {
    const env = await make('highway', { traffic: { vehicles: 0 }, ego: { lane: 1, position: 50, speed: 20 } });
    env.reset({ seed: 0 });
    const world = env.unwrapped.world;
    const weights = env.unwrapped.scenario.reward;
    const r = env.step(Float32Array.of(0, 0));
    const rewards = r.info.rewards as Record<string, number>;
    // 20 m/s for 0.1 s is 2 m of a 3 m step at the limit; coasting loses little speed in 0.1 s.
    expect(rewards.progress / weights.progress).toBeGreaterThan(0.66 * 0.98);
    expect(rewards.progress / weights.progress).toBeLessThan(0.67);
    expect(rewards.speed / weights.speed).toBeCloseTo(world.egoActor.speed / 30, 9);
    expect(world.egoActor.speed).toBeGreaterThan(19.5);
    expect(rewards.laneCentering / weights.laneCentering).toBeGreaterThan(0.98);
    expect(rewards.collision).toBe(0);
    expect(rewards.offRoad).toBe(0);
    expect(rewards.goal).toBe(0);
    env.close();
  });
});
