/**
 * The session host of `drivelab view`: opens runs in Node, from built-in scenario ids or scenario
 * files, built-in agents or saved policy directories, with the detector the command was given.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { builtinScenarioIds } from '../../scenarios/library.ts';
import { DrivingEnv } from '../../sim/env/DrivingEnv.ts';
import { TimeLimit } from '../../sim/env/wrappers.ts';
import { initPhysics } from '../../sim/world/physics.ts';
import { BUILTIN_AGENTS, loadAgent, scenarioForRun } from '../agents.ts';
import { perceivedEnv } from '../bench/jobs.ts';
import type { ScenarioOverrides } from '../../scenarios/parse.ts';
import type { OpenedRun, SessionHost } from './session.ts';

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
      await initPhysics();
      const scenario = await scenarioForRun(agent, scenarioId, options.overrides);
      const env = new TimeLimit(new DrivingEnv(scenario), Math.round(scenario.limits.duration / scenario.sim.stepDt));
      try {
        const policy = await loadAgent(agent, env);
        const perceived = options.detector ? await perceivedEnv(env, options.detector) : null;
        return {
          env,
          perceived,
          policy,
          agent,
          detector: options.detector,
          close: () => {
            env.close();
            (policy as { dispose?(): void }).dispose?.();
          },
        };
      } catch (err) {
        env.close();
        throw err;
      }
    },
  };
}
