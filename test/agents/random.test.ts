import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../agents/random.ts';
import type { Policy } from '../../agents/common/Policy.ts';
import type { Action, Observation } from '../../sim/env/DrivingEnv.ts';
import { make } from '../../sim/env/registry.ts';
import { Rng } from '../../sim/rng.ts';
import { loadAgent } from '../../src/agents.ts';
import { runEpisode } from '../../src/episode.ts';

type P = Policy<Observation, Action>;

/** The first `n` actions of an episode, as numbers. */
function actions(policy: P, episodeSeed: number, n = 20): number[] {
  policy.reset(episodeSeed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = policy.act({});
    out.push(...(typeof a === 'number' ? [a] : a));
  }
  return out;
}

/** Some other episodes, of other lengths, to leave the policy in some state. */
function history(policy: P): void {
  actions(policy, 3, 7);
  actions(policy, 9, 50);
  policy.act({});
}

describe('random agent', () => {
  for (const type of ['continuous', 'discrete'] as const) {
    it(`${type}: an episode's actions come from its seed alone, whatever ran before`, async () => {
      const env = await make('highway', { action: { type } });
      const fresh = actions(createRandom(env), 5);
      const used = createRandom(env);
      history(used);
      expect(actions(used, 5)).toEqual(fresh);
      expect(actions(createRandom(env), 6)).not.toEqual(fresh);
    });
  }

  it('an explicit agent seed picks other streams, the same for the same seeds', async () => {
    const env = await make('highway');
    const a = createRandom(env, 11);
    history(a);
    expect(actions(a, 5)).toEqual(actions(createRandom(env, 11), 5));
    expect(actions(createRandom(env, 12), 5)).not.toEqual(actions(a, 5));
    expect(actions(createRandom(env, 11), 5)).not.toEqual(actions(createRandom(env), 5));
    expect(() => createRandom(env, -1)).toThrow('seed: expected a non-negative integer, got -1');
    expect(() => a.reset(1.5)).toThrow("expected the episode's seed");
  });

  it("does not draw the env's own streams for the same seed", async () => {
    const env = await make('highway');
    const ours = actions(createRandom(env), 5, 4);
    const root = Rng.seeded(5);
    const split = Rng.seeded(5).split();
    const theirs = (rng: Rng) => Array.from({ length: 4 }, () => [...(env.actionSpace.sample(rng) as Float32Array)]).flat();
    expect(ours).not.toEqual(theirs(root));
    expect(ours).not.toEqual(theirs(split));
  });

  it('saves its seed only when it was given one; a loaded policy acts as the saved one', async () => {
    const env = await make('highway');
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-random-'));
    await createRandom(env).save(join(dir, 'plain'));
    await createRandom(env, 11).save(join(dir, 'seeded'));
    expect(JSON.parse(readFileSync(join(dir, 'plain', 'policy.json'), 'utf8')).args).toEqual({});
    expect(JSON.parse(readFileSync(join(dir, 'seeded', 'policy.json'), 'utf8')).args).toEqual({ seed: 11 });
    expect(actions(await loadAgent(join(dir, 'plain'), env), 5)).toEqual(actions(createRandom(env), 5));
    expect(actions(await loadAgent(join(dir, 'seeded'), env), 5)).toEqual(actions(createRandom(env, 11), 5));
  });
});

describe('drivelab run with the random agent', () => {
  it('drives an episode with the same actions for the same seed however the policy was reached', async () => {
    const env = await make('highway', { traffic: { vehicles: 4 }, limits: { duration: 3 } });
    const episode = (policy: P, seed: number) => {
      const out: number[] = [];
      runEpisode(env, policy, seed, { onStep: (_step, action) => out.push(...(action as Float32Array)) });
      return out;
    };
    // As `drivelab run --seed 5` builds it, then after other episodes, then built afresh.
    const policy = await loadAgent('random', env);
    const first = episode(policy, 5);
    expect(first.length).toBeGreaterThan(0);
    episode(policy, 1);
    episode(policy, 2);
    expect(episode(policy, 5)).toEqual(first);
    expect(episode(await loadAgent('random', env), 5)).toEqual(first);
    expect(episode(policy, 6)).not.toEqual(first);
  });
});
