/** Scenario files on disk, and the `--scenario` argument that names either a file or a built-in id. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseDocument, ScenarioError, type ScenarioOverrides } from '../scenarios/parse.ts';
import type { Scenario } from '../scenarios/schema.ts';
import { checkedScenario, resolveScenario } from '../sim/env/registry.ts';

const FILE_PATTERN = /\.(json|ya?ml)$/i;

/** The plain data of a JSON or YAML file, not yet checked; unreadable files and bad syntax are ScenarioErrors. */
export async function readScenarioDocument(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(err));
    throw new ScenarioError([`${file}: cannot read the file (${reason})`]);
  }
  return parseDocument(text, file);
}

/**
 * A scenario file with overrides merged in before anything is checked, so an override can repair
 * a field the file got wrong; then the schema and the positions on the built map are checked.
 */
export async function loadScenarioFile(file: string, overrides?: ScenarioOverrides): Promise<Scenario> {
  return checkedScenario(await readScenarioDocument(file), overrides, file);
}

export function looksLikeFile(arg: string): boolean {
  return FILE_PATTERN.test(arg) || arg.includes('/') || arg.includes('\\') || existsSync(arg);
}

/** A built-in id or a scenario file, with overrides applied and checked. */
export async function scenarioFromArg(arg: string, overrides?: ScenarioOverrides): Promise<Scenario> {
  if (looksLikeFile(arg)) return loadScenarioFile(arg, overrides);
  return resolveScenario(arg, overrides);
}
