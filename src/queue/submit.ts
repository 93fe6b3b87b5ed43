/**
 * The submitting side of a queued run (`bench --queue`, and the rollouts of `train --queue`):
 * every piece of work becomes a BullMQ job, and results are taken as they finish, whichever worker
 * ran them. Job ids come from the run's id and the work's key, so submitting again (`--resume`)
 * finds what is already queued, running or done instead of adding it twice, and each result is
 * taken once.
 *
 * Results come from the queue's event stream; a sweep of the jobs still missing, at the start and
 * every few seconds, also finds those that finished while nobody listened. When Redis stays out of
 * reach, the run stops with a clear error; the episodes taken so far are already written.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { BenchJob, EpisodeResult } from '../bench/jobs.ts';
import { QueueGoneError, UsageError } from '../errors.ts';
import { blobKey, jobId, packPolicy, PREFIX, QUEUE, storePolicy, type JobName, type QueuedEpisode, type QueuedResult, type QueuedRollout } from './common.ts';
import type { QueueTarget } from './url.ts';

/** How long Redis may stay unreachable before a run gives up [ms] */
export const QUEUE_GONE_MS = 15_000;
/** How often jobs still missing are looked up, besides the events [ms] */
const SWEEP_MS = 5_000;
/** Events the queue's stream keeps, about */
const EVENTS_KEPT = 200;
/** Tries of an episode whose processing throws something unexpected */
const ATTEMPTS = 3;

