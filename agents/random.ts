/** Uniformly random actions from the env's action space, from a seeded stream: the floor any agent must beat. */
import { Rng } from '../sim/rng.ts';
import type { Env } from '../sim/env/Env.ts';
import type { Action, Observation } from '../sim/env/DrivingEnv.ts';
import type { Policy } from './common/Policy.ts';
import { writePolicyManifest } from './common/manifest.ts';

export function createRandom(env: Env<Observation, Action>, seed = 0): Policy<Observation, Action> {
  let rng = Rng.seeded(seed);
  const space = env.actionSpace;
  if (space.type === 'dict') throw new Error('the random agent needs a Box or Discrete action space');
  return {
    name: 'random',
    act: () => space.sample(rng),
    reset: (episodeSeed?: number) => {
      if (episodeSeed !== undefined) rng = Rng.seeded(seed * 7919 + episodeSeed);
    },
    save: (dir) => writePolicyManifest(dir, { agent: 'random', args: { seed } }),
  };
}
