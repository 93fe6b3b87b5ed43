/**
 * Runs a suite: plans one job per (scenario, test seed), checks everything that can be checked
 * before the first episode, runs the jobs in this thread or on a pool of worker threads, and
 * appends every finished episode to `episodes.jsonl` at once, so an interrupted run keeps its
 * episodes and `--resume` continues it. With a detector other than ground truth, every episode is
 * planned twice on the same seed, once on ground truth and once through that detector
 * (perception/perceivedEnv.ts), and the key of a job names its detector.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { builtinSuite } from '../../scenarios/suites.ts';
import { parseSuite, type Suite } from '../../scenarios/suite.ts';
import { ScenarioError, type ScenarioOverrides } from '../../scenarios/parse.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import { DrivingEnv } from '../../sim/env/DrivingEnv.ts';
import { initPhysics } from '../../sim/world/physics.ts';
import { agentReadsWorld, loadAgent, OBSERVING_AGENTS, scenarioForAgent } from '../agents.ts';
import { QueueGoneError, UsageError } from '../errors.ts';
import { parseQueueUrl } from '../queue/url.ts';
import type { QueueRun } from '../queue/submit.ts';
import { createOutputDir } from '../outputDir.ts';
import { scenarioFromArg } from '../scenarioFiles.ts';
import { VERSION } from '../version.ts';
import type { BenchJob, EpisodeResult } from './jobs.ts';
import { buildReport, GROUND_TRUTH, toCsv, toMarkdown, type Report, type RunConfig } from './report.ts';
import { renderPlots } from './plots.ts';
import { checkOutDir, readEpisodes, readRunConfig } from './runDir.ts';

export interface BenchOptions {
  /** Built-in suite id or a suite file */
  suite: string;
  agent: string;
  /** `ground-truth`, or a `--detector` spec (perception/detectors/loader.ts) to compare with it */
  detector: string;
  /** Episodes per scenario, instead of the suite's */
  episodes?: number;
  workers: number;
  out?: string;
  record: boolean;
  resume: boolean;
  /** A Redis URL: run the episodes as BullMQ jobs on `drivelab worker` processes */
  queue?: string;
  /** How long Redis may stay out of reach before a queued run stops [s] (default 15) */
  queueTimeout?: number;
}

export interface BenchProgress {
  start(total: number, done: number): void;
  episode(result: EpisodeResult): void;
  stop(): void;
}

export interface BenchOutcome {
  report: Report;
  outDir: string;
  interrupted: boolean;
}

async function loadSuite(arg: string): Promise<{ suite: Suite; source: string; baseDir: string }> {
  const builtin = builtinSuite(arg);
  if (builtin) return { suite: builtin, source: `builtin:${arg}`, baseDir: process.cwd() };
  if (!/\.(json|ya?ml)$/i.test(arg) && !existsSync(arg)) {
    throw new UsageError(`--suite ${arg}: unknown suite; expected smoke, standard or a .json/.yaml suite file`);
  }
  let text: string;
  try {
    text = readFileSync(arg, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(err));
    throw new ScenarioError([`${arg}: cannot read the suite file (${reason})`]);
  }
  return { suite: parseSuite(text, arg), source: resolve(arg), baseDir: dirname(resolve(arg)) };
}

/** Every scenario of the suite, resolved and checked; problems from all entries are reported together. */
async function resolveEntries(suite: Suite, baseDir: string, suiteName: string): Promise<{ label: string; scenario: Scenario; episodes?: number }[]> {
  const problems: string[] = [];
  const out: { label: string; scenario: Scenario; episodes?: number }[] = [];
  for (const [i, entry] of suite.scenarios.entries()) {
    const ref = typeof entry === 'string' ? entry : entry.scenario;
    const overrides = typeof entry === 'string' ? undefined : (entry.overrides as ScenarioOverrides | undefined);
    const isFile = /\.(json|ya?ml)$/i.test(ref);
    try {
      const scenario = await scenarioFromArg(isFile ? resolve(baseDir, ref) : ref, overrides);
      out.push({ label: ref, scenario, episodes: typeof entry === 'string' ? undefined : entry.episodes });
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      problems.push(...err.problems.map((p) => `${suiteName}: scenarios[${i}]: ${p}`));
    }
  }
  if (problems.length) throw new ScenarioError(problems);
  return out;
}

function defaultOut(suite: string, agent: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return join('results', `${suite}-${basename(agent)}-${stamp}`);
}