/** Connects once and pings, so a run that cannot reach its queue stops before it writes anything */
export async function checkQueue(target: QueueTarget, timeoutMs = QUEUE_GONE_MS): Promise<void> {
  const client = new Redis({ ...target.connection, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  // The first error says why (refused, wrong password); the rejection after it only that it closed.
  let first: Error | null = null;
  client.on('error', (err: Error) => (first ??= err));
  try {
    await withTimeout(client.connect().then(() => client.ping()), timeoutMs);
  } catch (err) {
    throw new QueueGoneError(`--queue ${target.display}: cannot reach Redis (${(first ?? (err as Error)).message.split('\n')[0]})`);
  } finally {
    client.disconnect();
  }
}

export interface QueueRun {
  target: QueueTarget;
  /** The run's id, kept in run.json so that --resume finds its jobs */
  runId: string;
  outDir: string;
  /** How long Redis may stay unreachable [ms] (default QUEUE_GONE_MS) */
  goneMs?: number;
}

/** A job to run on the queue; its id makes adding it twice a no-op */
export interface QueuedJob {
  id: string;
  name: JobName;
  data: QueuedEpisode | QueuedRollout;
}

/**
 * The submitting side's connection to the queue, for as many batches of jobs as a run has: one
 * BullMQ Queue to add jobs and look them up, and one QueueEvents to hear them finish.
 */
export class JobQueue {
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly goneMs: number;
  private lastError: Error | null = null;
  private unreachableSince: number | null = null;
  /** The batch being waited for: its jobs not yet taken, and what to do with each result */
  private pending = new Map<string, QueuedJob>();
  private take: (id: string, value: unknown) => void = () => {};
  private failure: Error | null = null;
  private wake: () => void = () => {};
  /** For packed policies, plain Redis keys; commands wait through short outages */
  private readonly blobs: Redis;

  constructor(readonly target: QueueTarget, goneMs = QUEUE_GONE_MS) {
    this.goneMs = goneMs;
    this.blobs = new Redis({ ...target.connection, lazyConnect: true, maxRetriesPerRequest: null });
    this.blobs.on('error', (err: Error) => this.unreachable(err));
    // Events carry results (a rollout's is about half a megabyte): the stream keeps the last few
    // hundred, and a submitter that falls further behind finds the rest by its sweeps.
    this.queue = new Queue(QUEUE, { connection: target.connection, prefix: PREFIX, streams: { events: { maxLen: EVENTS_KEPT } } });
    this.events = new QueueEvents(QUEUE, { connection: target.connection, prefix: PREFIX });
    const unreachable = (err: Error) => this.unreachable(err);
    this.queue.on('error', unreachable);
    this.events.on('error', unreachable);
    this.events.on('completed', ({ jobId: id, returnvalue }) => this.taken(id, returnvalue));
    this.events.on('failed', async ({ jobId: id, failedReason }) => {
      if (!this.pending.has(id)) return;
      // A failure BullMQ will retry is not the end; only a job that ends in `failed` is.
      try {
        const job = await this.queue.getJob(id);
        if (job && (await job.getState()) === 'failed') this.fail(failedReason);
      } catch (err) {
        this.unreachable(err as Error);
      }
    });
  }

  /** Waits until both connections are up; a wrong password or an unreachable host fails after the timeout */
  async open(): Promise<void> {
    try {
      await withTimeout(Promise.all([this.events.waitUntilReady(), this.queue.waitUntilReady()]), this.goneMs);
    } catch (err) {
      const why = this.lastError?.message ?? (err as Error).message;
      throw new QueueGoneError(`--queue ${this.target.display}: cannot reach Redis (${why.split('\n')[0]})`);
    }
  }

  /** Packs each policy directory into Redis once; returns directory → hash */
  async storePolicies(dirs: readonly string[], ttlSeconds?: number): Promise<Map<string, string>> {
    const hashes = new Map<string, string>();
    for (const dir of dirs) {
      const packed = packPolicy(dir);
      await this.reach(storePolicy(this.blobs, packed, ttlSeconds));
      hashes.set(dir, packed.hash);
    }
    return hashes;
  }

  /** Drops a packed policy no job needs any more */
  async deletePolicy(hash: string): Promise<void> {
    await this.reach(this.blobs.del(blobKey(hash)));
  }

  /** `p`, or a QueueGoneError when Redis does not answer within the run's patience */
  private async reach<T>(p: Promise<T>): Promise<T> {
    try {
      return await withTimeout(p, this.goneMs);
    } catch (err) {
      const why = this.lastError?.message ?? (err as Error).message;
      throw new QueueGoneError(`--queue ${this.target.display}: Redis out of reach (${why.split('\n')[0]})`);
    }
  }

  /**
   * Adds the jobs Redis does not hold yet and waits until each has a result, handing every result
   * to `take` once. Stops early (leaving the rest queued) when `signal` aborts; throws a UsageError
   * when a job fails for good, and QueueGoneError when Redis stays out of reach.
   */
  async run<R>(jobs: readonly QueuedJob[], take: (job: QueuedJob, result: R) => void, signal: AbortSignal): Promise<void> {
    if (jobs.length === 0) return;
    this.pending = new Map(jobs.map((j) => [j.id, j]));
    this.failure = null;
    this.take = (id, value) => {
      const job = this.pending.get(id);
      if (!job || value === undefined || value === null) return;
      this.pending.delete(id);
      take(job, (typeof value === 'string' ? JSON.parse(value) : value) as R);
    };
    const onAbort = () => this.wake();
    signal.addEventListener('abort', onAbort);
    try {
      await this.reach(this.sweep(true));
      this.unreachableSince = null;
      let lastSweep = Date.now();
      while (this.pending.size > 0 && !signal.aborted && !this.failure) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, 1000);
        });
        if (this.unreachableSince !== null && Date.now() - this.unreachableSince > this.goneMs) {
          const why = this.lastError?.message ?? 'no answer';
          throw new QueueGoneError(`--queue ${this.target.display}: Redis out of reach for ${Math.round((Date.now() - this.unreachableSince) / 1000)} s (${why})`);
        }
        if (Date.now() - lastSweep >= SWEEP_MS && !signal.aborted) {
          lastSweep = Date.now();
          try {
            await withTimeout(this.sweep(false), 5000);
            this.unreachableSince = null;
          } catch (err) {
            this.unreachable(err as Error);
          }
        }
      }
      if (this.failure) throw this.failure;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.pending = new Map();
      this.take = () => {};
    }
  }

  /** Removes jobs whose results were taken and are kept elsewhere */
  async remove(ids: readonly string[]): Promise<void> {
    await withTimeout(Promise.allSettled(ids.map((id) => this.queue.remove(id))), 5000).catch(() => {});
  }

  /** Removes jobs that are waiting and not yet taken by a worker (an abandoned batch) */
  async cancel(ids: readonly string[]): Promise<void> {
    await withTimeout(Promise.allSettled(ids.map(async (id) => {
      const job = await this.queue.getJob(id);
      if (job && (await job.getState()) === 'waiting') await job.remove();
    })), 3000).catch(() => {});
  }

  async close(): Promise<void> {
    // An interrupted submitter leaves its jobs queued: the workers finish them, and a resumed run takes their results.
    this.blobs.disconnect();
    await Promise.allSettled([withTimeout(this.events.close(), 3000), withTimeout(this.queue.close(), 3000)]);
  }

  private taken(id: string, value: unknown): void {
    this.take(id, value);
    this.wake();
  }

  private fail(reason: string): void {
    this.failure ??= new UsageError(reason.replace(/^(Error|UnrecoverableError): /, ''));
    this.wake();
  }

  private unreachable(err: Error): void {
    this.lastError = err;
    this.unreachableSince ??= Date.now();
    this.wake();
  }

  /**
   * Looks up every job still pending: takes finished ones, fails on a job that failed for good,
   * and with `add` adds the ones Redis does not hold (a job that failed for good in an earlier
   * submission, which said why, is tried again).
   */
  private async sweep(add: boolean): Promise<void> {
    const missing: QueuedJob[] = [];
    const ids = [...this.pending.keys()];
    for (let i = 0; i < ids.length; i += 200) {
      const batch = ids.slice(i, i + 200);
      const found = await Promise.all(batch.map((id) => this.queue.getJob(id) as Promise<Job | undefined>));
      for (let k = 0; k < batch.length; k++) {
        const job = found[k];
        const queued = this.pending.get(batch[k]);
        if (!queued) continue;
        if (!job) {
          missing.push(queued);
          continue;
        }
        if (job.finishedOn && job.returnvalue) this.take(batch[k], job.returnvalue);
        else if (job.finishedOn && (await job.isFailed())) {
          if (add) {
            await job.remove();
            missing.push(queued);
          } else {
            this.fail(job.failedReason);
          }
        }
      }
    }
    if (add && missing.length) {
      await this.queue.addBulk(
        missing.map((j) => ({
          name: j.name,
          data: j.data,
          opts: { jobId: j.id, attempts: ATTEMPTS, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } },
        })),
      );
    }
  }
}

