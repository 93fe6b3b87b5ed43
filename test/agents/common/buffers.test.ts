import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../../../agents/common/ReplayBuffer.ts';
import { exponentialSchedule, linearSchedule } from '../../../agents/common/schedules.ts';
import { readArrays, writeArrays, expectArray } from '../../../agents/common/arrayFile.ts';
import { Logger } from '../../../agents/common/logger.ts';
import { RewardScaler } from '../../../agents/common/RewardScaler.ts';
import { Rng } from '../../../sim/rng.ts';

describe('ReplayBuffer', () => {
  it('overwrites the oldest row when full and samples only filled rows', () => {
    const buf = new ReplayBuffer(3, 2);
    for (let k = 0; k < 5; k++) buf.add(Float32Array.of(k, k), k, k * 10, Float32Array.of(k + 1, k + 1), k === 4, 0.9);
    expect(buf.size).toBe(3);
    expect(Array.from(buf.rewards)).toEqual([30, 40, 20]);
    const batch = buf.batch(64);
    buf.sample(Rng.seeded(1), batch);
    const seen = new Set(batch.rewards);
    expect([...seen].sort((a, b) => a - b)).toEqual([20, 30, 40]);
    for (let k = 0; k < 64; k++) {
      // Rows stay whole: the reward, observation, next observation and flags of one transition.
      const a = batch.actions[k];
      expect(batch.rewards[k]).toBe(a * 10);
      expect(batch.observations[2 * k]).toBe(a);
      expect(batch.nextObservations[2 * k]).toBe(a + 1);
      expect(batch.terminated[k]).toBe(a === 4 ? 1 : 0);
    }
  });

  it('restores from its arrays to sample the same batches', () => {
    const buf = new ReplayBuffer(10, 3);
    for (let k = 0; k < 7; k++) buf.add(Float32Array.of(k, -k, 2 * k), k % 2, k, Float32Array.of(0, 0, k), false, 0.5);
    const copy = new ReplayBuffer(10, 3);
    copy.restore(Object.fromEntries(Object.entries(buf.arrays()).map(([k, v]) => [k, v.slice()])));
    const a = buf.batch(5), b = copy.batch(5);
    buf.sample(Rng.seeded(4), a);
    copy.sample(Rng.seeded(4), b);
    expect(b).toEqual(a);
    copy.add(Float32Array.of(9, 9, 9), 1, 9, Float32Array.of(9, 9, 9), false, 1);
    expect(copy.position).toBe(8);
  });
});

describe('schedules', () => {
  it('linear reaches its end at the fraction and stays there', () => {
    const s = linearSchedule(1, 0.05, 0.5);
    expect(s(0)).toBe(1);
    expect(s(0.25)).toBeCloseTo(0.525, 12);
    expect(s(0.5)).toBeCloseTo(0.05, 12);
    expect(s(0.9)).toBeCloseTo(0.05, 12);
  });
  it('exponential is geometric between its ends', () => {
    const s = exponentialSchedule(1, 0.01);
    expect(s(0.5)).toBeCloseTo(0.1, 12);
    expect(s(1)).toBeCloseTo(0.01, 12);
    expect(() => exponentialSchedule(0, 1)).toThrow(/above 0/);
  });
});

describe('array files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drivelab-arrays-'));
  it('round-trips named arrays exactly', () => {
    const file = join(dir, 'a.bin');
    writeArrays(file, { w: { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, Math.PI) }, b: { shape: [1], data: Float32Array.of(-0.5) } });
    const back = readArrays(file);
    expect(Array.from(expectArray(back, 'w', [2, 3], file))).toEqual(Array.from(Float32Array.of(1, 2, 3, 4, 5, Math.PI)));
    expect(() => expectArray(back, 'w', [3, 2], file)).toThrow(/w: expected shape \[3,2\], got \[2,3\]/);
    expect(() => expectArray(back, 'nope', [1], file)).toThrow(/nope: missing/);
  });
  it('names the file and the fault of a damaged one', () => {
    const file = join(dir, 'b.bin');
    writeArrays(file, { w: { shape: [4], data: Float32Array.of(1, 2, 3, 4) } });
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 4));
    expect(() => readArrays(file)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: w: truncated`));
    writeFileSync(file, 'not an array file');
    expect(() => readArrays(file)).toThrow(/not a drivelab array file/);
    writeArrays(file, { w: { shape: [1], data: Float32Array.of(NaN) } });
    expect(() => expectArray(readArrays(file), 'w', [1], file)).toThrow(/element 0 is NaN/);
  });
});

describe('Logger', () => {
  it('writes the mean of each key per row to CSV and JSONL as it goes, and drops rows after a resume point', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-log-'));
    const log = new Logger(dir);
    log.record('train/loss', 1);
    log.record('train/loss', 3);
    log.dump(100);
    log.record('train/loss', 5);
    log.record('rollout/ep_rew_mean', 7);
    log.dump(200);
    const csv = readFileSync(join(dir, 'progress.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('rollout/ep_rew_mean,time/total_timesteps,train/loss');
    expect(csv.slice(1)).toEqual([',100,2', '7,200,5']);
    expect(readFileSync(join(dir, 'progress.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    const resumed = new Logger(dir);
    expect(resumed.rows).toHaveLength(2);
    resumed.truncateAfter(150);
    expect(new Logger(dir).rows.map((r) => r['time/total_timesteps'])).toEqual([100]);
  });

  it('keeps the last value of a key that is set, not the mean, and carries pending values across a checkpoint', () => {
    const log = new Logger();
    for (const n of [1, 2, 3]) log.set('train/n_updates', n);
    log.record('train/loss', 2);
    const pending = log.pending();
    log.record('train/loss', NaN);
    expect(log.dump(10)).toMatchObject({ 'train/n_updates': 3 });
    const resumed = new Logger();
    resumed.restorePending(pending);
    resumed.record('train/loss', 4);
    expect(resumed.dump(10)).toEqual({ 'time/total_timesteps': 10, 'train/n_updates': 3, 'train/loss': 3 });
    const withNaN = new Logger();
    withNaN.restorePending([['train/loss', null, 1]]);
    expect(withNaN.dump(5)['train/loss']).toBeNaN();
  });
});

describe('RewardScaler', () => {
  it('divides rewards by the running std of the discounted return', () => {
    const s = new RewardScaler(1, 0);
    // With γ = 0 the return is the reward itself; constant rewards of 4 have std → 0, so it is
    // the spread that sets the scale: alternating ±2 has std 2.
    const r = new Float32Array(1);
    for (let k = 0; k < 2000; k++) {
      r[0] = k % 2 ? 2 : -2;
      s.scale(r, [0], [0]);
    }
    r[0] = 2;
    s.scale(r, [0], [0]);
    expect(r[0]).toBeCloseTo(1, 2);
  });
});
