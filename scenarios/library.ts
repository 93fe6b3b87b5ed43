/** The built-in scenarios, one file each in `library/`. Imported as data so browsers and workers get them too. */
import highway from './library/highway.json' with { type: 'json' };
import laneKeepCurvy from './library/lane-keep-curvy.json' with { type: 'json' };
import merge from './library/merge.json' with { type: 'json' };
import intersection from './library/intersection.json' with { type: 'json' };
import roundabout from './library/roundabout.json' with { type: 'json' };
import pedestrianCrossing from './library/pedestrian-crossing.json' with { type: 'json' };
import obstacleAvoidance from './library/obstacle-avoidance.json' with { type: 'json' };
import { validateScenario } from './parse.ts';
import type { Scenario } from './schema.ts';

const files: Record<string, unknown> = {
  highway,
  'lane-keep-curvy': laneKeepCurvy,
  merge,
  intersection,
  roundabout,
  'pedestrian-crossing': pedestrianCrossing,
  'obstacle-avoidance': obstacleAvoidance,
};

/** Ids of the built-in scenarios, in a stable order. */
export const builtinScenarioIds: readonly string[] = Object.keys(files);

const cache = new Map<string, Scenario>();

/** A built-in scenario by id, checked and with defaults filled in; undefined when there is none. */
export function builtinScenario(id: string): Scenario | undefined {
  const raw = files[id];
  if (raw === undefined) return undefined;
  let scenario = cache.get(id);
  if (!scenario) {
    scenario = validateScenario(raw, `scenarios/library/${id}.json`);
    cache.set(id, scenario);
  }
  return structuredClone(scenario);
}
