/**
 * Whole-episode rollouts: what a task plays (whole episodes, its seeds, lanes that each play their
 * quota), that its rows are the ones the update needs (log-probabilities and values the network
 * gives for the rows it stores), that a task is a pure function of the policy and the task, and
 * that PPO and REINFORCE learn from them, resume exactly, and leak no tensors.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initTf } from '../../perception/runtime/tfjs.ts';
import { SyncVectorEnv } from '../../sim/env/vector/index.ts';
import type { Env } from '../../sim/env/Env.ts';
import type { Action, Observation } from '../../sim/env/DrivingEnv.ts';
import { ActorCritic, actorCriticFor } from '../../agents/common/ActorCritic.ts';
import { ObservationNormalizer } from '../../agents/common/ObservationNormalizer.ts';
import { TRAIN_SEEDS } from '../../agents/common/agentFiles.ts';
import { concatRollouts, episodeSeed, LocalRolloutExecutor, playEpisodes, type EpisodeRollout, type EpisodicRollouts, type RolloutTask } from '../../agents/common/episodeRollout.ts';
import type { Callback } from '../../agents/common/callbacks.ts';
import { train as trainPpo, type PpoArgs } from '../../agents/ppo.ts';
import { train as trainReinforce } from '../../agents/reinforce.ts';
import { SteerToy, STEER_TOY_STEPS, steerToyReturn } from './steerToy.ts';

beforeAll(async () => {
  await initTf('wasm');
});

const toyEnvs = (n: number) => Array.from({ length: n }, () => new SteerToy() as unknown as Env<Observation, Action>);
const space = new SteerToy().observationSpace;

function toyNet(normalize: boolean, seed = 1): ActorCritic {
  const toy = new SteerToy();
  return new ActorCritic(actorCriticFor(toy.observationSpace, toy.actionSpace, { hidden: [16], activation: 'tanh', initialStd: 0.5, normalizeObservations: normalize, actionScale: 1 }), seed);
}

const task = (over: Partial<RolloutTask> = {}): RolloutTask => ({ firstSeed: 100, lanes: 3, stepsPerLane: 50, rngSeed: 7, sdeSampleFreq: 4, ...over });

function hashOf(r: EpisodeRollout): string {
  const h = createHash('sha256');
  for (const key of ['obs', 'actions', 'logProbs', 'values', 'rewards', 'terminated', 'truncated', 'truncatedValues'] as const) h.update(Buffer.from(r[key].buffer, r[key].byteOffset, r[key].byteLength));
  h.update(JSON.stringify(r.episodes));
  return h.digest('hex');
}

describe('playEpisodes', () => {
  it('plays whole episodes from consecutive seeds until every lane has its quota', () => {
    const net = toyNet(false);
    const r = playEpisodes(net, toyEnvs(3), space, task());
    // Each episode ends on its own last row, as terminated (off the lane) or truncated (40 steps).
    let row = 0;
    for (const e of r.episodes) {
      for (let k = 0; k < e.length - 1; k++) expect(r.terminated[row + k] + r.truncated[row + k]).toBe(0);
      const last = row + e.length - 1;
      expect(r.terminated[last]).toBe(e.terminated ? 1 : 0);
      expect(r.truncated[last]).toBe(e.terminated ? 0 : 1);
      expect(e.terminated ? e.outcome === 'off-road' : e.length === STEER_TOY_STEPS).toBe(true);
      expect(e.return).toBeCloseTo(r.rewards.subarray(row, last + 1).reduce((a, b) => a + b, 0), 4);
      row = last + 1;
    }
    expect(row).toBe(r.rows);
    // Seeds: firstSeed, firstSeed + 1, … each once.
    expect(r.episodes.map((e) => e.seed).sort((a, b) => a - b)).toEqual(r.episodes.map((_, i) => 100 + i));
    // 3 lanes × at least 50 steps, and no lane starts an episode once it has 50: at most 40 − 1 more each.
    expect(r.rows).toBeGreaterThanOrEqual(150);
    expect(r.rows).toBeLessThan(150 + 3 * STEER_TOY_STEPS);
    net.dispose();
  });

  it('stores the log-probabilities and values the network gives for the rows it stores', () => {
    const net = toyNet(true);
    // Statistics that move the inputs, so rows stored raw instead of normalised would not match.
    net.obsNorm!.merge(10, [0.2, -0.1], [0.04, 0.09]);
    const r = playEpisodes(net, toyEnvs(2), space, task({ lanes: 2 }));
    const { logProb, values } = tf.tidy(() => {
      const x = tf.tensor2d(r.obs, [r.rows, 2]);
      const { out, latent, value } = net.forward(x);
      return { logProb: net.logProbAndEntropy(out, tf.tensor2d(r.actions, [r.rows, 1]), latent).logProb.dataSync(), values: value.dataSync() };
    });
    for (let k = 0; k < r.rows; k++) {
      expect(r.logProbs[k]).toBeCloseTo(logProb[k], 4);
      expect(r.values[k]).toBeCloseTo(values[k], 5);
    }
    // Normalised with (x − 0.2)/0.2 for the offset: a raw offset within ±0.5 at a reset lands in [−3.5, 1.5].
    expect(r.obs[0]).toBeGreaterThanOrEqual(-3.5);
    expect(r.obs[0]).toBeLessThanOrEqual(1.5);
    // Bootstrapped tails only where an episode was cut by its time limit.
    for (let k = 0; k < r.rows; k++) if (!r.truncated[k]) expect(r.truncatedValues[k]).toBe(0);
    expect(r.truncatedValues.some((v, k) => r.truncated[k] === 1 && v !== 0) || !r.truncated.includes(1)).toBe(true);
    net.dispose();
  });

  it('reports the mean and variance of the raw observations it acted on, and leaves the statistics alone', () => {
    const net = toyNet(true);
    const before = net.obsNorm!.state();
    const r = playEpisodes(net, toyEnvs(3), space, task());
    expect(net.obsNorm!.state()).toEqual(before);
    // With the initial statistics (mean 0, variance 1) the stored rows are the raw ones, unclipped here.
    expect(r.moments.count).toBe(r.rows);
    for (let j = 0; j < 2; j++) {
      let m = 0;
      for (let k = 0; k < r.rows; k++) m += r.obs[k * 2 + j];
      m /= r.rows;
      let v = 0;
      for (let k = 0; k < r.rows; k++) v += (r.obs[k * 2 + j] - m) ** 2;
      expect(r.moments.mean[j]).toBeCloseTo(m, 5);
      expect(r.moments.variance[j]).toBeCloseTo(v / r.rows, 5);
    }
    net.dispose();
  });

  it('is a function of the policy and the task alone: lanes, envs and earlier tasks do not matter', () => {
    const net = toyNet(true);
    const envs = toyEnvs(4);
    const a = playEpisodes(net, envs, space, task());
    playEpisodes(net, envs, space, task({ firstSeed: 5, rngSeed: 99 }));
    const b = playEpisodes(net, toyEnvs(3), space, task());
    expect(hashOf(b)).toBe(hashOf(a));
    expect(hashOf(playEpisodes(net, envs, space, task({ rngSeed: 8 })))).not.toBe(hashOf(a));
    expect(hashOf(playEpisodes(net, envs, space, task({ firstSeed: 101 })))).not.toBe(hashOf(a));
    expect(() => playEpisodes(net, toyEnvs(2), space, task())).toThrow('a rollout task of 3 lanes needs as many envs, got 2');
    net.dispose();
  });

  it('plays exactly one episode per lane with a quota of one step', () => {
    const net = toyNet(false);
    const r = playEpisodes(net, toyEnvs(5), space, task({ lanes: 5, stepsPerLane: 1 }));
    expect(r.episodes.length).toBe(5);
    net.dispose();
  });
});

describe('episodeSeed', () => {
  it('counts up from the first seed and wraps inside the training seeds', () => {
    expect(episodeSeed(10, 3)).toBe(13);
    expect(episodeSeed(TRAIN_SEEDS[1], 1)).toBe(TRAIN_SEEDS[0]);
    expect(episodeSeed(TRAIN_SEEDS[1] * 3 + 7, 0)).toBeGreaterThanOrEqual(TRAIN_SEEDS[0]);
    expect(episodeSeed(TRAIN_SEEDS[1] * 3 + 7, 0)).toBeLessThanOrEqual(TRAIN_SEEDS[1]);
  });
});

describe('concatRollouts', () => {
  it('puts task results one after another and refuses arrays of the wrong length', () => {
    const net = toyNet(false);
    const a = playEpisodes(net, toyEnvs(1), space, task({ lanes: 1, stepsPerLane: 1 }));
    const b = playEpisodes(net, toyEnvs(1), space, task({ lanes: 1, stepsPerLane: 1, firstSeed: 300 }));
    const r = concatRollouts([a, b], 2, 1);
    expect(r.rows).toBe(a.rows + b.rows);
    expect(Array.from(r.obs.subarray(a.rows * 2))).toEqual(Array.from(b.obs));
    expect(Array.from(r.rewards.subarray(0, a.rows))).toEqual(Array.from(a.rewards));
    expect(() => concatRollouts([{ ...a, values: a.values.subarray(1) }], 2, 1)).toThrow(`a rollout result of ${a.rows} rows has ${a.rows - 1} values`);
    net.dispose();
  });
});

describe('ObservationNormalizer.merge', () => {
  it('folds in moments from elsewhere exactly as updating with the rows themselves', () => {
    const rows = Float32Array.of(1, 0, 2, 5, 3, -1, 4, 2, 9, 9);
    const direct = new ObservationNormalizer(2);
    direct.update(rows.subarray(0, 4), 2);
    direct.update(rows.subarray(4), 3);
    const merged = new ObservationNormalizer(2);
    const moments = (part: Float32Array, n: number) => {
      const mean = [0, 1].map((j) => Array.from({ length: n }, (_, i) => part[i * 2 + j]).reduce((a, b) => a + b, 0) / n);
      return { mean, variance: [0, 1].map((j) => Array.from({ length: n }, (_, i) => (part[i * 2 + j] - mean[j]) ** 2).reduce((a, b) => a + b, 0) / n) };
    };
    const m1 = moments(rows.subarray(0, 4), 2), m2 = moments(rows.subarray(4), 3);
    merged.merge(2, m1.mean, m1.variance);
    merged.merge(3, m2.mean, m2.variance);
    for (let j = 0; j < 2; j++) {
      expect(merged.mean[j]).toBeCloseTo(direct.mean[j], 10);
      expect(merged.variance[j]).toBeCloseTo(direct.variance[j], 10);
    }
    expect(merged.count).toBe(direct.count);
    expect(() => merged.merge(1, [0], [1])).toThrow('expected 2 features, got 1');
  });
});

const TOY: Partial<PpoArgs> = { rolloutSteps: 128, minibatches: 4, epochs: 10, hidden: [32, 32], learningRate: 3e-3, gamma: 0.95, initialStd: 0.5, actionScale: 1 };
/** The vector env only gives the spaces; the executor plays */
const spacesOnly = () => new SyncVectorEnv(toyEnvs(1));
const local = (jobs: number, envs = 4): EpisodicRollouts => ({ executor: new LocalRolloutExecutor(async () => toyEnvs(1)[0]), jobs, envs });

