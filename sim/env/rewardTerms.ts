/**
 * Named reward terms. Each gives a raw value of about unit size; the scenario weights them and
 * `info.rewards` reports each weighted term, so a reward can always be explained.
 */
import type { Scenario } from '../../scenarios/schema.ts';
import { NO_LANE } from '../road/RoadNetwork.ts';
import type { StepEvents, World } from '../world/World.ts';

export type RewardName = keyof Scenario['reward'];

/** What the terms may look at for one step. */
export interface RewardContext {
  world: World;
  events: StepEvents;
  /** Route arc length before the step [m] */
  previousS: number;
  /** Ego acceleration before the step [m/s²] */
  previousAccel: number;
  /** Road-wheel angle before the step [rad] */
  previousSteer: number;
  dt: number;
}

/** Jerk and steering rate that count as harsh, for the comfort term [m/s³], [rad/s] */
const HARSH_JERK = 10;
const HARSH_STEER_RATE = 0.6;

function speedLimit(world: World): number {
  const lane = world.egoState.lane;
  return world.network.lanes[lane === NO_LANE ? world.routeLanes[0] : lane].speedLimit;
}

export const rewardTerms: { readonly [K in RewardName]: (c: RewardContext) => number } = {
  progress: (c) => clamp((c.world.egoState.s - c.previousS) / (speedLimit(c.world) * c.dt), -1, 1.5),
  speed: (c) => clamp(c.world.egoActor.speed / speedLimit(c.world), 0, 1),
  laneCentering: (c) => {
    const st = c.world.egoState;
    // Centred in a lane driven the wrong way (the oncoming one) is not lane keeping.
    if (st.lane === NO_LANE || Math.abs(st.headingError) > Math.PI / 2) return 0;
    return 1 - Math.min(1, Math.abs(st.laneOffset) / (c.world.network.lanes[st.lane].width / 2));
  },
  collision: (c) => (c.events.collision ? 1 : 0),
  offRoad: (c) => (c.events.offRoad ? 1 : 0),
  comfort: (c) => {
    const jerk = (c.world.egoActor.accel - c.previousAccel) / c.dt / HARSH_JERK;
    const steerRate = (c.world.ego.steerAngle - c.previousSteer) / c.dt / HARSH_STEER_RATE;
    return Math.min(jerk * jerk + steerRate * steerRate, 5);
  },
  goal: (c) => (c.events.goalReached ? 1 : 0),
};

export const rewardNames = Object.keys(rewardTerms) as RewardName[];

/** Weighted terms into `out`; returns their sum. */
export function computeReward(weights: Scenario['reward'], c: RewardContext, out: Record<string, number>): number {
  let total = 0;
  for (const name of rewardNames) {
    // + 0 turns the −0 of a negative weight times a zero term into 0.
    const value = weights[name] === 0 ? 0 : weights[name] * rewardTerms[name](c) + 0;
    out[name] = value;
    total += value;
  }
  return total;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
