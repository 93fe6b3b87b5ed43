import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initTf } from '../../perception/runtime/tfjs.ts';
import { initPhysics } from '../../sim/world/physics.ts';
import { SyncVectorEnv } from '../../sim/env/vector/index.ts';
import { make } from '../../sim/env/registry.ts';
import { load, train, type PpoArgs } from '../../agents/ppo.ts';
import { computeGae, nextRow } from '../../agents/common/rollout.ts';
import type { Callback } from '../../agents/common/callbacks.ts';
import { ActorCritic, ActorCriticPolicy, actorCriticFor } from '../../agents/common/ActorCritic.ts';
import { Box } from '../../sim/env/spaces.ts';
import { ObservationNormalizer } from '../../agents/common/ObservationNormalizer.ts';
import { Rng } from '../../sim/rng.ts';
import { SteerToy, steerToyReturn } from './steerToy.ts';

beforeAll(async () => {
  await initTf('wasm');
  await initPhysics();
});

const TOY: Partial<PpoArgs> = {
  totalSteps: 8_192, rolloutSteps: 128, minibatches: 4, epochs: 10, hidden: [32, 32], learningRate: 3e-3, gamma: 0.95, initialStd: 0.5, actionScale: 1,
};
const toyVec = (n = 4) => new SyncVectorEnv(Array.from({ length: n }, () => new SteerToy()));

/** Every logged row without the wall-clock columns */
const rowsOf = (dir: string) => readFileSync(join(dir, 'progress.jsonl'), 'utf8').trim().split('\n').map((l) => {
  const { 'time/fps': _f, 'time/time_elapsed': _t, ...rest } = JSON.parse(l);
  return rest;
});

describe('computeGae', () => {
  it('matches a hand-worked rollout of 3 steps × 2 envs with a time limit and a terminal state', () => {
    // γ = 0.9, λ = 0.8, so γλ = 0.72. Env 0 is cut by a time limit at t = 1 (V(final) = 4) and
    // bootstraps from lastValues[0] = 2 at t = 2; env 1 ends in a terminal state at t = 0.
    //   env 0: δ2 = 3 + 0.9·2 − 1.5 = 3.3;  δ1 = 2 + 0.9·4 − 1 = 4.6 (no carry past the cut);
    //          δ0 = 1 + 0.9·1 − 0.5 = 1.4, A0 = 1.4 + 0.72·4.6 = 4.712
    //   env 1: δ2 = 1 + 0.9·1 − 0.4 = 1.5;  δ1 = 0.5 + 0.9·0.4 − 0.3 = 0.56, A1 = 0.56 + 0.72·1.5 = 1.64;
    //          δ0 = −1 − 0.2 = −1.2 (no bootstrap, no carry)
    // Rows are [t, env].
    const r = {
      rewards: Float32Array.of(1, -1, 2, 0.5, 3, 1),
      values: Float32Array.of(0.5, 0.2, 1, 0.3, 1.5, 0.4),
      terminated: Float32Array.of(0, 1, 0, 0, 0, 0),
      truncated: Float32Array.of(0, 0, 1, 0, 0, 0),
      truncatedValues: Float32Array.of(0, 0, 4, 0, 0, 0),
      advantages: new Float32Array(6),
      returns: new Float32Array(6),
    };
    computeGae(r, 3, 2, Float32Array.of(2, 1), 0.9, 0.8);
    const advantages = [4.712, -1.2, 4.6, 1.64, 3.3, 1.5];
    advantages.forEach((a, k) => expect(r.advantages[k]).toBeCloseTo(a, 5));
    advantages.forEach((a, k) => expect(r.returns[k]).toBeCloseTo(a + r.values[k], 5));
  });
});

describe('ObservationNormalizer', () => {
  it('keeps the mean and variance of every row seen, batch by batch, and clips', () => {
    // Feature 0 takes 1, 2, 3, 4, 5, 6 (mean 3.5, variance 35/12); feature 1 is 0 throughout.
    const norm = new ObservationNormalizer(2, 1.5);
    norm.update(Float32Array.of(1, 0, 2, 0), 2);
    norm.update(Float32Array.of(3, 0, 4, 0, 5, 0, 6, 0), 4);
    expect(norm.mean[0]).toBeCloseTo(3.5, 3);
    expect(norm.variance[0]).toBeCloseTo(35 / 12, 3);
    expect(norm.mean[1]).toBe(0);
    expect(norm.variance[1]).toBeLessThan(1e-3);
    const out = norm.normalize(Float32Array.of(3.5 + Math.sqrt(35 / 12), 0, 100, 0), 2, new Float32Array(4));
    expect(out[0]).toBeCloseTo(1, 3);
    expect(out[1]).toBeCloseTo(0, 3);
    expect(out[2]).toBe(1.5);
  });
});

