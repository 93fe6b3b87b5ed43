/** `drivelab bench` and `drivelab bench compare`. */
import { availableParallelism } from 'node:os';
import { SingleBar } from 'cli-progress';
import { runBench, type BenchProgress } from '../bench/runner.ts';
import { perceptionTable, resultsTable } from '../bench/report.ts';
import { compareReports, formatComparison, loadReport } from '../bench/compare.ts';
import { UsageError } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { BACKENDS } from '../../perception/runtime/backends.ts';

export interface BenchCliOptions {
  suite: string;
  agent: string;
  detector: string;
  episodes?: string;
  workers?: string;
  out?: string;
  record?: boolean;
  resume?: boolean;
  backend?: string;
  queue?: string;
  queueTimeout?: string;
  json?: boolean;
}

function wholeNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${value}: expected a positive whole number`);
  return n;
}

function queueTimeout(opts: BenchCliOptions): number | undefined {
  if (opts.queueTimeout === undefined) return undefined;
  if (opts.queue === undefined) throw new UsageError(`--queue-timeout ${opts.queueTimeout}: only means something with --queue <url>`);
  const s = Number(opts.queueTimeout);
  if (!(s >= 1 && s <= 86_400)) throw new UsageError(`--queue-timeout ${opts.queueTimeout}: expected seconds from 1 to 86400`);
  return s;
}

/** A progress bar on a terminal, or none. */
function progressBar(stream: NodeJS.WriteStream | undefined): BenchProgress | undefined {
  if (!stream) return undefined;
  const bar = new SingleBar({ stream, format: 'bench {bar} {value}/{total} episodes | ETA {eta_formatted} | {rate} steps/s', hideCursor: true, etaBuffer: 20 }, undefined);
  let steps = 0;
  let t0 = 0;
  return {
    start(total, done) {
      t0 = performance.now();
      bar.start(total, done, { rate: '–' });
    },
    episode(r) {
      steps += r.steps;
      bar.increment(1, { rate: Math.round(steps / ((performance.now() - t0) / 1000)).toLocaleString('en-US') });
    },
    stop() {
      bar.stop();
    },
  };
}

/** Returns 130 when Ctrl-C stopped the run early. */
export async function benchCommand(opts: BenchCliOptions, io: CliIo): Promise<number> {
  const backend = opts.backend ?? 'auto';
  if (!(BACKENDS as readonly string[]).includes(backend)) throw new UsageError(`--backend ${backend}: expected one of ${BACKENDS.join(', ')}`);
  // Worker threads take their environment from this process when they start: they all choose this backend.
  if (backend !== 'auto') process.env.DRIVELAB_BACKEND = backend;
  const workers = wholeNumber('--workers', opts.workers) ?? Math.min(availableParallelism(), 8);
  const outcome = await runBench(
    { suite: opts.suite, agent: opts.agent, detector: opts.detector, episodes: wholeNumber('--episodes', opts.episodes), workers, out: opts.out, record: Boolean(opts.record), resume: Boolean(opts.resume), queue: opts.queue, queueTimeout: queueTimeout(opts) },
    progressBar(io.progress),
  );
  const { report, outDir, interrupted } = outcome;
  if (opts.json) {
    io.stdout(JSON.stringify({ outDir, interrupted, overall: report.overall, scenarios: report.scenarios, ...(report.perception ? { perception: report.perception } : {}) }) + '\n');
  } else {
    const p = report.perception;
    io.stdout(`drivelab bench · suite ${report.suite.id} · agent ${report.agent} · detector ${report.detector}${report.backend ? ` (tfjs ${report.backend})` : ''} · ${report.overall.episodes} episodes${p ? `, each also on ground truth` : ''}\n\n`);
    io.stdout(resultsTable(report) + '\n\n');
    if (p) io.stdout(`The cost of perception: the same episodes on ground truth and with ${p.detector}; Δ = ${p.detector} − ground truth, paired\n\n${perceptionTable(report)}\n\n`);
    io.stdout(`Means with 95% bootstrap CIs. Full report: ${outDir}/report.md, report.json, episodes.csv, plots/\n`);
  }
  // One line per distinct warning, naming the scenario and how many of its episodes it concerns.
  const warned = new Map<string, number>();
  for (const row of report.episodes) {
    if (!row.warnings) continue;
    const key = `${row.scenario}: ${row.warnings}`;
    warned.set(key, (warned.get(key) ?? 0) + 1);
  }
  for (const [text, n] of warned) io.stderr(`warning: ${text} (${n} episode${n === 1 ? '' : 's'})\n`);
  if (interrupted) {
    io.stderr(`interrupted: ${report.overall.episodes} of ${report.config.episodesPlanned} episodes kept in ${outDir}; continue with --out ${outDir} --resume\n`);
    return 130;
  }
  return 0;
}

export async function compareCommand(a: string, b: string, opts: { json?: boolean }, io: CliIo): Promise<void> {
  const [ra, rb] = [await loadReport(a), await loadReport(b)];
  const comparison = compareReports(ra, rb);
  io.stdout(opts.json ? JSON.stringify(comparison) + '\n' : formatComparison(comparison, a, b));
}
