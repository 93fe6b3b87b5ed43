/**
 * The submitting side of `bench --queue`: every pending episode becomes a BullMQ job, and results
 * are taken as they finish, whichever worker ran them. Job ids come from the run's id and the
 * episode's key, so submitting again (`--resume`) finds what is already queued, running or done
 * instead of adding it twice, and each result is taken once.
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
import { BENCH_QUEUE, jobId, packPolicy, PREFIX, storePolicy, type QueuedEpisode, type QueuedResult } from './common.ts';
import type { QueueTarget } from './url.ts';

/** How long Redis may stay unreachable before a run gives up [ms] */
export const QUEUE_GONE_MS = 15_000;
/** How often jobs still missing are looked up, besides the events [ms] */
const SWEEP_MS = 5_000;
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

export async function runOnQueue(jobs: readonly BenchJob[], run: QueueRun, onResult: (r: EpisodeResult) => void, signal: AbortSignal): Promise<void> {
  if (jobs.length === 0) return;
  const { target } = run;
  const queue = new Queue<QueuedEpisode, QueuedResult>(BENCH_QUEUE, { connection: target.connection, prefix: PREFIX });
  const events = new QueueEvents(BENCH_QUEUE, { connection: target.connection, prefix: PREFIX });
  const pending = new Map(jobs.map((j) => [jobId(run.runId, j.key), j]));
  let failure: Error | null = null;
  let lastError: Error | null = null;
  let unreachableSince: number | null = null;
  let wake: () => void = () => {};
  const changed = () => wake();

  const take = (id: string, value: QueuedResult | string | undefined) => {
    const job = pending.get(id);
    if (!job || value === undefined || value === null) return;
    const out = (typeof value === 'string' ? JSON.parse(value) : value) as QueuedResult;
    pending.delete(id);
    if (out.record && job.recordDir) writeFileSync(join(job.recordDir, out.record.name), Buffer.from(out.record.data, 'base64'));
    onResult(out.result);
    changed();
  };
  const fail = (reason: string) => {
    failure ??= new UsageError(reason.replace(/^(Error|UnrecoverableError): /, ''));
    changed();
  };
  const unreachable = (err: Error) => {
    lastError = err;
    unreachableSince ??= Date.now();
    changed();
  };
  const reachable = () => {
    unreachableSince = null;
  };
  queue.on('error', unreachable);
  events.on('error', unreachable);
  events.on('completed', ({ jobId: id, returnvalue }) => take(id, returnvalue as QueuedResult | string));
  events.on('failed', async ({ jobId: id, failedReason }) => {
    if (!pending.has(id)) return;
    // A failure BullMQ will retry is not the end; only a job that ends in `failed` is.
    try {
      const job = await queue.getJob(id);
      if (job && (await job.getState()) === 'failed') fail(failedReason);
    } catch (err) {
      unreachable(err as Error);
    }
  });
  const onAbort = () => changed();
  signal.addEventListener('abort', onAbort);

  try {
    // A wrong password or an unreachable host keeps the client retrying: give up after the timeout.
    try {
      await withTimeout(Promise.all([events.waitUntilReady(), queue.waitUntilReady()]), run.goneMs ?? QUEUE_GONE_MS);
    } catch (err) {
      const why = (lastError as Error | null)?.message ?? (err as Error).message;
      throw new QueueGoneError(`--queue ${target.display}: cannot reach Redis (${why.split('\n')[0]})`);
    }
    const policies = new Map<string, string>();
    const dirs = [...new Set(jobs.map((j) => j.agent))].filter(isPolicyDir);
    if (dirs.length) {
      const client = new Redis({ ...target.connection, lazyConnect: true, maxRetriesPerRequest: 3 });
      try {
        for (const dir of dirs) {
          const packed = packPolicy(dir);
          await storePolicy(client, packed);
          policies.set(dir, packed.hash);
        }
      } finally {
        client.disconnect();
      }
    }
    await sweep(queue, pending, take, fail, async (missing) => {
      await queue.addBulk(
        missing.map(([id, j]) => {
          const { recordDir, ...job } = j;
          return {
            name: 'episode',
            data: { job, policy: policies.get(j.agent) ?? null, record: recordDir !== undefined },
            opts: { jobId: id, attempts: ATTEMPTS, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } },
          };
        }),
      );
    });
    let lastSweep = Date.now();
    while (pending.size > 0 && !signal.aborted && !failure) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1000);
      });
      if (unreachableSince !== null && Date.now() - unreachableSince > (run.goneMs ?? QUEUE_GONE_MS)) {
        const why = (lastError as Error | null)?.message ?? 'no answer';
        throw new QueueGoneError(`--queue ${target.display}: Redis out of reach for ${Math.round((Date.now() - unreachableSince) / 1000)} s (${why})`);
      }
      if (Date.now() - lastSweep >= SWEEP_MS && !signal.aborted) {
        lastSweep = Date.now();
        try {
          await withTimeout(sweep(queue, pending, take, fail, null), 5000);
          reachable();
        } catch (err) {
          unreachable(err as Error);
        }
      }
    }
    if (failure) throw failure;
  } finally {
    signal.removeEventListener('abort', onAbort);
    // An interrupted submitter leaves its jobs queued: the workers finish them, and --resume takes their results.
    await Promise.allSettled([withTimeout(events.close(), 3000), withTimeout(queue.close(), 3000)]);
  }
}

/**
 * Looks up every job still pending: takes finished ones, fails on a job that failed for good,
 * and hands the ids Redis does not hold to `add` (null: leave them, they were added before).
 */
async function sweep(
  queue: Queue<QueuedEpisode, QueuedResult>,
  pending: Map<string, BenchJob>,
  take: (id: string, value: QueuedResult) => void,
  fail: (reason: string) => void,
  add: ((missing: [string, BenchJob][]) => Promise<void>) | null,
): Promise<void> {
  const missing: [string, BenchJob][] = [];
  const ids = [...pending.keys()];
  for (let i = 0; i < ids.length; i += 200) {
    const batch = ids.slice(i, i + 200);
    const found = await Promise.all(batch.map((id) => queue.getJob(id) as Promise<Job<QueuedEpisode, QueuedResult> | undefined>));
    for (let k = 0; k < batch.length; k++) {
      const job = found[k];
      if (!job) {
        missing.push([batch[k], pending.get(batch[k])!]);
        continue;
      }
      if (job.finishedOn && job.returnvalue) take(batch[k], job.returnvalue);
      else if (job.finishedOn && (await job.isFailed())) {
        if (add) {
          // Failed for good in an earlier submission, which said why: this one tries again.
          await job.remove();
          missing.push([batch[k], pending.get(batch[k])!]);
        } else {
          fail(job.failedReason);
        }
      }
    }
  }
  if (add && missing.length) await add(missing);
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
