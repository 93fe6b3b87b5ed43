/**
 * The drivelab-record format as the page decodes it: reward terms come back term by term in the
 * order they were written, and a series of the wrong length is refused naming its field.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DrivingEnv } from '../../../sim/env/DrivingEnv.ts';
import { initPhysics } from '../../../sim/world/physics.ts';
import { builtinScenario } from '../../../scenarios/library.ts';
import { ReplayRecorder, type EpisodeRecord } from '../../../src/bench/record.ts';
import { encodeFloats, parseRecord } from '../../../src/bench/recordFormat.ts';

const STEPS = 6;
let good: EpisodeRecord;
/** The reward terms the env gave at each step, as the recorder saw them */
const seen: Record<string, number>[] = [];

beforeAll(async () => {
  await initPhysics();
  const env = new DrivingEnv(builtinScenario('highway')!);
  env.reset({ seed: 2 });
  const recorder = new ReplayRecorder(env.unwrapped.world, 'expert');
  for (let i = 0; i < STEPS; i++) {
    const action = Float32Array.from([0.1 * i - 0.2, 0.6]);
    const r = env.step(action);
    recorder.onStep(action, r.reward, r.info);
    seen.push({ ...(r.info.rewards as Record<string, number>) });
  }
  good = recorder.toRecord('time-limit');
  env.close();
});

/** `count` float32 values 0, 1, 2, … */
const series = (count: number) => encodeFloats(Array.from({ length: count }, (_, i) => i));

describe('parseRecord', () => {
  it('decodes a recording the recorder wrote, each reward term to its own series', () => {
    const replay = parseRecord(good, 'good.drec.json.gz');
    expect(replay.rewards).toHaveLength(STEPS);
    const names = Object.keys(seen[0]);
    expect(names.length, 'the env gives two or more reward terms').toBeGreaterThanOrEqual(2);
    expect(Object.keys(replay.terms).sort()).toEqual(names.sort());
    for (const name of names) {
      const expected = seen.map((row) => Math.fround(row[name] ?? 0));
      expect(Array.from(replay.terms[name]), name).toEqual(expected);
    }
    // The terms differ from each other, so a mix-up of rows and columns cannot go unseen.
    const distinct = new Set(names.map((n) => Array.from(replay.terms[n]).join(',')));
    expect(distinct.size).toBeGreaterThanOrEqual(2);
  });

  it('reads terms.values row by row: [steps × names], not [names × steps]', () => {
    const names = ['alpha', 'beta', 'gamma'];
    const values: number[] = [];
    for (let t = 0; t < good.steps; t++) values.push(t, 100 + t, 1000 + t);
    const replay = parseRecord({ ...good, terms: { names, values: encodeFloats(values) } }, 'synth');
    const steps = Array.from({ length: good.steps }, (_, t) => t);
    expect(Array.from(replay.terms.alpha)).toEqual(steps);
    expect(Array.from(replay.terms.beta)).toEqual(steps.map((t) => 100 + t));
    expect(Array.from(replay.terms.gamma)).toEqual(steps.map((t) => 1000 + t));
  });

  it('takes a file without terms, with no terms', () => {
    const { terms: _terms, ...old } = good;
    expect(parseRecord(old, 'old').terms).toEqual({});
  });

  it('refuses a poses series of the wrong length, naming poses', () => {
    const n = (good.steps + 1) * good.actors.length * 4;
    expect(parseRecord({ ...good, poses: series(n) }, 'f').poses).toHaveLength(n);
    for (const count of [n - 1, n + 1, n - 4, n + 4, 0]) {
      expect(() => parseRecord({ ...good, poses: series(count) }, 'f'), String(count)).toThrow(new RegExp(`^f: poses: expected ${n} values, got ${count}$`));
    }
  });

  it('refuses an actions series of the wrong length, naming actions', () => {
    const n = good.steps * good.actionSize;
    expect(good.actionSize).toBe(2);
    expect(parseRecord({ ...good, actions: series(n) }, 'f').actions).toHaveLength(n);
    for (const count of [n - 1, n + 1, good.steps, 0]) {
      expect(() => parseRecord({ ...good, actions: series(count) }, 'f'), String(count)).toThrow(new RegExp(`^f: actions: expected ${n} values, got ${count}$`));
    }
  });

  it('refuses a rewards series of the wrong length, naming rewards', () => {
    const n = good.steps;
    expect(parseRecord({ ...good, rewards: series(n) }, 'f').rewards).toHaveLength(n);
    for (const count of [n - 1, n + 1, 0]) {
      expect(() => parseRecord({ ...good, rewards: series(count) }, 'f'), String(count)).toThrow(new RegExp(`^f: rewards: expected ${n} values, got ${count}$`));
    }
  });

  it('refuses terms.values of the wrong length, naming terms.values', () => {
    const names = ['a', 'b'];
    expect(() => parseRecord({ ...good, terms: { names, values: series(good.steps * 2 - 1) } }, 'f')).toThrow(/^f: terms\.values: expected \d+ values, got \d+$/);
    expect(() => parseRecord({ ...good, terms: { names, values: series(good.steps) } }, 'f')).toThrow(/^f: terms\.values: /);
  });
});