describe('nextRow', () => {
  it('pairs a step with the next step of the same episode only', () => {
    // [t, env] rows of 3 steps × 2 envs; env 1 ends in a terminal state at t = 0, env 0 by a time limit at t = 1.
    const r = { terminated: Float32Array.of(0, 1, 0, 0, 0, 0), truncated: Float32Array.of(0, 0, 1, 0, 0, 0) };
    expect([0, 1, 2, 3, 4, 5].map((row) => nextRow(r, row, 2))).toEqual([2, -1, -1, 5, -1, -1]);
  });
});

describe('gSDE', () => {
  it('gives a sampled action the log-probability the update computes, and its spread', () => {
    const net = new ActorCritic({ inputs: 3, actions: 2, continuous: true, hidden: [8, 8], activation: 'tanh', initialStd: 0.5, sde: true }, 1);
    const obs = Float32Array.of(0.3, -1, 2, 1.5, 0.2, -0.7);
    const evaluated = net.evaluate(obs, 2);
    const std = net.std(), rng = Rng.seeded(4), theta = new Float32Array(16), actions = new Float32Array(4), logProbs = new Float32Array(2);
    for (let r = 0; r < 2; r++) {
      net.sampleTheta(std, rng, theta);
      logProbs[r] = net.sample(evaluated, r, std, rng, false, actions, 2 * r, theta);
    }
    const want = tf.tidy(() => {
      const { out, latent } = net.policy(tf.tensor2d(obs, [2, 3]));
      return net.logProbAndEntropy(out, tf.tensor2d(actions, [2, 2]), latent).logProb.dataSync();
    });
    for (let r = 0; r < 2; r++) expect(logProbs[r]).toBeCloseTo(want[r], 4);
    // The noise of many draws has the variance Σᵢ φᵢ² σᵢⱼ² (σ = 0.5 everywhere).
    let phi2 = 0;
    for (let i = 0; i < 8; i++) phi2 += evaluated[3 + i] ** 2;
    let sum = 0, sum2 = 0;
    const n = 4_000, one = new Float32Array(2);
    for (let k = 0; k < n; k++) {
      net.sampleTheta(std, rng, theta);
      net.sample(evaluated, 0, std, rng, false, one, 0, theta);
      sum += one[0] - evaluated[0];
      sum2 += (one[0] - evaluated[0]) ** 2;
    }
    expect(sum / n).toBeCloseTo(0, 1);
    expect(sum2 / n / (0.25 * phi2)).toBeGreaterThan(0.9);
    expect(sum2 / n / (0.25 * phi2)).toBeLessThan(1.1);
    net.dispose();
  });

  it('scales each action dimension by its own factor on the way to the env, and clips there', () => {
    const space = { obs: new Box(-1, 1, [3]), act: new Box(-1, 1, [2]) };
    const net = new ActorCritic(actorCriticFor(space.obs, space.act, { hidden: [4], activation: 'tanh', initialStd: 0.5, actionScale: [0.25, 2] }), 1);
    expect(Array.from(net.envActions(Float32Array.of(1, 0.3, -2, -1), new Float32Array(4)))).toEqual([0.25, Math.fround(0.6), -0.5, -2]);
    const policy = new ActorCriticPolicy('ppo', net, {}, space.obs, space.act);
    const evaluated = net.evaluate(Float32Array.of(0.5, -0.5, 0.2), 1);
    const act = policy.act(Float32Array.of(0.5, -0.5, 0.2) as never, { deterministic: true }) as Float32Array;
    expect(act[0]).toBeCloseTo(0.25 * evaluated[0], 6);
    expect(act[1]).toBeCloseTo(Math.max(-1, Math.min(1, 2 * evaluated[1])), 6);
    expect(() => actorCriticFor(space.obs, space.act, { hidden: [4], activation: 'tanh', initialStd: 0.5, actionScale: [1, 1, 1] })).toThrow('args.actionScale: expected 2 numbers, one per action dimension, got 3');
    net.dispose();
  });
});