/** Runs benchmark episodes on the queue, handing each result to `onResult` as it arrives */
export async function runOnQueue(jobs: readonly BenchJob[], run: QueueRun, onResult: (r: EpisodeResult) => void, signal: AbortSignal): Promise<void> {
  if (jobs.length === 0) return;
  const queue = new JobQueue(run.target, run.goneMs);
  try {
    await queue.open();
    const policies = await queue.storePolicies([...new Set(jobs.map((j) => j.agent))].filter(isPolicyDir));
    const byId = new Map<string, BenchJob>();
    const queued: QueuedJob[] = jobs.map((j) => {
      const { recordDir, ...job } = j;
      const id = jobId(run.runId, j.key);
      byId.set(id, j);
      return { id, name: 'episode', data: { job, policy: policies.get(j.agent) ?? null, record: recordDir !== undefined } };
    });
    await queue.run<QueuedResult>(queued, (q, out) => {
      const job = byId.get(q.id)!;
      if (out.record && job.recordDir) writeFileSync(join(job.recordDir, out.record.name), Buffer.from(out.record.data, 'base64'));
      onResult(out.result);
    }, signal);
  } finally {
    await queue.close();
  }
}

function isPolicyDir(agent: string): boolean {
  return existsSync(agent) && statSync(agent).isDirectory() && existsSync(join(agent, 'policy.json'));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
