import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initTf } from '../../perception/runtime/tfjs.ts';
import { initPhysics } from '../../sim/world/physics.ts';
import { SyncVectorEnv } from '../../sim/env/vector/index.ts';
import { make } from '../../sim/env/registry.ts';
import { discountedReturns, load, train, type ReinforceArgs } from '../../agents/reinforce.ts';
import type { Callback } from '../../agents/common/callbacks.ts';
import { SteerToy, steerToyReturn } from './steerToy.ts';

beforeAll(async () => {
  await initTf('wasm');
  await initPhysics();
});

const TOY: Partial<ReinforceArgs> = { totalSteps: 8_192, episodesPerBatch: 8, hidden: [32, 32], learningRate: 3e-3, gamma: 0.95, initialStd: 0.5, actionScale: 1 };
const toyVec = (n = 4) => new SyncVectorEnv(Array.from({ length: n }, () => new SteerToy()));

const rowsOf = (dir: string) => readFileSync(join(dir, 'progress.jsonl'), 'utf8').trim().split('\n').map((l) => {
  const { 'time/fps': _f, 'time/time_elapsed': _t, ...rest } = JSON.parse(l);
  return rest;
});

describe('discountedReturns', () => {
  it('sums discounted rewards backwards from the tail', () => {
    // γ = 0.9: G2 = 3 + 0.9·10 = 12, G1 = 2 + 0.9·12 = 12.8, G0 = 1 + 0.9·12.8 = 12.52.
    expect(Array.from(discountedReturns([1, 2, 3], 0.9, 10))).toEqual([12.52, 12.8, 12].map(Math.fround));
    // After a terminal state the tail is 0: G2 = 3, G1 = 4.7, G0 = 5.23.
    const g = discountedReturns([1, 2, 3], 0.9, 0);
    [5.23, 4.7, 3].forEach((x, t) => expect(g[t]).toBeCloseTo(x, 5));
    expect(discountedReturns([], 0.9, 5).length).toBe(0);
  });
});

describe('REINFORCE', () => {
  it('learns to keep the toy lane: well above the initial policy', async () => {
    const vec = toyVec();
    const initial = await train(toyVec(), { ...TOY, totalSteps: 1 });
    const before = steerToyReturn((o) => initial.act(o, { deterministic: true }) as Float32Array);
    initial.dispose();
    const policy = await train(vec, TOY);
    const learned = steerToyReturn((o) => policy.act(o, { deterministic: true }) as Float32Array);
    expect(before).toBeLessThan(20);
    expect(learned).toBeGreaterThan(35);
    policy.dispose();
  });

  it('is deterministic and keeps the number of tensors constant across updates', async () => {
    const curve = async () => {
      const losses: number[] = [], tensors: number[] = [];
      const cb: Callback = { onUpdate: (_c, m) => void (losses.push(m['train/loss']), tensors.push(tf.memory().numTensors)) };
      (await train(toyVec(), { ...TOY, totalSteps: 1_600, seed: 3 }, [cb])).dispose();
      return { losses, tensors };
    };
    const a = await curve(), b = await curve();
    expect(a.losses.length).toBeGreaterThan(5);
    expect(b.losses).toEqual(a.losses);
    expect(new Set(a.tensors).size).toBe(1);
  });

  it('resumes from a checkpoint exactly as the run would have continued', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-reinforce-'));
    const args = { ...TOY, totalSteps: 2_000, seed: 5 };
    // The checkpoint is written after the next gradient step, before that step's row; the split run
    // stops right there.
    const at = (path: string): Callback => ({ onStep: async (ctx) => void (ctx.step === 600 && (await ctx.checkpoint(path))) });
    const whole = await train(toyVec(), args, [at(join(dir, 'a'))], { logDir: join(dir, 'whole'), logInterval: 4 });
    const stop: Callback = { onStep: () => !existsSync(join(dir, 'b', 'checkpoint.json')) };
    (await train(toyVec(), args, [at(join(dir, 'b')), stop], { logDir: join(dir, 'split'), logInterval: 4 })).dispose();
    const resumed = await train(toyVec(), {}, [], { resumeFrom: join(dir, 'b'), logDir: join(dir, 'split'), logInterval: 4 });
    await whole.save(join(dir, 'pw'));
    await resumed.save(join(dir, 'pr'));
    expect(readFileSync(join(dir, 'pr', 'weights.bin')).equals(readFileSync(join(dir, 'pw', 'weights.bin')))).toBe(true);
    expect(rowsOf(join(dir, 'split'))).toEqual(rowsOf(join(dir, 'whole')));
    whole.dispose();
    resumed.dispose();
  });

  it('smoke-trains on lane-keep-curvy and loads a policy that acts the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-reinforce-curvy-'));
    const vec = new SyncVectorEnv([await make('lane-keep-curvy'), await make('lane-keep-curvy')]);
    const updates: number[] = [];
    const policy = await train(vec, { totalSteps: 400, episodesPerBatch: 2, hidden: [32] }, [{ onUpdate: (_c, m) => void updates.push(m['train/loss']) }]);
    expect(updates.length).toBeGreaterThan(0);
    await policy.save(dir);
    const env = await make('lane-keep-curvy');
    const loaded = await load(dir, env);
    let { observation } = env.reset({ seed: 1_000_000 });
    for (let k = 0; k < 30; k++) {
      const a = policy.act(observation, { deterministic: true }) as Float32Array;
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
