/** Scenario files on disk, and the `--scenario` argument that names either a file or a built-in id. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseScenarioText, ScenarioError, withOverrides, type ScenarioOverrides } from '../scenarios/parse.ts';
import type { Scenario } from '../scenarios/schema.ts';
import { resolveScenario } from '../sim/env/registry.ts';

const FILE_PATTERN = /\.(json|ya?ml)$/i;

export async function loadScenarioFile(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ScenarioError([`${file}: cannot read the file (${code === 'ENOENT' ? 'it does not exist' : code ?? String(err)})`]);
  }
  return parseScenarioText(text, file);
}

export function looksLikeFile(arg: string): boolean {
  return FILE_PATTERN.test(arg) || arg.includes('/') || arg.includes('\\') || existsSync(arg);
}

/** A built-in id or a scenario file, with overrides applied and checked. */
export async function scenarioFromArg(arg: string, overrides?: ScenarioOverrides): Promise<Scenario> {
  if (looksLikeFile(arg)) return withOverrides(await loadScenarioFile(arg), overrides, arg);
  return resolveScenario(arg, overrides);
}
