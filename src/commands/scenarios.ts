/** `drivelab scenarios list` and `drivelab scenarios validate <file...>`. */
import { z } from 'zod';
import { builtinScenario, builtinScenarioIds } from '../../scenarios/library.ts';
import { Scenario } from '../../scenarios/schema.ts';
import { Suite } from '../../scenarios/suite.ts';
import { ScenarioError } from '../../scenarios/parse.ts';
import type { CliIo } from '../io.ts';
import { parseSetFlags } from '../overrides.ts';
import { loadScenarioFile } from '../scenarioFiles.ts';

export function listCommand(opts: { json?: boolean }, io: CliIo): void {
  const rows = builtinScenarioIds.map((id) => {
    const s = builtinScenario(id)!;
    return { id, map: s.map.type, vehicles: s.traffic.vehicles, pedestrians: s.traffic.pedestrians, duration: s.limits.duration, description: s.description };
  });
  if (opts.json) {
    io.stdout(JSON.stringify(rows) + '\n');
    return;
  }
  const width = Math.max(...rows.map((r) => r.id.length));
  const lines = rows.map((r) => `${r.id.padEnd(width)}  ${r.map.padEnd(12)} ${String(r.vehicles).padStart(3)} vehicles ${String(r.pedestrians).padStart(2)} pedestrians ${String(r.duration).padStart(3)} s  ${r.description}`);
  io.stdout(lines.join('\n') + '\n');
}

/**
 * Checks every file against the schema and the map it builds, with any `--set` overrides merged in
 * first; prints `file: ok` or one line per problem. Fails (exit 2) if any file has a problem.
 */
export async function validateCommand(files: string[], opts: { set: string[] }, io: CliIo): Promise<void> {
  const overrides = parseSetFlags(opts.set);
  const problems: string[] = [];
  for (const file of files) {
    try {
      const s = await loadScenarioFile(file, overrides);
      io.stdout(`${file}: ok (${s.id}, ${s.map.type} map)\n`);
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw new ScenarioError(problems);
}

/** The JSON Schema of scenario (or suite) files, for editors that complete and check JSON and YAML. */
export function schemaCommand(opts: { suite?: boolean }, io: CliIo): void {
  const schema = z.toJSONSchema(opts.suite ? Suite : Scenario, { io: 'input', unrepresentable: 'any' });
  const titled = { title: opts.suite ? 'drivelab benchmark suite, version 1' : 'drivelab scenario, version 1', ...schema };
  io.stdout(JSON.stringify(titled, null, 2) + '\n');
}