async function writeReports(outDir: string, config: RunConfig, results: readonly EpisodeResult[]): Promise<Report> {
  const report = buildReport(config, results);
  writeFileSync(join(outDir, 'report.json'), JSON.stringify(report, null, 1) + '\n');
  writeFileSync(join(outDir, 'episodes.csv'), toCsv(results));
  writeFileSync(join(outDir, 'report.md'), toMarkdown(report));
  if (results.length > 0) {
    mkdirSync(join(outDir, 'plots'), { recursive: true });
    for (const [name, svg] of Object.entries(await renderPlots(report))) writeFileSync(join(outDir, 'plots', name), svg);
  }
  return report;
}

export async function runBench(opts: BenchOptions, progress?: BenchProgress): Promise<BenchOutcome> {
  try {
    return await bench(opts, progress);
  } finally {
    // This thread's envs and detectors (a plug-in's thread too): those of the checks before the
    // first episode, and of the episodes run here.
    await (await import('./jobs.ts')).closeThreadResources();
  }
}

async function bench(opts: BenchOptions, progress?: BenchProgress): Promise<BenchOutcome> {
  const target = opts.queue === undefined ? null : parseQueueUrl(opts.queue);
  const perceiving = opts.detector !== GROUND_TRUTH;
  if (perceiving && (await agentReadsWorld(opts.agent))) {
    throw new UsageError(`--agent ${opts.agent}: the expert reads the world, not its observation, so --detector ${opts.detector} cannot change how it drives; use an agent that reads its observation: ${OBSERVING_AGENTS}`);
  }
  if (!Number.isInteger(opts.workers) || opts.workers < 1 || opts.workers > 256) throw new UsageError(`--workers ${opts.workers}: expected a whole number from 1 to 256`);
  const { suite, source, baseDir } = await loadSuite(opts.suite);
  const entries = await Promise.all((await resolveEntries(suite, baseDir, opts.suite)).map(async (e) => ({ ...e, scenario: await scenarioForAgent(opts.agent, e.scenario) })));
  const testSeeds = suite.seeds.test[1] - suite.seeds.test[0] + 1;
  if (opts.episodes !== undefined && (!Number.isInteger(opts.episodes) || opts.episodes < 1 || opts.episodes > testSeeds)) {
    throw new UsageError(`--episodes ${opts.episodes}: expected 1 to ${testSeeds}, the number of test seeds in suite ${suite.id}`);
  }

  if (target) await (await import('../queue/submit.ts')).checkQueue(target, opts.queueTimeout === undefined ? undefined : opts.queueTimeout * 1000);
  const outDir = opts.out ?? defaultOut(suite.id, opts.agent);
  if (opts.resume && opts.out === undefined) throw new UsageError('--resume: expected --out <dir>, the directory of the run to continue');
  const previousRun = checkOutDir(outDir, opts.resume);

  // The agent, and the detector, must load for every scenario before any episode runs.
  await initPhysics();
  const jobsModule = perceiving ? await import('./jobs.ts') : null;
  for (const e of entries) {
    const env = new DrivingEnv(e.scenario);
    try {
      await loadAgent(opts.agent, env);
      if (jobsModule) await jobsModule.checkPerception(env, opts.detector, e.label, suite.seeds.test[0]);
    } finally {
      env.close();
    }
  }

  const episodesFile = join(outDir, 'episodes.jsonl');
  const runFile = join(outDir, 'run.json');
  const config: RunConfig = {
    suite: { id: suite.id, description: suite.description, source, seeds: suite.seeds, scenarios: entries.map((e) => e.label) },
    agent: opts.agent,
    detector: opts.detector,
    // The detector checked above ran on this thread's tfjs; the workers choose the same way.
    // Only the tfjs detectors (cnn, model directories) run on it; a plug-in module brings its own.
    backend: perceiving && (opts.detector === 'cnn' || (existsSync(opts.detector) && statSync(opts.detector).isDirectory())) ? (await import('../../perception/runtime/tfjs.ts')).backendInUse() : null,
    workers: opts.workers,
    record: opts.record,
    drivelab: VERSION,
    createdAt: new Date().toISOString(),
    episodesPlanned: 0,
    queue: target?.display ?? null,
    queueRun: target ? randomUUID() : undefined,
  };
  const jobs: BenchJob[] = [];
  const detectors = perceiving ? [GROUND_TRUTH, opts.detector] : [GROUND_TRUTH];
  entries.forEach((e, i) => {
    const n = opts.episodes ?? e.episodes ?? suite.episodes;
    for (let k = 0; k < n; k++) {
      for (const detector of detectors) {
        jobs.push({
          key: `${i}:${k}:${detector}`, entry: i, episode: k, scenarioLabel: e.label, scenario: e.scenario, seed: suite.seeds.test[0] + k,
          agent: opts.agent, detector, recordDir: opts.record ? join(outDir, 'records') : undefined,
        });
      }
    }
  });
  config.episodesPlanned = jobs.length;

  let done: EpisodeResult[] = [];
  if (previousRun) {
    const previous = readRunConfig(runFile);
    for (const field of ['agent', 'detector'] as const) {
      if (previous[field] !== config[field]) throw new UsageError(`--resume: ${outDir} was run with ${field} ${previous[field]}, not ${config[field]}`);
    }
    if (previous.suite?.id !== config.suite.id || JSON.stringify(previous.suite?.seeds) !== JSON.stringify(config.suite.seeds)) {
      throw new UsageError(`--resume: ${outDir} was run on suite ${previous.suite?.id}, not ${config.suite.id}`);
    }
    config.createdAt = previous.createdAt;
    if (target && previous.queueRun) config.queueRun = previous.queueRun;
    const wanted = new Set(jobs.map((j) => j.key));
    done = readEpisodes(episodesFile).filter((r) => wanted.has(r.key));
  }
  createOutputDir('--out', outDir);
  if (opts.record) mkdirSync(join(outDir, 'records'), { recursive: true });
  writeFileSync(runFile, JSON.stringify(config, null, 2) + '\n');
  // Rewrite the log without any torn line, so appends start clean.
  writeFileSync(episodesFile, done.map((r) => JSON.stringify(r) + '\n').join(''));

  const finished = new Set(done.map((r) => r.key));
  const pending = jobs.filter((j) => !finished.has(j.key));
  const results = [...done];
  const onResult = (r: EpisodeResult) => {
    appendFileSync(episodesFile, JSON.stringify(r) + '\n');
    results.push(r);
    progress?.episode(r);
  };

  let interrupted = false;
  const stopper = new AbortController();
  const onSignal = () => {
    interrupted = true;
    stopper.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  progress?.start(jobs.length, done.length);
  try {
    const workers = Math.min(opts.workers, pending.length || 1, availableParallelism() * 4);
    if (target) await runQueued(pending, { target, runId: config.queueRun!, outDir, goneMs: opts.queueTimeout === undefined ? undefined : opts.queueTimeout * 1000 }, onResult, stopper.signal, () => writeReports(outDir, config, results), jobs.length);
    else if (workers <= 1) await runHere(pending, onResult, stopper.signal);
    else await runOnPool(pending, workers, onResult, stopper.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress?.stop();
  }
  const report = await writeReports(outDir, config, results);
  return { report, outDir, interrupted };
}

/** Runs the jobs on the queue; when Redis goes away, writes the reports of what finished and says how to go on */
async function runQueued(jobs: readonly BenchJob[], run: QueueRun, onResult: (r: EpisodeResult) => void, signal: AbortSignal, writeSoFar: () => Promise<unknown>, planned: number): Promise<void> {
  const { runOnQueue } = await import('../queue/submit.ts');
  let finished = planned - jobs.length;
  try {
    await runOnQueue(jobs, run, (r) => {
      finished++;
      onResult(r);
    }, signal);
  } catch (err) {
    if (!(err instanceof QueueGoneError)) throw err;
    await writeSoFar();
    throw new QueueGoneError(`${err.message}; ${finished} of ${planned} episodes finished and are kept in ${run.outDir}; run again with --resume --out ${run.outDir} to finish`);
  }
}

async function runHere(jobs: readonly BenchJob[], onResult: (r: EpisodeResult) => void, signal: AbortSignal): Promise<void> {
  const { runJob, detectorFailure } = await import('./jobs.ts');
  for (const job of jobs) {
    if (signal.aborted) return;
    let result: EpisodeResult;
    try {
      result = await runJob(job);
    } catch (err) {
      throw detectorFailure(err, job.detector);
    }
    onResult(result);
    // Let a pending Ctrl-C reach its handler between episodes.
    await new Promise((r) => setImmediate(r));
  }
}

async function runOnPool(jobs: readonly BenchJob[], workers: number, onResult: (r: EpisodeResult) => void, signal: AbortSignal): Promise<void> {
  const { Piscina } = await import('piscina');
  const { detectorFailure } = await import('./jobs.ts');
  const { DetectorError } = await import('../../perception/detectors/validate.ts');
  const pool = new Piscina({ filename: new URL('./worker.mjs', import.meta.url).href, minThreads: workers, maxThreads: workers, idleTimeout: 1000 });
  // Every queued job listens to the one stop signal; without this Node warns on stderr past 10.
  setMaxListeners(jobs.length + 10, signal);
  try {
    await Promise.all(
      jobs.map(async (job) => {
        try {
          const out = (await pool.run(job, { signal })) as EpisodeResult | { detectorError: string };
          if ('detectorError' in out) throw detectorFailure(new DetectorError(out.detectorError), job.detector);
          onResult(out);
        } catch (err) {
          if (signal.aborted) return;
          throw err;
        }
      }),
    );
  } finally {
    await pool.destroy();
  }
}