describe('PPO on whole episodes', () => {
  it('learns to keep the toy lane: near the return of a hand-tuned controller', async () => {
    const policy = await trainPpo(spacesOnly(), { ...TOY, totalSteps: 8_192 }, [], { rollouts: local(2) });
    const learned = steerToyReturn((o) => policy.act(o, { deterministic: true }) as Float32Array);
    expect(learned).toBeGreaterThan(37);
    policy.dispose();
  });

  it('counts every played step and episode into the run and the observation statistics, and repeats itself', async () => {
    const run = async (jobs: number) => {
      const steps: number[] = [];
      let episodes = 0;
      const cb: Callback = { onStep: (ctx) => void steps.push(ctx.step), onEpisodeEnd: () => void episodes++ };
      const policy = await trainPpo(spacesOnly(), { ...TOY, totalSteps: 1_000, seed: 2 }, [cb], { rollouts: local(jobs) });
      const weights = Buffer.from(tf.tidy(() => tf.concat(policy.net.variables.map((v) => tf.reshape(v, [-1]))).dataSync()).buffer).toString('base64');
      const seen = policy.net.obsNorm!.count;
      policy.dispose();
      return { steps, episodes, weights, seen };
    };
    const one = await run(1), four = await run(4);
    // Each collection plays 4 lanes × ≥ 128 steps of whole episodes; it ends past 1,000.
    expect(one.steps.at(-1)!).toBeGreaterThanOrEqual(1_000);
    expect(one.steps[0]).toBeGreaterThanOrEqual(4 * 128);
    expect(one.episodes).toBeGreaterThanOrEqual(one.steps.at(-1)! / STEER_TOY_STEPS);
    // Every observation acted on is in the statistics (which start at a count of 1e-4).
    expect(one.seen).toBeCloseTo(one.steps.at(-1)!, 3);
    // Tasks are played apart but their lanes' seeds differ with the split, so the two runs differ; each is repeatable.
    expect((await run(4)).weights).toBe(four.weights);
    expect(four.weights).not.toBe(one.weights);
  });

  it('keeps the number of tensors constant across collections and updates', async () => {
    const counts: number[] = [];
    const cb: Callback = { onUpdate: () => void counts.push(tf.memory().numTensors) };
    const policy = await trainPpo(spacesOnly(), { ...TOY, totalSteps: 1_500 }, [cb], { rollouts: local(2) });
    expect(counts.length).toBeGreaterThan(40);
    expect(new Set(counts).size).toBe(1);
    policy.dispose();
  });

  it('resumes from a checkpoint exactly as the run would have continued', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-episodic-'));
    const args = { ...TOY, totalSteps: 2_000, seed: 5 };
    const at = (path: string): Callback => {
      let asked = false;
      return { onStep: async (ctx) => void (ctx.step >= 600 && !asked && (asked = true) && (await ctx.checkpoint(path))) };
    };
    const whole = await trainPpo(spacesOnly(), args, [at(join(dir, 'a'))], { rollouts: local(2) });
    let stopAt = 0;
    const stop: Callback = { onStep: (ctx) => (stopAt ||= ctx.step >= 600 ? ctx.step : 0) === 0 };
    (await trainPpo(spacesOnly(), args, [at(join(dir, 'b')), stop], { rollouts: local(2) })).dispose();
    expect(stopAt).toBeGreaterThanOrEqual(600);
    const resumed = await trainPpo(spacesOnly(), {}, [], { resumeFrom: join(dir, 'b'), rollouts: local(2) });
    await whole.save(join(dir, 'pw'));
    await resumed.save(join(dir, 'pr'));
    expect(readFileSync(join(dir, 'pr', 'weights.bin')).equals(readFileSync(join(dir, 'pw', 'weights.bin')))).toBe(true);
    whole.dispose();
    resumed.dispose();
  });

  it('stops between tasks when its signal aborts, with the steps of finished collections only', async () => {
    const abort = new AbortController();
    let collections = 0;
    const cb: Callback = { onUpdate: () => void (++collections === 10 && abort.abort()) };
    const rollouts: EpisodicRollouts = { executor: new LocalRolloutExecutor(async () => toyEnvs(1)[0], abort.signal), jobs: 4, envs: 4 };
    let last = 0;
    const policy = await trainPpo(spacesOnly(), { ...TOY, totalSteps: 1_000_000 }, [cb, { onStep: (ctx) => void (last = ctx.step) }], { rollouts });
    // 10 minibatch updates are one collection's (4 × 10 epochs = 40 per collection): it stops inside the second.
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThan(4 * 128 + 4 * STEER_TOY_STEPS);
    policy.dispose();
  });
});

describe('REINFORCE on whole episodes', () => {
  it('learns to keep the toy lane: well above the initial policy', async () => {
    const args = { totalSteps: 12_000, episodesPerBatch: 8, hidden: [32, 32], learningRate: 3e-3, gamma: 0.95, initialStd: 0.5, actionScale: 1 };
    const initial = await trainReinforce(spacesOnly(), { ...args, totalSteps: 1 }, [], { rollouts: local(2) });
    const before = steerToyReturn((o) => initial.act(o, { deterministic: true }) as Float32Array);
    initial.dispose();
    let batches = 0;
    const policy = await trainReinforce(spacesOnly(), args, [{ onUpdate: () => void batches++ }], { rollouts: local(2) });
    const after = steerToyReturn((o) => policy.act(o, { deterministic: true }) as Float32Array);
    // One batch per 8 whole episodes of at most 40 steps.
    expect(batches).toBeGreaterThanOrEqual(12_000 / (8 * STEER_TOY_STEPS));
    expect(after).toBeGreaterThan(before + 8);
    policy.dispose();
  });
});

