/**
 * Uniformly random actions from the env's action space: the floor any agent must beat.
 *
 * Every `reset(episodeSeed)` restarts the action stream from that episode's seed, mixed with the
 * agent's own `seed`, so an episode's actions never depend on the episodes before it or on which
 * thread ran it.
 */
import { mix32, Rng } from '../sim/rng.ts';
import type { Env } from '../sim/env/Env.ts';
import type { Action, Observation } from '../sim/env/DrivingEnv.ts';
import type { Policy } from './common/Policy.ts';
import { writePolicyManifest } from './common/manifest.ts';

/**
 * A random policy for `env`. An episode's actions come from its seed and the agent's `seed`
 * (default 0) alone; a seed given here is saved with the policy.
 */
export function createRandom(env: Env<Observation, Action>, seed?: number): Policy<Observation, Action> {
  if (seed !== undefined && (!Number.isSafeInteger(seed) || seed < 0)) throw new Error(`seed: expected a non-negative integer, got ${JSON.stringify(seed)}`);
  const space = env.actionSpace;
  if (space.type === 'dict') throw new Error('the random agent needs a Box or Discrete action space');
  // Until the first reset, the stream of episode seed 0.
  let rng = episodeRng(0, seed);
  return {
    name: 'random',
    act: () => space.sample(rng),
    reset: (episodeSeed: number) => {
      if (!Number.isSafeInteger(episodeSeed) || episodeSeed < 0) throw new Error(`reset: expected the episode's seed, a non-negative integer, got ${episodeSeed}`);
      rng = episodeRng(episodeSeed, seed);
    },
    save: (dir) => writePolicyManifest(dir, { agent: 'random', args: seed === undefined ? {} : { seed } }),
  };
}

/** A random policy from saved arguments, `{ seed? }`; any other field is an error naming it */
export function randomFromArgs(env: Env<Observation, Action>, args: Record<string, unknown>): Policy<Observation, Action> {
  const unknown = Object.keys(args).filter((k) => k !== 'seed');
  if (unknown.length > 0) throw new Error(`args: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; the random agent takes only "seed"`);
  return createRandom(env, args.seed === undefined ? undefined : (args.seed as number));
}

/**
 * The stream of one episode. The seeds are hashed together with a constant of this agent's own, so
 * the stream is not one the env draws from for the same seed (its root generator and its splits).
 */
function episodeRng(episodeSeed: number, agentSeed = 0): Rng {
  let h = mix32(0x2545f491 ^ (agentSeed >>> 0));
  h = mix32(h ^ Math.floor(agentSeed / 2 ** 32));
  h = mix32(h ^ (episodeSeed >>> 0));
  h = mix32(h ^ Math.floor(episodeSeed / 2 ** 32));
  return Rng.seeded(h >>> 0);
}
