import { describe, expect, it } from 'vitest';
import { builtinScenarioIds } from '../../../scenarios/library.ts';
import { checkEnv } from '../../../sim/env/checkEnv.ts';
import { make } from '../../../sim/env/registry.ts';

describe('checkEnv over every built-in scenario', () => {
  for (const id of builtinScenarioIds) {
    it(`${id}: continuous actions`, async () => {
      const env = await make(id);
      expect(checkEnv(env, { steps: 40 })).toEqual([]);
      env.close();
    });
    it(`${id}: discrete meta-actions`, async () => {
      const env = await make(id, { action: { type: 'discrete' } });
      expect(env.actionSpace.type).toBe('discrete');
      expect(checkEnv(env, { steps: 40 })).toEqual([]);
      env.close();
    });
  }

  it('reports a broken env', async () => {
    const env = await make('highway');
    const broken = Object.create(env) as typeof env;
    broken.step = (action) => {
      const r = env.step(action);
      return { ...r, reward: r.reward + 1 };
    };
    const problems = checkEnv(broken, { steps: 3 });
    expect(problems.some((p) => p.includes('info.rewards sums to'))).toBe(true);
  });
});

describe('reset arguments', () => {
  it('takes reset(null) as reset(), as Gymnasium takes reset(seed=None)', async () => {
    const [a, b] = [await make('highway'), await make('highway')];
    a.reset({ seed: 3 });
    b.reset({ seed: 3 });
    a.reset(null as never);
    b.reset();
    expect(a.unwrapped.seed).toBe(b.unwrapped.seed);
    expect(a.unwrapped.seed).not.toBe(3);
  });

  it('shows a seed of the wrong type as what it is', async () => {
    const env = await make('highway');
    expect(() => env.reset({ seed: '3' as never })).toThrow('a seed must be a non-negative integer, got string "3"');
    expect(() => env.reset({ seed: -1 })).toThrow('a seed must be a non-negative integer, got -1');
  });
});

