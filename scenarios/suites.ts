/** The built-in benchmark suites, one file each in `suites/`. */
import smoke from './suites/smoke.json' with { type: 'json' };
import standard from './suites/standard.json' with { type: 'json' };
import { parseSuite, type Suite } from './suite.ts';

const files: Record<string, unknown> = { smoke, standard };

export const builtinSuiteIds: readonly string[] = Object.keys(files);

export function builtinSuite(id: string): Suite | undefined {
  const raw = files[id];
  return raw === undefined ? undefined : parseSuite(JSON.stringify(raw), `scenarios/suites/${id}.json`);
}
