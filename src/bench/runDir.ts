/**
 * The files of a benchmark run directory that `--resume` reads back: `run.json` (the run's
 * configuration) and `episodes.jsonl` (one finished episode per line), and the `--out` rules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { entriesText, inspectOutputDir } from '../outputDir.ts';
import type { EpisodeResult } from './jobs.ts';
import { GROUND_TRUTH, type RunConfig } from './report.ts';

/** The finished episodes in `file` (episodes.jsonl); lines that are no episode record are skipped, so those episodes run again */
export function readEpisodes(file: string): EpisodeResult[] {
  if (!existsSync(file)) return [];
  const out: EpisodeResult[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      // A line cut short by a crash: that episode runs again.
      continue;
    }
    // Valid JSON that is no episode record (null, a number, an array, no key) runs again too.
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { key?: unknown }).key === 'string') {
      const r = value as EpisodeResult;
      // Keys written before they named the detector (`entry:episode`) were all ground truth's.
      if (/^\d+:\d+$/.test(r.key)) r.key = `${r.key}:${r.detector ?? GROUND_TRUTH}`;
      out.push(r);
    }
  }
  return out;
}

/**
 * The `--out` rules of a benchmark (see outputDir.ts for those of every output directory): a new or
 * empty directory starts a run; one that holds a run (run.json or episodes.jsonl) needs --resume;
 * anything else is refused. Returns whether there is a run to continue.
 */
export function checkOutDir(outDir: string, resume: boolean): boolean {
  const state = inspectOutputDir('--out', outDir);
  const entries = state.exists ? state.entries : [];
  const hasRun = entries.includes('run.json') || entries.includes('episodes.jsonl');
  if (hasRun && !resume) throw new UsageError(`--out ${outDir}: already holds results; add --resume to continue that run, or choose another --out`);
  if (!hasRun && resume) {
    throw new UsageError(state.exists ? `--resume: ${outDir} holds no benchmark run to continue (no run.json); drop --resume to start one` : `--resume: ${outDir} does not exist; nothing to continue`);
  }
  if (!hasRun && entries.length > 0) {
    throw new UsageError(`--out ${outDir}: is not empty (it holds ${entriesText(entries.length)}) but no benchmark run; expected a new or empty directory`);
  }
  return hasRun;
}

export function readRunConfig(file: string): RunConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--resume: ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)}); the run cannot be continued`);
  }
  try {
    return JSON.parse(text) as RunConfig;
  } catch {
    throw new UsageError(`--resume: ${file}: not valid JSON; the run cannot be continued`);
  }
}
