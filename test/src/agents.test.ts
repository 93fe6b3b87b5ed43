import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Policy } from '../../agents/common/Policy.ts';
import type { Action, Observation } from '../../sim/env/DrivingEnv.ts';
import type { Env } from '../../sim/env/Env.ts';
import { make } from '../../sim/env/registry.ts';
import { BUILTIN_AGENTS, loadAgent } from '../../src/agents.ts';
import { runEpisode } from '../../src/episode.ts';

type P = Policy<Observation, Action>;

/** Every action of one episode, as `drivelab run` drives it. */
function episode(env: Env<Observation, Action>, policy: P, seed: number): number[] {
  const out: number[] = [];
  runEpisode(env, policy, seed, { onStep: (_step, action) => out.push(...(typeof action === 'number' ? [action] : action)) });
  return out;
}

describe('the Policy contract: an episode depends on its seed alone', () => {
  for (const name of BUILTIN_AGENTS) {
    it(`${name}, built in and saved: the same actions for a seed, fresh or after other episodes`, async () => {
      const env = await make('highway', { traffic: { vehicles: 6 }, limits: { duration: 3 } });
      const policy = await loadAgent(name, env);
      const fresh = episode(env, policy, 5);
      expect(fresh.length).toBeGreaterThan(0);
      episode(env, policy, 1);
      episode(env, policy, 2);
      expect(episode(env, policy, 5)).toEqual(fresh);

      const dir = join(mkdtempSync(join(tmpdir(), 'drivelab-agent-')), name);
      await policy.save(dir);
      const saved = await loadAgent(dir, env);
      episode(env, saved, 3);
      expect(episode(env, saved, 5)).toEqual(fresh);
      env.close();
    });
  }
});
