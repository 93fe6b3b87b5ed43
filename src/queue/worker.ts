/**
 * `drivelab worker`: takes jobs from the queue and runs them, one at a time: benchmark episodes
 * exactly as a local run does (src/bench/jobs.ts), and training rollouts (./rollouts.ts). A worker that dies mid-episode holds a lock that
 * expires; BullMQ then hands the episode to another worker. A job this worker cannot run (a policy
 * or detector it cannot load) fails at once, without retries, with the reason the submitter prints.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RolloutCache } from './rollouts.ts';
import { Redis } from 'ioredis';
import { describeError } from '../errors.ts';
import { closeThreadResources, detectorFailure, runJob } from '../bench/jobs.ts';
import { PREFIX, QUEUE, unpackPolicy, type QueuedEpisode, type QueuedResult, type QueuedRollout, type QueuedRolloutResult } from './common.ts';
import type { QueueTarget } from './url.ts';

export interface WorkerOptions {
  /** How long a job's lock lasts without renewal; a dead worker's job waits this long before another takes it [ms] */
  lockMs: number;
  /** How often this worker looks for jobs whose lock expired [ms] */
  stalledCheckMs: number;
  /** Stop after this many jobs (0: never), for tests and batch use */
  maxJobs: number;
  log(line: string): void;
}

export const DEFAULT_LOCK_MS = 30_000;
export const DEFAULT_STALLED_CHECK_MS = 15_000;

export interface RunningWorker {
  /** Resolves when the worker has stopped */
  done: Promise<void>;
  /** Finishes the job in hand (waiting at most `graceMs`) and stops */
  close(graceMs?: number): Promise<void>;
}

export function startWorker(target: QueueTarget, options: WorkerOptions): RunningWorker {
  const name = `${hostname()}:${process.pid}`;
  let jobs = 0;
  let closing: Promise<void> | null = null;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  // Packed policies are plain Redis keys, read with a client of our own.
  const blobs = new Redis({ ...target.connection, lazyConnect: true });
  // Its failures reach the job that asked; the worker's own error log says Redis is away.
  blobs.on('error', () => {});
  let rollouts: RolloutCache | null = null;
  const processJob = async (job: Job): Promise<QueuedResult | QueuedRolloutResult> => {
    if (job.name !== 'rollout') return runQueued(job as Job<QueuedEpisode, QueuedResult>, name, blobs);
    rollouts ??= new (await import('./rollouts.ts')).RolloutCache();
    return rollouts.run(job.data as QueuedRollout, blobs, name);
  };
  const worker = new Worker(QUEUE, processJob, {
    connection: target.connection,
    prefix: PREFIX,
    concurrency: 1,
    lockDuration: options.lockMs,
    stalledInterval: options.stalledCheckMs,
    // An episode that was running on a worker that died is run again; one that keeps killing
    // workers fails after this many tries.
    maxStalledCount: 2,
  });
  /**
   * Stops taking jobs and lets the one in hand finish. With Redis gone a graceful close can wait
   * forever, so after `graceMs` the worker lets go: its job's lock then expires and another
   * worker takes it.
   */
  let letGo: () => void = () => {};
  const close = (graceMs = 10_000): Promise<void> => {
    if (closing && graceMs === 0) letGo();
    closing ??= (async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const forced = new Promise<void>((resolve) => {
        letGo = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([worker.close(), forced]);
      clearTimeout(timer);
      void worker.close(true).catch(() => {});
      blobs.disconnect();
      rollouts?.close();
      await closeThreadResources();
      finished();
    })();
    return closing;
  };
  worker.on('completed', (job: Job) => {
    jobs++;
    options.log(`done ${describeJob(job)}`);
    if (options.maxJobs > 0 && jobs >= options.maxJobs) void close();
  });
  worker.on('failed', (job: Job | undefined, err: Error) => options.log(`failed ${job ? describeJob(job) : '?'}: ${err.message}`));
  // While Redis is away every reconnection fails; say so once in a while, not on every try.
  let lastError = '', lastErrorAt = 0;
  worker.on('error', (err: Error) => {
    const now = Date.now();
    if (err.message === lastError && now - lastErrorAt < 30_000) return;
    lastError = err.message;
    lastErrorAt = now;
    options.log(`queue ${target.display}: ${err.message}`);
  });
  return { done, close };
}

/** A job as the worker's log names it */
function describeJob(job: Job): string {
  if (job.name === 'rollout') {
    const { scenario, task } = job.data as QueuedRollout;
    return `rollout ${scenario?.id ?? '?'} seeds from ${task?.firstSeed ?? '?'} (${task?.lanes ?? '?'} envs)`;
  }
  const { job: e } = job.data as QueuedEpisode;
  return `${e?.scenarioLabel ?? '?'} seed ${e?.seed ?? '?'}${e?.detector === 'ground-truth' ? '' : ` (${e?.detector})`}`;
}

async function runQueued(job: Job<QueuedEpisode, QueuedResult>, name: string, blobs: Redis): Promise<QueuedResult> {
  const { job: episode, policy, record } = job.data;
  let agent = episode.agent;
  try {
    if (policy) agent = await unpackPolicy(blobs, policy);
  } catch (err) {
    throw new UnrecoverableError(`worker ${name}: --agent ${episode.agent}: ${(err as Error).message}`);
  }
  const recordDir = record ? mkdtempSync(join(tmpdir(), 'drivelab-record-')) : undefined;
  try {
    let result;
    try {
      result = await runJob({ ...episode, agent, recordDir });
    } catch (err) {
      // Anything about the agent, scenario or detector fails the same way on every worker.
      const { lines } = describeError(detectorFailure(err, episode.detector));
      throw new UnrecoverableError(`worker ${name}: ${lines.join('; ')}`);
    }
    const out: QueuedResult = { result: { ...result, agent: episode.agent }, worker: name };
    if (recordDir) {
      const [file] = readdirSync(recordDir);
      if (file) out.record = { name: file, data: readFileSync(join(recordDir, file)).toString('base64') };
    }
    return out;
  } finally {
    if (recordDir) rmSync(recordDir, { recursive: true, force: true });
  }
}
