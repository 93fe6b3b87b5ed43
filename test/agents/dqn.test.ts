import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initTf } from '../../perception/runtime/tfjs.ts';
import { SyncVectorEnv } from '../../sim/env/vector/index.ts';
import { make } from '../../sim/env/registry.ts';
import { train, load, type DqnArgs } from '../../agents/dqn.ts';
import type { Callback } from '../../agents/common/callbacks.ts';
import { TrainingDivergedError } from '../../agents/common/TrainRun.ts';
import { LaneKeepToy, toyReturn } from './toyEnvs.ts';

beforeAll(async () => {
  await initTf('wasm');
});

const TOY: Partial<DqnArgs> = {
  totalSteps: 6_000, learningStarts: 300, batchSize: 32, hidden: [32, 32], actionRepeat: 1, gamma: 0.9,
  targetUpdateInterval: 200, explorationFraction: 0.5, learningRate: 2e-3, bufferSize: 5_000,
};

const toyVec = (n = 1) => new SyncVectorEnv(Array.from({ length: n }, () => new LaneKeepToy(true)));

describe('DQN', () => {
  it('learns to keep the toy lane: mean return near the 50 of holding the centre', async () => {
    const doNothing = toyReturn(true, () => 1);
    const policy = await train(toyVec(), TOY);
    const learned = toyReturn(true, (o) => policy.act(o as never) as number);
    expect(doNothing).toBeLessThan(35);
    expect(learned).toBeGreaterThan(44);
    policy.dispose();
  });

  it('is deterministic: the same seed gives the same loss curve', async () => {
    const losses = async () => {
      const out: number[] = [];
      const cb: Callback = { onUpdate: (_c, m) => void out.push(m['train/loss']) };
      (await train(toyVec(), { ...TOY, totalSteps: 1_000, learningStarts: 100, seed: 3 }, [cb])).dispose();
      return out;
    };
    const a = await losses(), b = await losses();
    expect(a.length).toBe(901);
    expect(b).toEqual(a);
  });

  it('resumes from a checkpoint exactly as the run would have continued', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-dqn-'));
    const args = { ...TOY, totalSteps: 1_200, learningStarts: 200, nStep: 2, seed: 5 };
    const at = (step: number, path: string): Callback => ({ onStep: async (ctx) => void (ctx.step === step && (await ctx.checkpoint(path))) });
    // Rows every 250 steps: the checkpoint at 600 falls between two, and the resumed run must still log at 750.
    const whole = await train(toyVec(2), args, [at(600, join(dir, 'a'))], { logDir: join(dir, 'whole'), logInterval: 250 });
    // Stopped by a callback, not by a smaller totalSteps, which would change the ε schedule.
    const stop: Callback = { onStep: (ctx) => ctx.step < 600 };
    const first = await train(toyVec(2), args, [at(600, join(dir, 'b')), stop], { logDir: join(dir, 'split'), logInterval: 250 });
    first.dispose();
    const resumed = await train(toyVec(2), {}, [], { resumeFrom: join(dir, 'b'), logDir: join(dir, 'split'), logInterval: 250 });
    await whole.save(join(dir, 'pw'));
    await resumed.save(join(dir, 'pr'));
    expect(readFileSync(join(dir, 'pr', 'weights.bin')).equals(readFileSync(join(dir, 'pw', 'weights.bin')))).toBe(true);
    const rows = (d: string) => readFileSync(join(dir, d, 'progress.jsonl'), 'utf8').trim().split('\n').map((l) => {
      const { 'time/fps': _f, 'time/time_elapsed': _t, ...rest } = JSON.parse(l);
      return rest;
    });
    // The stopped run also wrote a row where it stopped.
    expect(rows('split').filter((r) => r['time/total_timesteps'] !== 600)).toEqual(rows('whole'));
    whole.dispose();
    resumed.dispose();
  });

  it('saves and loads a policy that acts the same, and names a corrupt weights file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-dqn-save-'));
    const env = await make('highway', { action: { type: 'discrete' }, traffic: { vehicles: 4 } });
    const vec = new SyncVectorEnv([await make('highway', { action: { type: 'discrete' }, traffic: { vehicles: 4 } })]);
    const policy = await train(vec, { totalSteps: 300, learningStarts: 100, batchSize: 16, hidden: [32], dueling: true });
    await policy.save(dir);
    const loaded = await load(dir, env);
    let { observation } = env.reset({ seed: 1_000_000 });
    for (let k = 0; k < 30; k++) {
      const a = policy.act(observation);
      expect(loaded.act(observation)).toBe(a);
      observation = env.step(a).observation;
    }
    const file = join(dir, 'weights.bin');
    writeFileSync(file, readFileSync(file).subarray(0, 100));
    await expect(load(dir, env)).rejects.toThrow(new RegExp(`weights\\.bin: .*truncated`));
    policy.dispose();
    loaded.dispose();
  });

  it('leaks no tensors across training and acting', async () => {
    const before = tf.memory().numTensors;
    const policy = await train(toyVec(), { ...TOY, totalSteps: 400, learningStarts: 100 });
    const afterTraining = tf.memory().numTensors;
    toyReturn(true, (o) => policy.act(o as never) as number, 3);
    expect(tf.memory().numTensors).toBe(afterTraining);
    policy.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops with a clear message when the loss stops being finite', async () => {
    // An env whose rewards turn NaN: the first update's loss is NaN.
    class Poisoned extends LaneKeepToy {
      override step(action: Float32Array | number) {
        return { ...super.step(action), reward: NaN };
      }
    }
    await expect(train(new SyncVectorEnv([new Poisoned(true)]), { ...TOY, totalSteps: 2_000, learningStarts: 50 })).rejects.toThrow(TrainingDivergedError);
  });

  it('refuses a continuous action space with the setting to change', async () => {
    const vec = new SyncVectorEnv([new LaneKeepToy(false)]);
    await expect(train(vec, TOY)).rejects.toThrow(/Discrete action space.*action\.type/);
    await expect(train(toyVec(), { ...TOY, gamma: 2 })).rejects.toThrow(/dqn args\.gamma: expected a number from 0 to 1, got 2/);
  });
});
