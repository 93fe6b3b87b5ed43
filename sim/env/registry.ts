/**
 * The env registry: ids to scenarios. `make()` builds an env for an id or a scenario object,
 * applies overrides (validated like a file), checks positions against the built map, loads the
 * physics engine, and wraps the env in `TimeLimit` for the scenario's duration, as Gymnasium's
 * `make` does with `max_episode_steps`. Scenario files are read by the Node-side `make` in `src/`,
 * which delegates here.
 */
import { builtinScenario, builtinScenarioIds } from '../../scenarios/library.ts';
import { overridesSource, ScenarioError, withOverrides, type ScenarioOverrides } from '../../scenarios/parse.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import { checkPositions } from '../road/maps/checkPositions.ts';
import { initPhysics } from '../world/physics.ts';
import { DrivingEnv, type Action, type DrivingEnvOptions, type Observation } from './DrivingEnv.ts';
import type { Env } from './Env.ts';
import { TimeLimit } from './wrappers.ts';

const registry = new Map<string, () => Scenario>();
for (const id of builtinScenarioIds) registry.set(id, () => builtinScenario(id)!);

/** Adds an id, so that `make(id)` builds the given scenario. */
export function register(id: string, scenario: Scenario | (() => Scenario)): void {
  registry.set(id, typeof scenario === 'function' ? scenario : () => structuredClone(scenario));
}

export function registeredIds(): string[] {
  return [...registry.keys()];
}

export interface MakeOptions extends DrivingEnvOptions {
  /** Wrap in TimeLimit (default true) */
  timeLimit?: boolean;
}

/**
 * A scenario from a base (checked or straight from a file) and overrides: merged, validated by the
 * schema, then checked against the map it builds. Problems are a ScenarioError naming `source`.
 */
export function checkedScenario(base: unknown, overrides: ScenarioOverrides | undefined, source: string): Scenario {
  return checkPositions(withOverrides(base, overrides, source), overridesSource(source, overrides));
}

/** The scenario an id names, with overrides applied and checked. Unknown ids get a ScenarioError. */
export function resolveScenario(idOrScenario: string | Scenario, overrides?: ScenarioOverrides): Scenario {
  if (typeof idOrScenario !== 'string') {
    if (typeof idOrScenario !== 'object' || idOrScenario === null || Array.isArray(idOrScenario)) {
      throw new ScenarioError([`make: expected a scenario id, a Scenario object or a .json/.yaml file, got ${idOrScenario === null ? 'null' : Array.isArray(idOrScenario) ? 'an array' : typeof idOrScenario}`]);
    }
    const id = (idOrScenario as { id?: unknown }).id;
    return checkedScenario(idOrScenario, overrides, typeof id === 'string' && id !== '' ? id : 'scenario');
  }
  const factory = registry.get(idOrScenario);
  if (!factory) {
    throw new ScenarioError([`unknown scenario "${idOrScenario}": expected one of ${[...registry.keys()].join(', ')} or a .json/.yaml file`]);
  }
  return checkedScenario(factory(), overrides, idOrScenario);
}

export async function make(idOrScenario: string | Scenario, overrides?: ScenarioOverrides, options: MakeOptions = {}): Promise<Env<Observation, Action>> {
  const scenario = resolveScenario(idOrScenario, overrides);
  await initPhysics();
  const env = new DrivingEnv(scenario, options);
  if (options.timeLimit === false) return env;
  return new TimeLimit(env, Math.max(1, Math.round(scenario.limits.duration / scenario.sim.stepDt)));
}
