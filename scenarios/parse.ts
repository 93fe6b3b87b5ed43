/**
 * Turning text or plain data into a checked `Scenario`. Errors name the source, the path inside it
 * and what was expected, one problem per line.
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { Scenario, type ScenarioInput } from './schema.ts';

/** A scenario that failed to parse or validate; `problems` holds one line per problem. */
export class ScenarioError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ScenarioError';
    this.problems = problems;
  }
}

/** `traffic.speed[1]`, the way a person writes a path into a JSON document. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** One line per zod issue: `source: path: message`. */
export function formatIssues(source: string, error: z.ZodError): string[] {
  return error.issues.flatMap(expandUnion).map((issue) => `${source}: ${formatPath(issue.path)}: ${describeIssue(issue)}`);
}

/**
 * A union that rejected its input as a whole (`"highway"` or `{ scenario, overrides }`) says only
 * "Invalid input". When exactly one option took the input's type, its own issues say what was wrong
 * inside it; when none did, the line lists the types that would do.
 */
function expandUnion(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const wrongType = (branch: z.core.$ZodIssue[]) => branch.length === 1 && branch[0].code === 'invalid_type' && branch[0].path.length === 0;
  const matching = issue.errors.filter((branch) => !wrongType(branch));
  if (matching.length === 1) return matching[0].map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })).flatMap(expandUnion);
  if (matching.length > 0) return [issue];
  const expected = issue.errors.map((branch) => (branch[0] as z.core.$ZodIssueInvalidType).expected).join(' or ');
  return [{ ...issue, message: `expected ${expected}` }];
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return `required field is missing (expected ${issue.expected})`;
  if (issue.code === 'invalid_type' && issue.expected === 'int') return `expected an integer, got ${preview(issue.input)}`;
  const message = issue.message
    .replace(/^Invalid (input|option): /, '')
    .replace(/^Too (small|big): /, '')
    .replace(/^Invalid discriminator value\. Expected /, 'expected type ');
  // A union reports the whole object; its tag is what was wrong.
  const input = issue.code === 'invalid_union' && isPlainObject(issue.input) ? issue.input.type : issue.input;
  const shown = input !== undefined && issue.code !== 'custom' ? `, got ${preview(input)}` : '';
  return message.includes(', received ') ? message.replace(', received ', ', got ') : message + shown;
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // Nested too deep to print (or circular, from the API).
    text = Array.isArray(value) ? 'an array' : typeof value;
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Parses JSON or YAML text. YAML is a superset of JSON, but JSON errors read better from JSON.parse. */
export function parseDocument(text: string, source: string): unknown {
  // Editors on Windows start UTF-8 files with a byte-order mark; JSON.parse rejects it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const looksJson = /\.json$/i.test(source) || /^\s*[{[]/.test(text);
  try {
    // Warnings (an unknown tag) would go to the process's stderr as several lines; the schema judges the value.
    return looksJson ? JSON.parse(text) : parseYaml(text, { logLevel: 'error' });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const at = err.linePos?.[0] ? `line ${err.linePos[0].line}, column ${err.linePos[0].col}: ` : '';
      const reason = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw new ScenarioError([`${source}: ${at}not valid YAML: ${reason}`]);
    }
    const message = err instanceof Error ? err.message : String(err);
    const at = /at position (\d+)/.exec(message);
    if (at) {
      const before = text.slice(0, Number(at[1]));
      const line = before.split('\n').length;
      const column = Number(at[1]) - before.lastIndexOf('\n');
      const reason = message.replace(/ in JSON at position \d+.*$/s, '');
      throw new ScenarioError([`${source}: line ${line}, column ${column}: not valid JSON: ${reason}`]);
    }
    throw new ScenarioError([`${source}: not valid ${looksJson ? 'JSON' : 'YAML'}: ${message}`]);
  }
}

/** Checks plain data against the schema and fills in every default. */
export function validateScenario(data: unknown, source: string): Scenario {
  const result = Scenario.safeParse(data, { reportInput: true });
  if (!result.success) throw new ScenarioError(formatIssues(source, result.error));
  return result.data;
}

/** Text of a JSON or YAML scenario file to a checked scenario. */
export function parseScenarioText(text: string, source: string): Scenario {
  return validateScenario(parseDocument(text, source), source);
}

/** A partial scenario whose fields replace those of a base; arrays are replaced whole. */
export type ScenarioOverrides = DeepPartial<ScenarioInput>;
type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** How problems name a source once overrides are merged into it. */
export function overridesSource(source: string, overrides: ScenarioOverrides | undefined): string {
  return overrides && Object.keys(overrides).length > 0 ? `${source} (with overrides)` : source;
}

/**
 * Merges overrides into a scenario, or into the plain data of a file before it was checked, and
 * validates the result, so overrides get the same errors as files and can repair a file.
 */
export function withOverrides(base: unknown, overrides: ScenarioOverrides | undefined, source: string): Scenario {
  if (overrides !== undefined && overrides !== null && !isPlainObject(overrides)) {
    throw new ScenarioError([`${source}: overrides: expected an object of scenario fields, got ${Array.isArray(overrides) ? 'an array' : preview(overrides)}`]);
  }
  // A document that is not an object has nothing to merge into; its own error says so.
  if (!overrides || Object.keys(overrides).length === 0 || !isPlainObject(base)) return validateScenario(base, source);
  return validateScenario(deepMerge(base, overrides), overridesSource(source, overrides));
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  // A tagged object that changes its tag (a new map or goal type) brings its own defaults.
  if (over.type !== undefined && over.type !== base.type) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) setOwn(out, key, deepMerge(Object.hasOwn(base, key) ? base[key] : undefined, value));
  return out;
}

/**
 * Sets a field as the object's own, even one named `__proto__`, which plain assignment would take
 * for the prototype: the schema then reports it as an unknown field instead of reading through it.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
