/**
 * Training rollouts on the queue (`train --queue`). Before each collection the learner packs its
 * policy as it stands into Redis, under the hash of its files, and adds one job per rollout task;
 * `drivelab worker` processes play the tasks (agents/common/episodeRollout.ts) and send the
 * trajectories back. A task's result depends only on the snapshot, the scenario and the task, so a
 * job retried on another worker, or taken again by a resumed run, gives the same trajectories.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import { Redis } from 'ioredis';
import type { Scenario } from '../../scenarios/schema.ts';
import type { Env } from '../../sim/env/Env.ts';
import type { Action, Observation } from '../../sim/env/DrivingEnv.ts';
import { make } from '../../sim/env/registry.ts';
import { ActorCriticPolicy } from '../../agents/common/ActorCritic.ts';
import { TRAIN_SEEDS } from '../../agents/common/agentFiles.ts';
import { playEpisodes, type EpisodeRollout, type RolloutExecutor, type RolloutTask } from '../../agents/common/episodeRollout.ts';
import type { PolicySource } from '../../agents/common/policySource.ts';
import { loadPolicy } from '../../agents/load.ts';
import { initTf } from '../../perception/runtime/tfjs.ts';
import { fetchPolicy, jobId, type QueuedRollout, type QueuedRolloutResult } from './common.ts';
import { JobQueue, type QueuedJob } from './submit.ts';
import type { QueueTarget } from './url.ts';

/** How long a policy snapshot stays in Redis if its run dies before deleting it [s] */
const SNAPSHOT_TTL_S = 24 * 3600;

const ARRAYS = ['obs', 'actions', 'logProbs', 'values', 'rewards', 'terminated', 'truncated', 'truncatedValues'] as const;

export function encodeRollout(r: EpisodeRollout, worker: string): QueuedRolloutResult {
  const arrays: Record<string, string> = {};
  for (const key of ARRAYS) arrays[key] = Buffer.from(r[key].buffer, r[key].byteOffset, r[key].byteLength).toString('base64');
  return { rows: r.rows, episodes: r.episodes, moments: r.moments, arrays, worker };
}

export function decodeRollout(q: QueuedRolloutResult): EpisodeRollout {
  const arrays = {} as Record<(typeof ARRAYS)[number], Float32Array>;
  for (const key of ARRAYS) {
    const bytes = Buffer.from(q.arrays?.[key] ?? '', 'base64');
    if (bytes.length % 4 !== 0) throw new Error(`rollout from worker ${q.worker}: ${key} is not whole float32s`);
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    arrays[key] = new Float32Array(copy.buffer);
  }
  return { rows: q.rows, episodes: q.episodes, moments: q.moments, ...arrays };
}

/** Collects through `drivelab worker` processes on a Redis queue */
export class QueueRolloutExecutor implements RolloutExecutor {
  readonly description: string;

  private constructor(private readonly queue: JobQueue, private readonly runId: string, private readonly scenario: Scenario, private readonly signal: AbortSignal) {
    this.description = `queue ${queue.target.display}`;
  }

  /** Connects; a queue out of reach is a QueueGoneError before training starts */
  static async open(target: QueueTarget, runId: string, scenario: Scenario, signal: AbortSignal, goneMs?: number): Promise<QueueRolloutExecutor> {
    const queue = new JobQueue(target, goneMs);
    try {
      await queue.open();
    } catch (err) {
      await queue.close();
      throw err;
    }
    return new QueueRolloutExecutor(queue, runId, scenario, signal);
  }

  async collect(policy: ActorCriticPolicy, tasks: readonly RolloutTask[]): Promise<EpisodeRollout[] | null> {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-snapshot-'));
    let hash: string;
    try {
      await policy.save(dir);
      // The run's id goes in with the policy, so two runs with equal policies never share (and delete) one snapshot.
      writeFileSync(join(dir, 'run-id'), this.runId);
      hash = (await this.queue.storePolicies([dir], SNAPSHOT_TTL_S)).get(dir)!;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const jobs: QueuedJob[] = tasks.map((task) => ({
      id: jobId(this.runId, `rollout:${hash}:${JSON.stringify(task)}`),
      name: 'rollout',
      data: { scenario: this.scenario, policy: hash, task } satisfies QueuedRollout,
    }));
    const results = new Map<string, EpisodeRollout>();
    await this.queue.run<QueuedRolloutResult>(jobs, (job, out) => results.set(job.id, decodeRollout(out)), this.signal);
    if (results.size < jobs.length) {
      // Stopped: tasks no worker has begun are taken back; a resumed run adds them again.
      await this.queue.cancel(jobs.filter((j) => !results.has(j.id)).map((j) => j.id));
      return null;
    }
    // The trajectories are the learner's now: Redis keeps neither them nor the snapshot.
    await this.queue.remove(jobs.map((j) => j.id));
    await this.queue.deletePolicy(hash);
    return jobs.map((j) => results.get(j.id)!);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** A packed policy's files, read from memory */
function memorySource(name: string, files: Record<string, string>): PolicySource {
  const bytes = (file: string): Uint8Array => {
    if (!Object.hasOwn(files, file)) throw new Error(`${name}/${file}: not in the snapshot`);
    return new Uint8Array(Buffer.from(files[file], 'base64'));
  };
  return {
    name,
    text: async (file) => Buffer.from(bytes(file)).toString('utf8'),
    bytes: async (file) => bytes(file),
  };
}

/** What a worker keeps between rollout jobs: the envs of the last scenario and the last policy */
export class RolloutCache {
  private scenarioKey = '';
  private envs: Env<Observation, Action>[] = [];
  private policyHash = '';
  private policy: ActorCriticPolicy | null = null;

  async run(data: QueuedRollout, blobs: Redis, worker: string): Promise<QueuedRolloutResult> {
    const { task } = data;
    if (!(Number.isSafeInteger(task?.lanes) && task.lanes >= 1 && task.lanes <= 256)) throw new UnrecoverableError(`worker ${worker}: rollout task: lanes: expected 1 to 256, got ${JSON.stringify(task?.lanes)}`);
    await initTf();
    const key = createHash('sha1').update(JSON.stringify(data.scenario)).digest('hex');
    if (key !== this.scenarioKey) {
      this.closeEnvs();
      this.scenarioKey = key;
    }
    try {
      while (this.envs.length < task.lanes) this.envs.push(await make(data.scenario, undefined, { seedRange: TRAIN_SEEDS }));
    } catch (err) {
      this.closeEnvs();
      throw new UnrecoverableError(`worker ${worker}: scenario ${data.scenario?.id ?? '?'}: ${(err as Error).message.split('\n')[0]}`);
    }
    if (data.policy !== this.policyHash || !this.policy) {
      this.policy?.dispose();
      this.policy = null;
      this.policyHash = '';
      try {
        const files = await fetchPolicy(blobs, data.policy);
        const loaded = await loadPolicy(memorySource(`policy ${data.policy.slice(0, 12)}`, files), this.envs[0]);
        if (!(loaded instanceof ActorCriticPolicy)) throw new Error('rollouts need a PPO or REINFORCE policy');
        this.policy = loaded;
        this.policyHash = data.policy;
      } catch (err) {
        throw new UnrecoverableError(`worker ${worker}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    return encodeRollout(playEpisodes(this.policy.net, this.envs, this.envs[0].observationSpace, task), worker);
  }

  close(): void {
    this.closeEnvs();
    this.policy?.dispose();
    this.policy = null;
  }

  private closeEnvs(): void {
    for (const env of this.envs) env.close();
    this.envs = [];
  }
}
