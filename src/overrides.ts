/** `--set path=value` flags into a scenario overrides object: `--set traffic.vehicles=5`. */
import { UsageError } from './errors.ts';
import { setOwn, type ScenarioOverrides } from '../scenarios/parse.ts';

export function parseSetFlags(flags: readonly string[]): ScenarioOverrides {
  const out: Record<string, unknown> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${flag}: expected path=value, e.g. --set traffic.vehicles=5`);
    const path = flag.slice(0, eq).split('.');
    if (path.some((p) => p === '')) throw new UsageError(`--set ${flag}: expected a dotted path such as map.lanes`);
    const raw = flag.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    let node = out;
    for (const key of path.slice(0, -1)) {
      const next = Object.hasOwn(node, key) ? node[key] : undefined;
      if (typeof next !== 'object' || next === null || Array.isArray(next)) setOwn(node, key, {});
      node = node[key] as Record<string, unknown>;
    }
    setOwn(node, path[path.length - 1], value);
  }
  return out as ScenarioOverrides;
}
