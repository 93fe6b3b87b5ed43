/** Runs one episode of a policy in an env and sums up what happened, as `drivelab run` prints it. */
import type { Policy } from '../agents/common/Policy.ts';
import type { Env } from '../sim/env/Env.ts';
import type { Action, Observation, Outcome } from '../sim/env/DrivingEnv.ts';
import type { ActorKind } from '../sim/world/actors.ts';

export interface EpisodeSummary {
  scenario: string;
  seed: number;
  agent: string;
  outcome: Outcome;
  steps: number;
  /** Simulated time [s] */
  simTime: number;
  /** Path length driven [m] */
  distance: number;
  /** Route progress at the end [m] */
  routeProgress: number;
  /** Route length to the goal [m], or the route length when there is no goal */
  routeGoal: number;
  /** [m/s] */
  meanSpeed: number;
  /** Collisions by what was hit; an episode ends at the first */
  collisions: Record<Exclude<ActorKind, 'ego'>, number>;
  offRoad: boolean;
  /** Contacts between NPCs (vehicles with each other, pedestrians or obstacles); 0 in a sound world */
  npcCollisions: number;
  /** What the world could not do as the scenario asked, e.g. fewer vehicles placed than requested */
  warnings: string[];
  totalReward: number;
  /** Sum of each weighted reward term */
  rewards: Record<string, number>;
  /** Wall-clock time of the stepping loop [s] */
  wallTime: number;
  stepsPerSecond: number;
}

export interface EpisodeHooks {
  /** Called after the reset, before the first step */
  onReset?(): void;
  /** Called after every step, e.g. to record */
  onStep?(step: number, action: Action, reward: number, info: Record<string, unknown>): void;
}

export function runEpisode(env: Env<Observation, Action>, policy: Policy<Observation, Action>, seed: number, hooks: EpisodeHooks = {}): EpisodeSummary {
  const start = env.reset({ seed });
  let observation = start.observation;
  const warnings = (start.info.warnings as string[] | undefined) ?? [];
  policy.reset(seed);
  hooks.onReset?.();
  const dt = env.unwrapped.scenario.sim.stepDt;
  const collisions = { vehicle: 0, pedestrian: 0, obstacle: 0 };
  const rewards: Record<string, number> = {};
  let total = 0, distance = 0, steps = 0, offRoad = false;
  let outcome: Outcome = 'time-limit';
  const t0 = performance.now();
  for (;;) {
    const action = policy.act(observation, { deterministic: true });
    const r = env.step(action);
    steps++;
    total += r.reward;
    distance += Math.abs((r.info.ego as { speed: number }).speed) * dt;
    for (const [k, v] of Object.entries(r.info.rewards as Record<string, number>)) rewards[k] = (rewards[k] ?? 0) + v;
    const hit = r.info.collision as { kind: Exclude<ActorKind, 'ego'> } | null;
    if (hit) collisions[hit.kind]++;
    if (r.info.offRoad) offRoad = true;
    hooks.onStep?.(steps, action, r.reward, r.info);
    observation = r.observation;
    if (r.terminated || r.truncated) {
      outcome = (r.info.outcome as Outcome) ?? 'time-limit';
      break;
    }
  }
  const wallTime = (performance.now() - t0) / 1000;
  const world = env.unwrapped.world;
  return {
    scenario: env.unwrapped.scenario.id,
    seed,
    agent: policy.name,
    outcome,
    steps,
    simTime: steps * dt,
    distance,
    routeProgress: world.egoState.s,
    routeGoal: Number.isFinite(world.goalS) ? world.goalS : world.route.length,
    meanSpeed: distance / (steps * dt),
    collisions,
    offRoad,
    npcCollisions: world.npcContacts.total,
    warnings,
    totalReward: total,
    rewards,
    wallTime,
    stepsPerSecond: steps / Math.max(wallTime, 1e-9),
  };
}
