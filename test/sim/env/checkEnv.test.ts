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
