/**
 * A resumable checkpoint of a training run: `checkpoint.json` (algorithm, arguments, counters,
 * RNG states) and `checkpoint.bin` (weights, optimiser moments, replay buffer). The binary file is
 * written first and the JSON last, each atomically, so a checkpoint directory is always whole:
 * an interrupt while writing leaves the previous checkpoint readable.
 */
import { AgentInputError } from './errors.ts';
import { nodeFs, nodePath } from './nodeBuiltins.ts';
import { expectArray, readArrays, writeArrays, type NamedArray } from './arrayFile.ts';

export const CHECKPOINT_VERSION = 1;

export interface CheckpointMeta {
  version: number;
  algorithm: string;
  /** The algorithm's arguments; a resumed run keeps them */
  args: Record<string, unknown>;
  step: number;
  episodes: number;
  /** Everything else the algorithm needs, JSON-serialisable */
  state: Record<string, unknown>;
}

export function writeCheckpoint(dir: string, meta: Omit<CheckpointMeta, 'version'>, arrays: Record<string, NamedArray>): void {
  const { mkdirSync, renameSync, writeFileSync } = nodeFs(), { join } = nodePath();
  mkdirSync(dir, { recursive: true });
  writeArrays(join(dir, 'checkpoint.bin'), arrays);
  const tmp = join(dir, 'checkpoint.json.tmp');
  writeFileSync(tmp, JSON.stringify({ version: CHECKPOINT_VERSION, ...meta }, null, 1) + '\n');
  renameSync(tmp, join(dir, 'checkpoint.json'));
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  /** An array by name with the shape expected; an error naming the file and array otherwise */
  read(name: string, shape: readonly number[]): Float32Array;
  /** An array by name, whatever its shape (replay buffers) */
  raw(name: string): Float32Array | undefined;
}

export function readCheckpoint(dir: string, algorithm: string): LoadedCheckpoint {
  const { readFileSync } = nodeFs(), { join } = nodePath();
  const file = join(dir, 'checkpoint.json');
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new AgentInputError(`${file}: ${missing ? 'no checkpoint here (expected checkpoint.json from an earlier run with checkpoints)' : 'not valid JSON'}`);
  }
  if (typeof meta !== 'object' || meta === null) throw new AgentInputError(`${file}: expected an object`);
  if (meta.version !== CHECKPOINT_VERSION) throw new AgentInputError(`${file}: version: expected ${CHECKPOINT_VERSION}, got ${JSON.stringify(meta.version)}`);
  if (meta.algorithm !== algorithm) throw new AgentInputError(`${file}: algorithm: expected "${algorithm}", got ${JSON.stringify(meta.algorithm)}`);
  for (const key of ['step', 'episodes'] as const) {
    if (!Number.isSafeInteger(meta[key]) || meta[key] < 0) throw new AgentInputError(`${file}: ${key}: expected a whole number ≥ 0, got ${JSON.stringify(meta[key])}`);
  }
  if (typeof meta.state !== 'object' || meta.state === null) throw new AgentInputError(`${file}: state: expected an object`);
  const bin = join(dir, 'checkpoint.bin');
  const arrays = readArrays(bin);
  return {
    meta,
    read: (name, shape) => expectArray(arrays, name, shape, bin),
    raw: (name) => arrays[name]?.data,
  };
}
