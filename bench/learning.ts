/**
 * The learner's figures for `bench:perf`: DQN gradient updates per second (the budget's 2×256 MLP,
 * batch 64, and a pixel Q-network), and PPO and DQN end to end (rollout + updates) in env steps/s.
 */
import { initTf } from '../perception/runtime/tfjs.ts';
import { QNetwork, update, DEFAULT_DQN, train as trainDqn } from '../agents/dqn.ts';
import { train as trainPpo, type PpoArgs } from '../agents/ppo.ts';
import type { ScenarioOverrides } from '../scenarios/parse.ts';
import { EGO_FEATURES, OBJECT_FEATURES } from '../sim/sensors/FeatureSensor.ts';
import { AdamW } from '../perception/training/AdamW.ts';
import { ReplayBuffer } from '../agents/common/ReplayBuffer.ts';
import { TRAIN_SEEDS } from '../agents/common/agentFiles.ts';
import { Box, Dict, flatSize } from '../sim/env/spaces.ts';
import { Rng } from '../sim/rng.ts';
import { make } from '../sim/env/registry.ts';
import { SyncVectorEnv } from '../sim/env/vector/index.ts';

/** Updates per second of DQN's update on random data: `observation` the space, `batch` rows */
export async function dqnUpdatesPerSecond(observation: Dict, batch: number, seconds: number, cnn: Record<string, unknown> | null = null): Promise<number> {
  await initTf();
  const args = { ...DEFAULT_DQN, batchSize: batch, cnn };
  const online = new QNetwork(observation, 5, args.hidden, false, 1, cnn);
  const target = new QNetwork(observation, 5, args.hidden, false, 2, cnn);
  const optimizer = new AdamW({ learningRate: args.learningRate });
  optimizer.bind(online.variables);
  const rng = Rng.seeded(0);
  const size = flatSize(observation);
  const buffer = new ReplayBuffer(Math.max(batch * 4, 256), size);
  const row = new Float32Array(size);
  for (let i = 0; i < buffer.capacity; i++) {
    for (let j = 0; j < size; j++) row[j] = rng.next();
    buffer.add(row, rng.int(0, 4), rng.next(), row, false, 0.95);
  }
  const b = buffer.batch(batch);
  const step = () => {
    buffer.sample(rng, b);
    update(online, target, optimizer, b, args);
  };
  for (let i = 0; i < 10; i++) step();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    step();
    n++;
  }
  const rate = n / ((performance.now() - t0) / 1000);
  online.dispose();
  target.dispose();
  optimizer.dispose();
  return rate;
}

/** The budget's feature observation: ego state and 8 objects, and a 64-ray lidar */
export const FEATURE_OBSERVATION = new Dict({ features: new Box(-1, 1, [EGO_FEATURES + 8 * OBJECT_FEATURES]), lidar: new Box(0, 1, [64]) });

/** PPO from pixels: an 84×84 camera (through the Nature CNN) and the features */
export const PIXEL_PPO = {
  overrides: { sensors: [{ type: 'camera' as const, id: 'camera', width: 84, height: 84 }, { type: 'features' as const, id: 'features' }] },
  args: { rolloutSteps: 32, epochs: 4, minibatches: 4 },
};

/**
 * PPO on `highway` (continuous actions; default sensors unless `setup` changes them and the
 * arguments) with `envs` envs, one thread: env steps/s including updates
 */
export async function ppoStepsPerSecond(envs: number, steps: number, setup: { overrides?: ScenarioOverrides; args?: Partial<PpoArgs> } = {}): Promise<number> {
  await initTf();
  const list = [];
  for (let i = 0; i < envs; i++) list.push(await make('highway', setup.overrides, { seedRange: TRAIN_SEEDS }));
  const vec = new SyncVectorEnv(list);
  const args = { rolloutSteps: 256, ...setup.args };
  // One rollout first: the JIT, the wasm kernels and the physics warm up outside the timing.
  (await trainPpo(vec, { ...args, totalSteps: envs * args.rolloutSteps })).dispose();
  const t0 = performance.now();
  (await trainPpo(vec, { ...args, totalSteps: steps })).dispose();
  const rate = steps / ((performance.now() - t0) / 1000);
  await vec.close();
  return rate;
}

/** DQN on `highway` (meta-actions), one env, learning from the first step: env steps/s and updates/s */
export async function dqnEndToEnd(steps: number): Promise<{ stepsPerSecond: number; updatesPerSecond: number }> {
  await initTf();
  const vec = new SyncVectorEnv([await make('highway', { action: { type: 'discrete' } }, { seedRange: TRAIN_SEEDS })]);
  let updates = 0;
  const t0 = performance.now();
  (await trainDqn(vec, { totalSteps: steps, learningStarts: 256 }, [{ onUpdate: () => void updates++ }])).dispose();
  const seconds = (performance.now() - t0) / 1000;
  await vec.close();
  return { stepsPerSecond: steps / seconds, updatesPerSecond: updates / seconds };
}
