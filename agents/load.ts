/**
 * A saved policy from any `PolicySource` (a directory, a URL): `policy.json` names the agent, and the
 * module that made the policy rebuilds it from the source's files. The expert and the random agent
 * are built from their saved arguments. Nothing this module reaches imports Node's APIs, so a
 * browser page bundles it (the viewer); the agents load on use.
 *
 * tfjs must be ready before a network policy loads: in Node `initTf()` (perception/runtime/tfjs.ts)
 * starts it, in a browser the page picks its backend (`await tf.setBackend('webgl')`). The networks
 * are plain dense layers (and the CNN for a camera), which every tfjs backend runs.
 */
import type { Env } from '../sim/env/Env.ts';
import type { Action, Observation } from '../sim/env/DrivingEnv.ts';
import { checkSpaces } from './common/agentFiles.ts';
import { MANIFEST, parsePolicyManifest, readManifestText } from './common/manifest.ts';
import type { Policy } from './common/Policy.ts';
import { fileName, type PolicySource } from './common/policySource.ts';

type Loader = (source: PolicySource, env: Env<Observation, Action>) => Promise<Policy<Observation, Action>>;

/** Agents that are loaded from their files, by the module that trained them */
const LEARNED: Record<string, Loader> = {
  dqn: async (source, env) => (await import('./dqn.ts')).load(source, env),
  ppo: async (source, env) => (await import('./ppo.ts')).load(source, env),
  reinforce: async (source, env) => (await import('./reinforce.ts')).load(source, env),
  qlearning: async (source, env) => (await (await import('./qlearning.ts')).load(source, env as never)) as Policy<Observation, Action>,
};

/** Agents built from their saved arguments alone */
const BUILT: Record<string, (env: Env<Observation, Action>, args: Record<string, unknown>) => Promise<Policy<Observation, Action>>> = {
  expert: async (env, args) => (await import('./expert.ts')).createExpert(env, args),
  random: async (env, args) => (await import('./random.ts')).randomFromArgs(env, args),
};

/** The agents a saved policy may name */
export const SAVED_AGENTS = [...Object.keys(LEARNED), ...Object.keys(BUILT)];

/** The policy saved at `source`, for `env`; a bad or unknown policy is a one-line error naming the file */
export async function loadPolicy(source: PolicySource, env: Env<Observation, Action>): Promise<Policy<Observation, Action>> {
  const text = await readManifestText(source);
  const file = fileName(source, MANIFEST);
  const manifest = parsePolicyManifest(text, file);
  const agent = manifest.agent;
  if (Object.hasOwn(LEARNED, agent)) {
    // The agent reads policy.json again: from here, not a second time from the source.
    const once: PolicySource = {
      name: source.name,
      nameOf: (f) => fileName(source, f),
      text: (f) => (f === MANIFEST ? Promise.resolve(text) : source.text(f)),
      bytes: (f) => source.bytes(f),
    };
    return LEARNED[agent](once, env);
  }
  if (!Object.hasOwn(BUILT, agent)) throw new Error(`${file}: agent: expected one of ${SAVED_AGENTS.join(', ')}, got ${JSON.stringify(agent)}`);
  checkSpaces(manifest, env, file);
  try {
    return await BUILT[agent](env, (manifest.args ?? {}) as Record<string, unknown>);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}
