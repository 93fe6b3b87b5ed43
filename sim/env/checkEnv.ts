/**
 * Checks that an env keeps Gymnasium's contract, as `gymnasium.utils.env_checker` does: spaces,
 * reset and step return types, observations inside their space, reward terms that add up, seeding
 * and same-seed determinism. Returns the problems found; an empty list means the env passed.
 */
import { Rng } from '../rng.ts';
import type { Env } from './Env.ts';
import type { Space, SpaceValue } from './spaces.ts';

export interface CheckEnvOptions {
  /** Steps of the random rollouts */
  steps?: number;
  seed?: number;
}

export function checkEnv<O extends SpaceValue, A extends SpaceValue>(env: Env<O, A>, options: CheckEnvOptions = {}): string[] {
  const steps = options.steps ?? 50;
  const seed = options.seed ?? 123;
  const problems: string[] = [];
  const fail = (message: string) => problems.push(message);

  for (const [name, space] of [['observationSpace', env.observationSpace], ['actionSpace', env.actionSpace]] as const) {
    if (!space || !['box', 'discrete', 'dict'].includes((space as Space).type)) fail(`${name} is not a Box, Discrete or Dict space`);
  }
  if (problems.length) return problems;

  const first = env.reset({ seed });
  if (typeof first !== 'object' || first === null || !('observation' in first) || !('info' in first)) {
    return [...problems, 'reset() must return { observation, info }'];
  }
  if (!env.observationSpace.contains(first.observation)) fail('the observation from reset() is not in observationSpace');
  if (typeof first.info !== 'object' || first.info === null) fail('info from reset() is not an object');

  const again = env.reset({ seed });
  if (!sameValue(first.observation, again.observation)) fail(`reset({ seed: ${seed} }) twice gave different observations`);
  const other = env.reset({ seed: seed + 1 });
  if (sameValue(first.observation, other.observation)) fail(`reset with seeds ${seed} and ${seed + 1} gave the same observation`);

  const rollout = (): SpaceValue[] => {
    const rng = Rng.seeded(seed);
    const seen: SpaceValue[] = [env.reset({ seed }).observation];
    for (let i = 0; i < steps; i++) {
      const action = env.actionSpace.sample(rng) as A;
      const r = env.step(action);
      if (typeof r.reward !== 'number' || !Number.isFinite(r.reward)) fail(`step ${i}: reward ${r.reward} is not a finite number`);
      if (typeof r.terminated !== 'boolean' || typeof r.truncated !== 'boolean') fail(`step ${i}: terminated and truncated must be booleans`);
      if (!env.observationSpace.contains(r.observation)) fail(`step ${i}: observation is not in observationSpace`);
      const terms = r.info.rewards as Record<string, number> | undefined;
      if (!terms) fail(`step ${i}: info.rewards is missing`);
      else {
        const sum = Object.values(terms).reduce((a, b) => a + b, 0);
        if (Math.abs(sum - r.reward) > 1e-6 * Math.max(1, Math.abs(r.reward))) fail(`step ${i}: info.rewards sums to ${sum}, reward is ${r.reward}`);
      }
      seen.push(r.observation);
      if (r.terminated || r.truncated) {
        let threw = false;
        try {
          env.step(action);
        } catch {
          threw = true;
        }
        if (!threw) fail(`step ${i}: step() after the episode ended did not ask for reset()`);
        break;
      }
    }
    return seen;
  };
  const a = rollout();
  const b = rollout();
  if (a.length !== b.length || a.some((obs, i) => !sameValue(obs, b[i]))) fail('two rollouts with the same seed and actions differ');
  return [...new Set(problems)];
}

function sameValue(a: SpaceValue, b: SpaceValue): boolean {
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  if (a instanceof Float32Array || b instanceof Float32Array) {
    if (!(a instanceof Float32Array && b instanceof Float32Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => k in b && sameValue(a[k], b[k]));
}
