/**
 * One worker of a `WorkerVectorEnv`: builds its slice of the envs with `make()`, then runs them as a
 * `SyncVectorEnv` whose result buffers are views into the parent's shared memory. Started by
 * `worker.mjs`, which registers tsx first; only ever loaded inside a worker thread.
 *
 * Protocol (every request gets exactly one reply with its id, in order):
 *   parent → worker  workerData: WorkerInit
 *   worker → parent  { type: 'ready', id: 0, observationSpace, actionSpace } | { type: 'error', id: 0, message }
 *   parent → worker  { type: 'attach', ... }   (no reply; shared buffers, sent once after 'ready')
 *   parent → worker  { type: 'reset', id, seeds?, options? } | { type: 'step', id, actions }
 *   worker → parent  { type: 'done', id, infos (JSON text, see infoWire.ts) } | { type: 'error', id, message }
 * Before each 'done' the worker has written its rows of the shared buffers and bumped `sync[index]`
 * with an atomic add, which the parent reads back atomically before reading the rows.
 */
import type { Scenario } from '../../../scenarios/schema.ts';
import type { Action, Observation } from '../DrivingEnv.ts';
import type { Env } from '../Env.ts';
import { make } from '../registry.ts';
import type { SpaceJson } from '../spaces.ts';
import { SyncVectorEnv } from './SyncVectorEnv.ts';
import { encodeInfos } from './infoWire.ts';

export interface WorkerInit {
  /** Resolved scenario, overrides applied, as plain data */
  scenario: Scenario;
  /** Position of this worker among the parent's workers */
  index: number;
  /** Global index of this worker's first env */
  firstIndex: number;
  /** Number of envs in this worker */
  count: number;
  /** Seeds of episodes reset without one come from this range (DrivingEnvOptions.seedRange) */
  seedRange?: [number, number];
}

export interface AttachMessage {
  type: 'attach';
  /** Float32 [numEnvs, observationSize] for all envs; this worker writes rows firstIndex..firstIndex+count-1 */
  observations: SharedArrayBuffer;
  /** Float32 [numEnvs] */
  rewards: SharedArrayBuffer;
  /** Uint8 [numEnvs] */
  terminated: SharedArrayBuffer;
  /** Uint8 [numEnvs] */
  truncated: SharedArrayBuffer;
  /** Int32 [numWorkers]: completed requests per worker */
  sync: SharedArrayBuffer;
  observationSize: number;
}

export type ToWorker =
  | AttachMessage
  | { type: 'reset'; id: number; seeds?: number[]; options?: Record<string, unknown> }
  /** Float32 [count, actionSize]: this worker's rows of the action batch */
  | { type: 'step'; id: number; actions: Float32Array };

export type FromWorker =
  | { type: 'ready'; id: 0; observationSpace: SpaceJson; actionSpace: SpaceJson }
  /** `infos`: the block's infos, encoded by `encodeInfos` */
  | { type: 'done'; id: number; infos: string }
  | { type: 'error'; id: number; message: string };

const { parentPort, workerData } = await import('node:worker_threads');
if (!parentPort) throw new Error('vectorWorker.ts runs only inside a worker thread');
const port = parentPort;
const init = workerData as WorkerInit;

let vector: SyncVectorEnv | null = null;
let sync: Int32Array | null = null;
const envs: Env<Observation, Action>[] = [];

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function reply(message: FromWorker): void {
  port.postMessage(message);
}

function attach(msg: AttachMessage): void {
  const first = init.firstIndex;
  const n = init.count;
  vector = new SyncVectorEnv(envs, {
    firstIndex: first,
    buffers: {
      observations: new Float32Array(msg.observations, first * msg.observationSize * 4, n * msg.observationSize),
      rewards: new Float32Array(msg.rewards, first * 4, n),
      terminated: new Uint8Array(msg.terminated, first, n),
      truncated: new Uint8Array(msg.truncated, first, n),
    },
  });
  sync = new Int32Array(msg.sync);
}

function handle(msg: ToWorker): void {
  if (msg.type === 'attach') {
    attach(msg);
    return;
  }
  try {
    if (!vector || !sync) throw new Error('the worker was not given its buffers');
    const infos = msg.type === 'reset' ? vector.resetNow({ seed: msg.seeds, options: msg.options }).infos : vector.stepNow(msg.actions).infos;
    Atomics.add(sync, init.index, 1);
    reply({ type: 'done', id: msg.id, infos: encodeInfos(infos) });
  } catch (err) {
    reply({ type: 'error', id: msg.id, message: errorMessage(err) });
  }
}

port.on('message', handle);

try {
  for (let i = 0; i < init.count; i++) envs.push(await make(init.scenario, undefined, { seedRange: init.seedRange }));
  reply({ type: 'ready', id: 0, observationSpace: envs[0].observationSpace.toJSON(), actionSpace: envs[0].actionSpace.toJSON() });
} catch (err) {
  reply({ type: 'error', id: 0, message: errorMessage(err) });
}
