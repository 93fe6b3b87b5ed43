/**
 * Node's `fs` and `path` for the code that reads and writes training files synchronously: logs,
 * checkpoints, weights. They are looked up on first use (`process.getBuiltinModule`, Node ≥ 20.16)
 * rather than imported, so that every agent module also bundles for a browser, where policies load
 * through a `PolicySource` (policySource.ts) and none of this runs.
 */
type Fs = typeof import('node:fs');
type Path = typeof import('node:path');

interface NodeProcess {
  getBuiltinModule?(id: string): unknown;
}

function builtin<T>(id: string): T {
  const get = (globalThis as { process?: NodeProcess }).process?.getBuiltinModule;
  if (!get) throw new Error(`${id}: files are read and written in Node (20.16 or later) only`);
  return get(id) as T;
}

export const nodeFs = (): Fs => builtin<Fs>('node:fs');
export const nodePath = (): Path => builtin<Path>('node:path');
