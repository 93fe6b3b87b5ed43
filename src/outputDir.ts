/**
 * Directories that commands write into (`bench --out`, `capture --out`, `run --render`), checked
 * before any work starts so that a bad path costs nothing. The rules:
 *
 * - a path that does not exist is created, with any missing parents;
 * - an existing empty directory is used as it is;
 * - a path that is a file, or lies under a file, is refused;
 * - a directory that already holds files is refused, so one run never overwrites another's files or
 *   mixes its own in with them (`bench --resume` is the one way to continue in a used directory);
 * - a directory that cannot be created or written into is refused.
 */
import { closeSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.ts';

/** What is at an output path now: nothing yet, or a directory and the names in it. */
export type OutputDirState = { exists: false } | { exists: true; entries: string[] };

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  ENOENT: 'the file system does not allow it here',
  ENOTDIR: 'a part of the path is a file',
  EEXIST: 'something else was created there',
};

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `${code}: ${REASONS[code] ?? 'failed'}` : String(err);
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/** The nearest existing ancestor of a path that does not exist. */
function existingAncestor(path: string): string {
  let p = dirname(resolve(path));
  while (statOrNull(p) === null && dirname(p) !== p) p = dirname(p);
  return p;
}

/** Looks at an output path without changing anything; a file in the way is a UsageError. */
export function inspectOutputDir(flag: string, dir: string): OutputDirState {
  if (dir.trim() === '') throw new UsageError(`${flag}: expected a directory path, got an empty string`);
  let st: Stats | null;
  try {
    st = statOrNull(dir);
  } catch (err) {
    throw new UsageError(`${flag} ${dir}: cannot look at it (${reason(err)})`);
  }
  if (st === null) {
    const ancestor = existingAncestor(dir);
    if (!statSync(ancestor).isDirectory()) throw new UsageError(`${flag} ${dir}: cannot create it, ${ancestor} is a file; expected a directory path`);
    return { exists: false };
  }
  if (!st.isDirectory()) throw new UsageError(`${flag} ${dir}: is a file; expected a directory (new or empty)`);
  try {
    return { exists: true, entries: readdirSync(dir) };
  } catch (err) {
    throw new UsageError(`${flag} ${dir}: cannot read the directory (${reason(err)})`);
  }
}

/** `1 entry`, `3 entries`: how much an output directory already holds. */
export function entriesText(n: number): string {
  return `${n} ${n === 1 ? 'entry' : 'entries'}`;
}

/** Refuses a directory that holds files; `what` says what the command writes there. */
export function requireNewOrEmpty(flag: string, dir: string, what: string): void {
  const state = inspectOutputDir(flag, dir);
  if (state.exists && state.entries.length > 0) {
    throw new UsageError(`${flag} ${dir}: is not empty (it holds ${entriesText(state.entries.length)}); expected a new or empty directory for ${what}`);
  }
}

/**
 * Creates the directory and its missing parents, then proves it writable with a scratch file.
 * Parents are made one at a time: a recursive mkdir can loop forever where the file system refuses
 * new entries (under /proc, for one).
 */
export function createOutputDir(flag: string, dir: string): void {
  const missing: string[] = [];
  for (let p = resolve(dir); statOrNull(p) === null && dirname(p) !== p; p = dirname(p)) missing.push(p);
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statOrNull(p)?.isDirectory()) continue;
      throw new UsageError(`${flag} ${dir}: cannot create the directory (${reason(err)})`);
    }
  }
  const probe = join(dir, `.drivelab-write-check-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (err) {
    throw new UsageError(`${flag} ${dir}: cannot write into the directory (${reason(err)})`);
  }
}
