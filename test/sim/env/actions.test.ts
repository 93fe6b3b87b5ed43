import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrivingEnv } from '../../../sim/env/DrivingEnv.ts';
import { make } from '../../../sim/env/registry.ts';

const OVERRIDES = { traffic: { vehicles: 2 }, limits: { duration: 5 } };

describe('continuous actions', () => {
  let env: DrivingEnv;
  beforeAll(async () => {
    env = (await make('highway', OVERRIDES, { timeLimit: false })) as DrivingEnv;
  });
  afterAll(() => env.close());

  /** The ego's state after one step from seed 0 with the given action. */
  const after = (action: unknown) => {
    env.reset({ seed: 0 });
    const r = env.step(action as Float32Array);
    return [r.info.ego, r.reward];
  };

  it('takes any numeric array-like of two values, with the same result as a Float32Array', () => {
    // 0.25 and 0.5 are exact in float32 and float64 alike, so every form holds the same numbers.
    const reference = after(Float32Array.of(0.25, 0.5));
    for (const action of [[0.25, 0.5], Float64Array.of(0.25, 0.5), { length: 2, 0: 0.25, 1: 0.5 }]) {
      expect(after(action)).toEqual(reference);
    }
    // Whole-number typed arrays work too; 1 and -1 are the ends of the range.
    expect(after(Int8Array.of(0, 1))).toEqual(after([0, 1]));
    // A different action really drives differently, so the comparisons above mean something.
    expect(after([0, -1])).not.toEqual(after([0, 1]));
  });

  const bad: [string, unknown, string][] = [
    ['a number', 0.5, 'action must be an array or typed array of 2 numbers [steer, acceleration], got 0.5'],
    ['null', null, 'action must be an array or typed array of 2 numbers [steer, acceleration], got null'],
    ['a string', '01', 'action must be an array or typed array of 2 numbers [steer, acceleration], got the string "01"'],
    ['a plain object', { steer: 0 }, 'action must be an array or typed array of 2 numbers [steer, acceleration], got an object (Object)'],
    ['an ArrayBuffer', new ArrayBuffer(8), 'action must be an array or typed array of 2 numbers [steer, acceleration], got an object (ArrayBuffer)'],
    ['too few values', [0.1], 'action must hold 2 numbers [steer, acceleration], got 1 value [0.1]'],
    ['too many values', Float64Array.of(0, 0.1, 0.2), 'action must hold 2 numbers [steer, acceleration], got 3 values [0, 0.1, 0.2]'],
    ['a string element', [0, '1'], 'action[1] (acceleration) must be a number, got the string "1"'],
    ['a bigint element', BigInt64Array.of(0n, 1n), 'action[0] (steer) must be a number, got the bigint 0n'],
    ['a hole', [0, undefined], 'action[1] (acceleration) must be a number, got undefined'],
    ['NaN', [0, Number.NaN], 'action[1] (acceleration) must be finite, got NaN in [0, NaN]'],
    ['Infinity', Float64Array.of(Number.POSITIVE_INFINITY, 0), 'action[0] (steer) must be finite, got Infinity in [Infinity, 0]'],
  ];
  for (const [what, action, message] of bad) {
    it(`rejects ${what} with a message that says so`, () => {
      env.reset({ seed: 0 });
      expect(() => env.step(action as Float32Array)).toThrow(message);
      // The rejected action did not advance the episode.
      expect(env.world.steps).toBe(0);
    });
  }
});

describe('discrete actions', () => {
  let env: DrivingEnv;
  beforeAll(async () => {
    env = (await make('highway', { ...OVERRIDES, action: { type: 'discrete' } }, { timeLimit: false })) as DrivingEnv;
  });
  afterAll(() => env.close());

  it('takes an integer in [0, n)', () => {
    env.reset({ seed: 0 });
    for (let a = 0; a < 5; a++) expect(env.step(a).info.step).toBe(a + 1);
  });

  const bad: [string, unknown, string][] = [
    ['an array', [1], 'action must be an integer in [0, 5) for a Discrete(5) action space, got an array of 1'],
    ['a typed array', Float32Array.of(1), 'action must be an integer in [0, 5) for a Discrete(5) action space, got a Float32Array of 1'],
    ['a string', '1', 'action must be an integer in [0, 5) for a Discrete(5) action space, got the string "1"'],
    ['a fraction', 2.5, 'action must be an integer in [0, 5) for a Discrete(5) action space, got 2.5, which is not a whole number'],
    ['NaN', Number.NaN, 'action must be an integer in [0, 5) for a Discrete(5) action space, got NaN, which is not a whole number'],
    ['too large', 5, 'action must be an integer in [0, 5) for a Discrete(5) action space, got 5, which is out of range'],
    ['negative', -1, 'action must be an integer in [0, 5) for a Discrete(5) action space, got -1, which is out of range'],
  ];
  for (const [what, action, message] of bad) {
    it(`rejects ${what} with a message that says so`, () => {
      env.reset({ seed: 0 });
      expect(() => env.step(action as number)).toThrow(message);
      expect(env.world.steps).toBe(0);
    });
  }
});
