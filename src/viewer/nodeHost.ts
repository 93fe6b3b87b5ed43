/**
 * The session host of `drivelab view`: opens runs in Node, from built-in scenario ids or scenario
 * files, built-in agents or saved policy directories, with the detector the command was given.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { builtinScenarioIds } from '../../scenarios/library.ts';
import { make } from '../../sim/env/registry.ts';
import { BUILTIN_AGENTS, loadAgent, scenarioForRun } from '../agents.ts';
import { perceivedEnv } from '../bench/jobs.ts';
import type { ScenarioOverrides } from '../../scenarios/parse.ts';
import { openedRun, type OpenedRun, type SessionHost } from './session.ts';

export interface NodeHostOptions {
  /** The scenario and agent the command was started with; both are offered in the page */
  scenario: string;
  agent: string;
  detector: string | null;
  overrides?: ScenarioOverrides;
  /** Directory whose saved policies are offered as agents (default: models/ under the working directory) */
  modelsDir?: string;
}

/** Saved policy directories under `dir` (those with a policy.json), as paths relative to the working directory */
export function savedPolicies(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'policy.json')))
    .map((e) => relative(process.cwd(), join(dir, e.name)) || e.name)
    .sort();
}

export function nodeHost(options: NodeHostOptions): SessionHost {
  const scenarios = [...new Set([options.scenario, ...builtinScenarioIds])];
  const agents = [...new Set([options.agent, ...BUILTIN_AGENTS, ...savedPolicies(options.modelsDir ?? 'models')])];
  return {
    scenarios,
    agents,
    async open(scenarioId: string, agent: string): Promise<OpenedRun> {
      const scenario = await scenarioForRun(agent, scenarioId, options.overrides);
      const env = await make(scenario);
      try {
        const policy = await loadAgent(agent, env);
        return openedRun(env, policy, options.detector ? await perceivedEnv(env, options.detector) : null, agent, options.detector);
      } catch (err) {
        env.close();
        throw err;
      }
    },
  };
}