describe('PPO', () => {
  it('learns to keep the toy lane: near the return of a hand-tuned controller', async () => {
    const doNothing = steerToyReturn(() => Float32Array.of(0));
    const controller = steerToyReturn((o) => Float32Array.of(-2 * o.state[0] - 2 * o.state[1]));
    const policy = await train(toyVec(), TOY);
    const learned = steerToyReturn((o) => policy.act(o, { deterministic: true }) as Float32Array);
    expect(doNothing).toBeLessThan(15);
    expect(controller).toBeGreaterThan(38);
    expect(learned).toBeGreaterThan(37);
    policy.dispose();
  });

  it('is deterministic: the same seed gives the same loss curve', async () => {
    const losses = async () => {
      const out: number[] = [];
      const cb: Callback = { onUpdate: (_c, m) => void out.push(m['train/loss'], m['train/approx_kl']) };
      (await train(toyVec(), { ...TOY, totalSteps: 1_024, seed: 3 }, [cb])).dispose();
      return out;
    };
    const a = await losses(), b = await losses();
    expect(a.length).toBe(2 * 2 * 10 * 4);
    expect(b).toEqual(a);
  });

  it('keeps the number of tensors constant across updates', async () => {
    const counts: number[] = [];
    const cb: Callback = { onUpdate: () => void counts.push(tf.memory().numTensors) };
    const policy = await train(toyVec(), { ...TOY, totalSteps: 1_536 }, [cb]);
    expect(counts.length).toBe(3 * 10 * 4);
    expect(new Set(counts).size).toBe(1);
    policy.dispose();
  });

  it('resumes from a checkpoint exactly as the run would have continued', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-ppo-'));
    const args = { ...TOY, totalSteps: 2_048, seed: 5 };
    // A checkpoint asked for mid-rollout is written when that rollout's update is done (step 1,024).
    const at = (step: number, path: string): Callback => ({ onStep: async (ctx) => void (ctx.step === step && (await ctx.checkpoint(path))) });
    const whole = await train(toyVec(), args, [at(800, join(dir, 'a'))], { logDir: join(dir, 'whole'), logInterval: 256 });
    // Stopped by a callback, not by a smaller totalSteps, which would change the learning-rate schedule.
    const stop: Callback = { onStep: (ctx) => ctx.step < 1_024 };
    (await train(toyVec(), args, [at(800, join(dir, 'b')), stop], { logDir: join(dir, 'split'), logInterval: 256 })).dispose();
    const resumed = await train(toyVec(), {}, [], { resumeFrom: join(dir, 'b'), logDir: join(dir, 'split'), logInterval: 256 });
    await whole.save(join(dir, 'pw'));
    await resumed.save(join(dir, 'pr'));
    expect(readFileSync(join(dir, 'pr', 'weights.bin')).equals(readFileSync(join(dir, 'pw', 'weights.bin')))).toBe(true);
    expect(rowsOf(join(dir, 'split'))).toEqual(rowsOf(join(dir, 'whole')));
    expect(rowsOf(join(dir, 'whole')).at(-1)!['time/total_timesteps']).toBe(2_048);
    whole.dispose();
    resumed.dispose();
  });

  it('smoke-trains on lane-keep-curvy, logs outcome rates, and loads a policy that acts the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-ppo-curvy-'));
    const vec = new SyncVectorEnv([await make('lane-keep-curvy'), await make('lane-keep-curvy')]);
    const policy = await train(vec, { totalSteps: 512, rolloutSteps: 128, minibatches: 2, epochs: 2, hidden: [32] }, [], { logDir: join(dir, 'log'), logInterval: 128 });
    const rows = rowsOf(join(dir, 'log'));
    expect(rows.at(-1)!['time/total_timesteps']).toBe(512);
    expect(rows.some((r) => r['rollout/off_road_rate'] !== undefined && Number.isFinite(r['train/value_loss']))).toBe(true);
    await policy.save(join(dir, 'policy'));
    const env = await make('lane-keep-curvy');
    const loaded = await load(join(dir, 'policy'), env);
    let { observation } = env.reset({ seed: 1_000_000 });
    for (let k = 0; k < 30; k++) {
      const a = policy.act(observation, { deterministic: true }) as Float32Array;
      expect(a.every((x) => x >= -1 && x <= 1)).toBe(true);
      expect(Array.from(loaded.act(observation, { deterministic: true }) as Float32Array)).toEqual(Array.from(a));
      const r = env.step(a);
      if (r.terminated || r.truncated) break;
      observation = r.observation;
    }
    policy.dispose();
    loaded.dispose();
    await vec.close();
    env.close();
  });
});
