/**
 * What the submitter of a queued run and `drivelab worker` share: queue names, the job's shape,
 * and the policy files that travel through Redis.
 *
 * A saved policy directory is packed once per run into a Redis key named by its content's hash;
 * every job names that hash, and each worker unpacks it once into a cache directory of its own.
 * Scenarios travel in the job, resolved. A detector is a built-in name, or a path that must exist
 * on the worker too (a shared path the job names).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { BenchJob, EpisodeResult } from '../bench/jobs.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { ObservationMoments, PlayedEpisode, RolloutTask } from '../../agents/common/episodeRollout.ts';

/** Prefix of every key drivelab keeps in Redis */
export const PREFIX = 'drivelab';
/** The one queue: benchmark episodes and training rollouts, told apart by the job's name */
export const QUEUE = 'jobs';
export type JobName = 'episode' | 'rollout';
/** How long packed policies stay in Redis [s] */
const BLOB_TTL_S = 7 * 24 * 3600;
/** Largest policy directory that travels through Redis [bytes] */
const MAX_POLICY_BYTES = 64 * 1024 * 1024;

/** One queued episode */
export interface QueuedEpisode {
  /** The job as a local run would run it; `agent` is the label the results carry */
  job: Omit<BenchJob, 'recordDir'>;
  /** Content hash of the packed policy directory the agent names, or null for a built-in agent */
  policy: string | null;
  /** Send the episode's recording back with the result */
  record: boolean;
}

/** One queued rollout task of a training run */
export interface QueuedRollout {
  /** The scenario the run trains on, resolved */
  scenario: Scenario;
  /** Content hash of the packed policy snapshot */
  policy: string;
  task: RolloutTask;
}

/** What a worker sends back for a rollout: the arrays as base64 of their float32 bytes */
export interface QueuedRolloutResult {
  rows: number;
  episodes: PlayedEpisode[];
  moments: ObservationMoments;
  arrays: Record<string, string>;
  worker: string;
}

/** What a worker sends back for an episode */
export interface QueuedResult {
  result: EpisodeResult;
  /** The recording, gzip bytes in base64, with its file name */
  record?: { name: string; data: string };
  /** The worker's host and process, for messages */
  worker: string;
}

export function blobKey(hash: string): string {
  return `${PREFIX}:blob:${hash}`;
}

/** The files of a saved policy directory (its top level), as name → bytes, and their hash */
export function packPolicy(dir: string): { hash: string; data: Buffer } {
  const files: Record<string, string> = {};
  let total = 0;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    const bytes = readFileSync(path);
    total += bytes.length;
    if (total > MAX_POLICY_BYTES) throw new Error(`${dir}: more than ${MAX_POLICY_BYTES / 1024 / 1024} MiB of files; too big to send to workers`);
    files[name] = bytes.toString('base64');
  }
  const data = Buffer.from(JSON.stringify(files));
  return { hash: createHash('sha256').update(data).digest('hex'), data };
}

/** Keeps a packed policy in Redis for the run's workers (once per content) */
export async function storePolicy(client: Redis, packed: { hash: string; data: Buffer }, ttlSeconds = BLOB_TTL_S): Promise<void> {
  await client.set(blobKey(packed.hash), packed.data, 'EX', ttlSeconds);
}

/** A packed policy's files, name → base64 bytes, checked against their hash */
export async function fetchPolicy(client: Redis, hash: string): Promise<Record<string, string>> {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`policy ${hash}: not a policy hash`);
  const data = await client.getBuffer(blobKey(hash));
  if (!data) throw new Error(`policy ${hash.slice(0, 12)}: not in Redis (it expires ${BLOB_TTL_S / 86400} days after its run started); submit the run again`);
  if (createHash('sha256').update(data).digest('hex') !== hash) throw new Error(`policy ${hash.slice(0, 12)}: its bytes in Redis do not match their hash`);
  return JSON.parse(data.toString('utf8')) as Record<string, string>;
}

/** The directory of a packed policy on this machine, fetched from Redis the first time */
export async function unpackPolicy(client: Redis, hash: string): Promise<string> {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`policy ${hash}: not a policy hash`);
  const root = join(tmpdir(), 'drivelab-worker-policies');
  const dir = join(root, hash);
  if (existsSync(join(dir, '.complete'))) return dir;
  const files = await fetchPolicy(client, hash);
  const partial = `${dir}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  for (const [name, base64] of Object.entries(files)) {
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) throw new Error(`policy ${hash.slice(0, 12)}: bad file name ${JSON.stringify(name)}`);
    writeFileSync(join(partial, name), Buffer.from(base64, 'base64'));
  }
  writeFileSync(join(partial, '.complete'), '');
  try {
    renameSync(partial, dir);
  } catch {
    // Another worker on this machine unpacked it first.
    rmSync(partial, { recursive: true, force: true });
  }
  return dir;
}

/** A job id from the run and the job's key (BullMQ ids may not hold ':') */
export function jobId(runId: string, key: string): string {
  return `${runId}-${createHash('sha1').update(key).digest('hex').slice(0, 20)}`;
}
