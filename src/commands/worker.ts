/**
 * `drivelab worker`: runs benchmark episodes and training rollouts from a Redis queue until stopped
 * (Ctrl-C finishes the job in hand first) or, with --jobs, after that many. Start as many per machine as it has cores.
 */
import { hostname } from 'node:os';
import { UsageError } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { parseQueueUrl } from '../queue/url.ts';

export interface WorkerCliOptions {
  queue: string;
  jobs?: string;
  lock: string;
  quiet?: boolean;
}

export async function workerCommand(opts: WorkerCliOptions, io: CliIo): Promise<number> {
  const target = parseQueueUrl(opts.queue);
  const jobs = opts.jobs === undefined ? 0 : /^\d+$/.test(opts.jobs) && Number(opts.jobs) > 0 ? Number(opts.jobs) : NaN;
  if (!Number.isSafeInteger(jobs)) throw new UsageError(`--jobs ${opts.jobs}: expected a positive whole number`);
  const lock = Number(opts.lock);
  if (!(lock >= 1 && lock <= 3600)) throw new UsageError(`--lock ${opts.lock}: expected seconds from 1 to 3600`);
  const { startWorker } = await import('../queue/worker.ts');
  await (await import('../queue/submit.ts')).checkQueue(target);
  const { initPhysics } = await import('../../sim/world/physics.ts');
  await initPhysics();
  // tfjs starts now rather than on the first job that needs it (a saved policy, a rollout).
  await (await import('../../perception/runtime/tfjs.ts')).initTf();
  const worker = startWorker(target, {
    lockMs: lock * 1000,
    stalledCheckMs: Math.max(500, (lock * 1000) / 2),
    maxJobs: jobs,
    log: (line) => {
      if (!opts.quiet) io.stderr(`${line}\n`);
    },
  });
  io.stdout(`drivelab worker ${hostname()}:${process.pid} · queue ${target.display} · waiting for jobs (Ctrl-C to stop)\n`);
  // The first Ctrl-C finishes the job in hand; a second one stops at once.
  let stops = 0;
  const stop = () => {
    stops++;
    if (stops === 1) io.stderr('stopping after the job in hand (Ctrl-C again to stop now)\n');
    void worker.close(stops === 1 ? 10_000 : 0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await worker.done;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}
