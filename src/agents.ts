/** The `--agent` argument: a built-in agent name or a saved policy directory. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createExpert } from '../agents/expert.ts';
import { randomFromArgs } from '../agents/random.ts';
import { readPolicyManifest } from '../agents/common/manifest.ts';
import type { Policy } from '../agents/common/Policy.ts';
import type { Env } from '../sim/env/Env.ts';
import type { Action, Observation } from '../sim/env/DrivingEnv.ts';
import { UsageError } from './errors.ts';
import type { Scenario } from '../scenarios/schema.ts';
import { validateScenario, type ScenarioOverrides } from '../scenarios/parse.ts';
import { resolveScenario } from '../sim/env/registry.ts';
import { scenarioFromArg } from './scenarioFiles.ts';

export const BUILTIN_AGENTS = ['expert', 'random'] as const;

/** Agents that are only ever loaded from a saved policy directory, by the module that trained them */
const LEARNED: Record<string, () => Promise<{ load(dir: string, env: Env<Observation, Action>): Promise<Policy<Observation, Action>> }>> = {
  dqn: () => import('../agents/dqn.ts'),
  ppo: () => import('../agents/ppo.ts'),
  reinforce: () => import('../agents/reinforce.ts'),
  qlearning: () => import('../agents/qlearning.ts') as never,
};
/** Learned agents that run networks, and so need tfjs started first */
const NEEDS_TF = new Set(['dqn', 'ppo', 'reinforce']);

type Builder = (env: Env<Observation, Action>, args: Record<string, unknown>) => Policy<Observation, Action>;

/**
 * Built-in agents from their saved arguments. No builder takes a seed from the caller: a policy's
 * randomness comes from each episode's seed through `reset`, and from a seed saved in its args.
 */
const builders: Record<string, Builder> = {
  expert: (env, args) => createExpert(env, args),
  random: (env, args) => randomFromArgs(env, args),
};

/** A built-in agent's name; inherited names such as `constructor` or `toString` are not agents. */
const isBuiltin = (name: string) => Object.hasOwn(builders, name);

/** Builds the policy `arg` names for `env`; bad names and directories are UsageErrors. Episodes are seeded by `policy.reset`. */
export async function loadAgent(arg: string, env: Env<Observation, Action>): Promise<Policy<Observation, Action>> {
  const make = (name: string, args: Record<string, unknown>): Policy<Observation, Action> => {
    try {
      return builders[name](env, args);
    } catch (err) {
      throw new UsageError(`--agent ${arg}: ${(err as Error).message}`);
    }
  };
  if (isBuiltin(arg)) return make(arg, {});
  if (existsSync(arg) && statSync(arg).isDirectory()) {
    let manifest;
    try {
      manifest = await readPolicyManifest(arg);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (Object.hasOwn(LEARNED, manifest.agent)) {
      try {
        if (NEEDS_TF.has(manifest.agent)) await (await import('../perception/runtime/tfjs.ts')).initTf();
        return await (await LEARNED[manifest.agent]()).load(arg, env);
      } catch (err) {
        throw new UsageError(`--agent ${arg}: ${(err as Error).message}`);
      }
    }
    if (!isBuiltin(manifest.agent)) {
      throw new UsageError(`${arg}: agent: expected one of ${[...Object.keys(builders), ...Object.keys(LEARNED)].join(', ')}, got "${manifest.agent}"`);
    }
    for (const [field, space] of [['observationSpace', env.observationSpace], ['actionSpace', env.actionSpace]] as const) {
      const saved = manifest[field];
      if (saved !== undefined && JSON.stringify(saved) !== JSON.stringify(space.toJSON())) {
        throw new UsageError(`${arg}: ${field}: the policy was made for ${describeSpace(saved)}, the env has ${describeSpace(space.toJSON())}`);
      }
    }
    return make(manifest.agent, (manifest.args ?? {}) as Record<string, unknown>);
  }
  throw new UsageError(`--agent ${arg}: unknown agent; expected ${BUILTIN_AGENTS.join(', ')} or a saved policy directory`);
}

function describeSpace(json: unknown): string {
  const s = json as { type?: string; shape?: number[]; n?: number; spaces?: Record<string, unknown> };
  if (s?.type === 'box') return `Box${JSON.stringify(s.shape)}`;
  if (s?.type === 'discrete') return `Discrete(${s.n})`;
  if (s?.type === 'dict') return `Dict{${Object.entries(s.spaces ?? {}).map(([k, v]) => `${k}: ${describeSpace(v)}`).join(', ')}}`;
  return JSON.stringify(json);
}

/** Agents whose actions follow their observation, for messages */
export const OBSERVING_AGENTS = 'a saved dqn, ppo, reinforce or qlearning policy directory (e.g. models/dqn-highway)';

/**
 * Whether the agent `arg` reads the world rather than its observation (the expert, built in or
 * saved), so that what it perceives cannot change how it drives.
 */
export async function agentReadsWorld(arg: string): Promise<boolean> {
  if (arg === 'expert') return true;
  if (isBuiltin(arg) || !existsSync(arg) || !statSync(arg).isDirectory()) return false;
  try {
    return (await readPolicyManifest(arg)).agent === 'expert';
  } catch {
    return false; // loadAgent reports the problem with the directory
  }
}

/**
 * `scenario` as the agent `arg` drives it. A saved policy records the action space it was trained
 * with; a policy of discrete meta-actions (DQN, Q-learning) gets `action.type: discrete` and one of
 * continuous controls gets `continuous`, so it runs on any scenario without a `--set`.
 */
export async function scenarioForAgent(arg: string, scenario: Scenario): Promise<Scenario> {
  if (isBuiltin(arg) || !existsSync(arg) || !statSync(arg).isDirectory()) return scenario;
  let saved: unknown;
  try {
    saved = (await readPolicyManifest(arg)).actionSpace;
  } catch {
    return scenario; // loadAgent reports the problem with the directory
  }
  const type = (saved as { type?: string } | undefined)?.type;
  const wanted = type === 'discrete' ? 'discrete' : type === 'box' ? 'continuous' : null;
  return wanted && scenario.action.type !== wanted ? { ...scenario, action: { ...scenario.action, type: wanted } } : scenario;
}

/**
 * The scenario a command runs `agent` in: `scenarioArg` (an id or a file) when given; else, for a
 * saved policy with a run record (`train.json`, as `drivelab train` writes and models/ ship), the
 * scenario it was trained on; else highway. `--set` overrides apply, then `scenarioForAgent`.
 */
export async function scenarioForRun(agent: string, scenarioArg: string | undefined, overrides?: ScenarioOverrides): Promise<Scenario> {
  const trained = scenarioArg === undefined ? trainedScenario(agent) : null;
  const scenario = trained ? resolveScenario(trained, overrides) : await scenarioFromArg(scenarioArg ?? 'highway', overrides);
  return scenarioForAgent(agent, scenario);
}

/** The scenario recorded in a policy directory's train.json, or null when there is none */
function trainedScenario(agent: string): Scenario | null {
  const file = join(agent, 'train.json');
  if (isBuiltin(agent) || !existsSync(file)) return null;
  let record: { scenario?: unknown };
  try {
    record = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new UsageError(`${file}: not valid JSON; pass --scenario to choose the scenario`);
  }
  return validateScenario(record.scenario, `${file}: scenario`);
}
