/**
 * What every learning agent shares around its maths: checking its arguments, the seeds of
 * training episodes, and the saved-policy directory (`policy.json` plus `weights.bin`), read from
 * a directory or any other `PolicySource`.
 */
import type { Env } from '../../sim/env/Env.ts';
import type { Space } from '../../sim/env/spaces.ts';
import { expectArray, parseArrays, writeArrays, type NamedArray } from './arrayFile.ts';
import { MANIFEST, readPolicyManifest, writePolicyManifest, type PolicyManifest } from './manifest.ts';
import { fileName, sourceOf, type PolicySource } from './policySource.ts';
import { AgentInputError } from './errors.ts';

export { AgentInputError };

/** How an argument is checked */
export type ArgKind = 'count' | 'nonNegativeInt' | 'seed' | 'positive' | 'nonNegative' | 'unit' | 'fraction' | 'scales' | 'boolean' | 'widths' | 'string' | 'objectOrNull';
export type ArgSpec<T> = { [K in keyof T]: ArgKind };

const EXPECTED: Record<ArgKind, string> = {
  count: 'a whole number ≥ 1',
  nonNegativeInt: 'a whole number ≥ 0',
  seed: 'a whole number ≥ 0',
  positive: 'a number above 0, at most 1,000,000',
  nonNegative: 'a number from 0 to 1,000,000',
  unit: 'a number from 0 to 1',
  fraction: 'a number above 0, at most 1',
  scales: 'a number above 0 and at most 1,000,000, or a list of them, one per action dimension',
  boolean: 'true or false',
  widths: 'a list of layer widths, whole numbers from 1 to 4096',
  string: 'a string',
  objectOrNull: 'an object of settings, or null',
};

const MAX_REAL = 1e6;

function valid(kind: ArgKind, v: unknown): boolean {
  switch (kind) {
    case 'count': return Number.isSafeInteger(v) && (v as number) >= 1;
    case 'nonNegativeInt':
    case 'seed': return Number.isSafeInteger(v) && (v as number) >= 0;
    // Above a million, an action scale, a σ or a learning rate can only overflow.
    case 'positive': return typeof v === 'number' && v > 0 && v <= MAX_REAL;
    case 'nonNegative': return typeof v === 'number' && v >= 0 && v <= MAX_REAL;
    case 'unit': return typeof v === 'number' && v >= 0 && v <= 1;
    case 'fraction': return typeof v === 'number' && v > 0 && v <= 1;
    case 'scales': return (Array.isArray(v) ? v.length > 0 : true) && (Array.isArray(v) ? v : [v]).every((x: unknown) => valid('positive', x));
    case 'boolean': return typeof v === 'boolean';
    case 'widths': return Array.isArray(v) && v.length >= 1 && v.every((w) => Number.isInteger(w) && w >= 1 && w <= 4096);
    case 'string': return typeof v === 'string';
    case 'objectOrNull': return v === null || (typeof v === 'object' && !Array.isArray(v));
  }
}

/** `defaults` with `input` merged in; an unknown or bad field is an error naming it: `dqn args.gamma: expected ...` */
export function parseArgs<T extends object>(agent: string, spec: ArgSpec<T>, defaults: T, input: unknown, where = `${agent} args`): T {
  if (input === undefined || input === null) return { ...defaults };
  if (typeof input !== 'object' || Array.isArray(input)) throw new AgentInputError(`${where}: expected an object of arguments`);
  const out = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(spec, key)) throw new AgentInputError(`${where}.${key}: unknown argument; ${agent} takes ${Object.keys(spec).join(', ')}`);
    const kind = (spec as Record<string, ArgKind>)[key];
    if (!valid(kind, value)) throw new AgentInputError(`${where}.${key}: expected ${EXPECTED[kind]}, got ${JSON.stringify(value)}`);
    out[key] = Array.isArray(value) ? [...value] : value;
  }
  return out as T;
}

/**
 * Seed ranges, as the built-in suites declare them: training plays [0, 899,999]; evaluation during
 * training (model selection) uses [900,000, 999,999]; benchmarks test on 1,000,000 and above.
 */
export const TRAIN_SEEDS: [number, number] = [0, 899_999];
export const VALIDATION_SEED = 900_000;

/**
 * Seeds of the `numEnvs` training episodes that start at `step`, in TRAIN_SEEDS. They depend on
 * the run's seed and the step alone, so a resumed run restarts the same episodes.
 */
export function trainSeeds(seed: number, step: number, numEnvs: number): number[] {
  const span = TRAIN_SEEDS[1] + 1 - numEnvs;
  const base = (seed * 7_919 + step) % span;
  return Array.from({ length: numEnvs }, (_, i) => base + i);
}

export const WEIGHTS_FILE = 'weights.bin';

/** Throws unless the spaces `manifest` records (if any) are `env`'s; `file` names the manifest */
export function checkSpaces(manifest: PolicyManifest, env: Env<unknown, unknown>, file: string): void {
  for (const [field, space] of [['observationSpace', env.observationSpace], ['actionSpace', env.actionSpace]] as const) {
    const saved = manifest[field];
    if (saved !== undefined && JSON.stringify(saved) !== JSON.stringify(space.toJSON())) {
      throw new AgentInputError(`${file}: ${field}: the policy was made for other ${field === 'actionSpace' ? 'actions' : 'observations'} than this env's`);
    }
  }
}

/** Writes `policy.json` and the network weights */
export async function saveWeights(dir: string, agent: string, args: object, observationSpace: Space, actionSpace: Space, arrays: Record<string, NamedArray>): Promise<void> {
  await writePolicyManifest(dir, { agent, args, observationSpace: observationSpace.toJSON(), actionSpace: actionSpace.toJSON() });
  const { join } = await import('node:path');
  writeArrays(join(dir, WEIGHTS_FILE), arrays);
}

/**
 * Reads a saved policy's arguments and weights from `dir` (a directory) or `source`, checking it
 * was made by `agent` for `env`'s spaces
 */
export async function loadWeights<T extends object>(dirOrSource: string | PolicySource, agent: string, spec: ArgSpec<T>, defaults: T, env: Env<unknown, unknown>) {
  const source = sourceOf(dirOrSource);
  const manifest = await readPolicyManifest(source);
  const file = fileName(source, MANIFEST);
  if (manifest.agent !== agent) throw new AgentInputError(`${file}: agent: expected "${agent}", got "${manifest.agent}"`);
  const args = parseArgs(agent, spec, defaults, manifest.args, `${file}: args`);
  checkSpaces(manifest, env, file);
  const weightsFile = fileName(source, WEIGHTS_FILE);
  let bytes: Uint8Array;
  try {
    bytes = await source.bytes(WEIGHTS_FILE);
  } catch (err) {
    throw new AgentInputError((err as Error).message);
  }
  const arrays = parseArrays(bytes, weightsFile);
  return { args, read: (name: string, shape: readonly number[]) => expectArray(arrays, name, shape, weightsFile) };
}
