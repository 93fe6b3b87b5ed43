/**
 * N envs spread over K `worker_threads` (Node only), each worker stepping a contiguous block of
 * envs in parallel with the others. Layout, seeding and same-step autoreset are those of
 * `SyncVectorEnv` (see `types.ts`), and for the same seeds and actions the results are identical.
 *
 * Data paths: the workers write observations, rewards, terminated and truncated straight into
 * SharedArrayBuffers, which the returned arrays view without copying; actions go out and infos
 * come back by postMessage, one request and one reply per worker per call, the infos as JSON text
 * (see `infoWire.ts`).
 *
 * Node modules are loaded with dynamic imports inside `create()`, so importing this file in a
 * browser is harmless; only creating one needs Node.
 */
import type { Worker } from 'node:worker_threads';
import type { ScenarioOverrides } from '../../../scenarios/parse.ts';
import type { Scenario } from '../../../scenarios/schema.ts';
import type { Action, Observation } from '../DrivingEnv.ts';
import type { Env, Info } from '../Env.ts';
import { SyncVectorEnv } from './SyncVectorEnv.ts';
import { make, resolveScenario } from '../registry.ts';
import { flatSize, spaceFromJSON, type Space } from '../spaces.ts';
import {
  actionSizeOf,
  actionsAsFloat32,
  vectorSeeds,
  type VectorActions,
  type VectorEnv,
  type VectorResetArgs,
  type VectorResetResult,
  type VectorStepResult,
} from './types.ts';
import type { AttachMessage, FromWorker, ToWorker, WorkerInit } from './vectorWorker.ts';
import { decodeInfos } from './infoWire.ts';

export interface WorkerVectorEnvOptions {
  /** Number of threads stepping envs in parallel; default min(numEnvs, os.availableParallelism()) */
  workers?: number;
  /**
   * Let the calling thread be one of them (default true): it steps the last block of envs itself
   * while the worker threads step theirs, instead of idling while it waits for their replies.
   * On a machine with as many cores as workers, that leaves no thread competing for a core.
   */
  mainThread?: boolean;
  /** Seeds of episodes reset without one come from this range (DrivingEnvOptions.seedRange) */
  seedRange?: [number, number];
}

/** One worker thread, its block of envs and the request it owes a reply to. */
interface Slot {
  readonly worker: Worker;
  readonly index: number;
  /** Global index of its first env */
  readonly start: number;
  readonly count: number;
  waiting: { id: number; resolve(reply: FromWorker): void; reject(err: Error): void } | null;
  /** Set once the worker has died or the env was closed; every later request fails with it */
  dead: Error | null;
  /** The thread has ended */
  exited: boolean;
}

export class WorkerVectorEnv implements VectorEnv {
  readonly numEnvs: number;
  readonly numWorkers: number;
  readonly observationSize: number;
  readonly actionSize: number;
  private readonly observations: Float32Array;
  private readonly rewards: Float32Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly sync: Int32Array;
  private nextId = 1;
  private busy = false;
  private everReset = false;
  private closing: Promise<void> | null = null;

  /** The block of envs the calling thread steps itself, after the workers' blocks */
  private readonly local: SyncVectorEnv | null;
  private readonly localStart: number;

  private constructor(
    private readonly slots: readonly Slot[],
    localEnvs: readonly Env<Observation, Action>[],
    readonly singleObservationSpace: Space,
    readonly singleActionSpace: Space,
  ) {
    this.localStart = slots.reduce((n, s) => n + s.count, 0);
    this.numEnvs = this.localStart + localEnvs.length;
    this.numWorkers = slots.length + (localEnvs.length > 0 ? 1 : 0);
    this.observationSize = flatSize(singleObservationSpace);
    this.actionSize = actionSizeOf(singleActionSpace);
    const n = this.numEnvs;
    const shared = (bytes: number) => new SharedArrayBuffer(bytes);
    const attach: AttachMessage = {
      type: 'attach',
      observations: shared(n * this.observationSize * 4),
      rewards: shared(n * 4),
      terminated: shared(n),
      truncated: shared(n),
      sync: shared(Math.max(1, slots.length) * 4),
      observationSize: this.observationSize,
    };
    this.observations = new Float32Array(attach.observations);
    this.rewards = new Float32Array(attach.rewards);
    this.terminated = new Uint8Array(attach.terminated);
    this.truncated = new Uint8Array(attach.truncated);
    this.sync = new Int32Array(attach.sync);
    for (const slot of slots) slot.worker.postMessage(attach satisfies ToWorker);
    const first = this.localStart, m = localEnvs.length, size = this.observationSize;
    this.local =
      m === 0
        ? null
        : new SyncVectorEnv(localEnvs, {
            firstIndex: first,
            buffers: {
              observations: this.observations.subarray(first * size, (first + m) * size),
              rewards: this.rewards.subarray(first, first + m),
              terminated: this.terminated.subarray(first, first + m),
              truncated: this.truncated.subarray(first, first + m),
            },
          });
  }

  /**
   * `numEnvs` envs of one scenario (an id, or a Scenario object) with the same overrides. The
   * scenario is resolved here, so registered ids and file loading stay in this thread, and each
   * worker gets it as plain data. Resolves once every worker has built its envs.
   */
  static async create(
    numEnvs: number,
    idOrScenario: string | Scenario,
    overrides?: ScenarioOverrides,
    options: WorkerVectorEnvOptions = {},
  ): Promise<WorkerVectorEnv> {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new Error(`a vector env needs a positive whole number of envs, got ${numEnvs}`);
    const scenario = resolveScenario(idOrScenario, overrides);
    const { Worker } = await import('node:worker_threads');
    const { availableParallelism } = await import('node:os');
    const { execArgv } = await import('node:process');
    const k = Math.min(numEnvs, options.workers ?? availableParallelism());
    if (!Number.isInteger(k) || k < 1) throw new Error(`workers must be a positive whole number, got ${options.workers}`);
    const threads = options.mainThread === false ? k : k - 1;

    // Contiguous blocks whose sizes differ by at most one, larger blocks first; with the calling
    // thread taking part, the last block is its own.
    const sizes = Array.from({ length: k }, (_, w) => Math.floor(numEnvs / k) + (w < numEnvs % k ? 1 : 0));
    const url = new URL('./worker.mjs', import.meta.url);
    const slots: Slot[] = [];
    let start = 0;
    for (let w = 0; w < threads; w++) {
      const count = sizes[w];
      const workerData: WorkerInit = { scenario, index: w, firstIndex: start, count, seedRange: options.seedRange };
      const worker = new Worker(url, { workerData, execArgv: workerExecArgv(execArgv) });
      const slot: Slot = { worker, index: w, start, count, waiting: null, dead: null, exited: false };
      listen(slot);
      slots.push(slot);
      start += count;
    }
    const localEnvs: Env<Observation, Action>[] = [];
    for (let i = start; i < numEnvs; i++) localEnvs.push(await make(scenario, undefined, { seedRange: options.seedRange }));

    const started = await Promise.allSettled(slots.map((slot) => replyFrom(slot, 0)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      for (const env of localEnvs) env.close();
      throw new Error(`a vector env worker failed to start: ${(failed.reason as Error).message}`, { cause: failed.reason });
    }
    for (const slot of slots) slot.worker.unref();
    if (slots.length === 0) return new WorkerVectorEnv(slots, localEnvs, localEnvs[0].observationSpace, localEnvs[0].actionSpace);
    const ready = (started[0] as PromiseFulfilledResult<FromWorker>).value;
    if (ready.type !== 'ready') throw new Error(`unexpected first message from a vector env worker: ${ready.type}`);
    return new WorkerVectorEnv(slots, localEnvs, spaceFromJSON(ready.observationSpace), spaceFromJSON(ready.actionSpace));
  }

  async reset(args: VectorResetArgs = {}): Promise<VectorResetResult> {
    const seeds = vectorSeeds(args.seed, this.numEnvs, !this.everReset);
    const infos = await this.request(
      (slot, id) => ({ type: 'reset', id, seeds: seeds?.slice(slot.start, slot.start + slot.count), options: args.options }),
      (local) => local.resetNow({ seed: seeds?.slice(this.localStart), options: args.options }).infos,
    );
    this.everReset = true;
    return { observations: this.observations, infos };
  }

  async step(actions: VectorActions): Promise<VectorStepResult> {
    if (!this.everReset) throw new Error('call reset() before step()');
    const flat = actionsAsFloat32(actions, this.numEnvs, this.actionSize);
    const k = this.actionSize;
    const infos = await this.request(
      (slot, id) => ({ type: 'step', id, actions: flat.slice(slot.start * k, (slot.start + slot.count) * k) }),
      (local) => local.stepNow(flat.subarray(this.localStart * k)).infos,
    );
    return { observations: this.observations, rewards: this.rewards, terminated: this.terminated, truncated: this.truncated, infos };
  }

  /** Worker threads still running: numWorkers until close(), 0 after it. */
  get runningWorkers(): number {
    return this.slots.filter((s) => !s.exited).length;
  }

  /** Terminates the workers; a call still pending is rejected. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Error('the vector env was closed');
      for (const slot of this.slots) {
        slot.dead ??= closed;
        slot.waiting?.reject(closed);
        slot.waiting = null;
      }
      await Promise.all(this.slots.map((s) => s.worker.terminate()));
      await this.local?.close();
    })();
    return this.closing;
  }

  /**
   * Sends every worker its message and gathers the infos in env order. Waits for every worker
   * even when one fails, so that no worker is still writing when the caller moves on; then
   * rejects with the first error, whose message is the worker's (it names the env).
   */
  private async request(build: (slot: Slot, id: number) => ToWorker, runLocal: (local: SyncVectorEnv) => Info[]): Promise<Info[]> {
    if (this.closing) throw new Error('the vector env is closed');
    if (this.busy) throw new Error('a reset() or step() is still pending; await it before the next call');
    this.busy = true;
    const id = this.nextId++;
    try {
      const pending = this.slots.map((slot) => {
        const reply = replyFrom(slot, id);
        if (!slot.dead) {
          // Keep the process alive only while a reply is owed, so a forgotten close() does not hang it.
          slot.worker.ref();
          slot.worker.postMessage(build(slot, id));
        }
        return reply;
      });
      // The calling thread steps its own block while the workers step theirs.
      let localInfos: Info[] = [];
      let localError: unknown = null;
      if (this.local) {
        try {
          localInfos = runLocal(this.local);
        } catch (err) {
          localError = err;
        }
      }
      const replies = await Promise.allSettled(pending);
      const infos: Info[] = [];
      for (const [w, r] of replies.entries()) {
        if (r.status === 'rejected') throw r.reason;
        if (r.value.type !== 'done') throw new Error(`unexpected reply from vector env worker ${w}: ${r.value.type}`);
        // Pairs with the worker's Atomics.add after its writes, so they are visible here.
        Atomics.load(this.sync, w);
        infos.push(...decodeInfos(r.value.infos));
      }
      if (localError) throw localError;
      infos.push(...localInfos);
      return infos;
    } finally {
      this.busy = false;
      if (!this.closing) for (const slot of this.slots) if (!slot.dead) slot.worker.unref();
    }
  }
}

/**
 * The parent's Node flags for the workers: inherited (Node's default, which also passes V8 flags
 * through) unless they include flags about the parent's own entry point. Under `node -e` or
 * `tsx --eval`, an inherited `--input-type` makes the worker refuse its file, so those are dropped.
 */
function workerExecArgv(parent: readonly string[]): string[] | undefined {
  const out: string[] = [];
  for (let i = 0; i < parent.length; i++) {
    const flag = parent[i];
    if (flag === '--input-type' || flag === '-e' || flag === '--eval' || flag === '-p' || flag === '--print') i++;
    else if (!flag.startsWith('--input-type=')) out.push(flag);
  }
  return out.length === parent.length ? undefined : out;
}

/** Routes a worker's messages, errors and exit to the request it owes. */
function listen(slot: Slot): void {
  const fail = (err: Error) => {
    slot.dead ??= err;
    slot.waiting?.reject(err);
    slot.waiting = null;
  };
  slot.worker.on('message', (msg: FromWorker) => {
    const waiting = slot.waiting;
    // Replies to requests already given up on (after a close) are dropped.
    if (!waiting || waiting.id !== msg.id) return;
    slot.waiting = null;
    if (msg.type === 'error') waiting.reject(new Error(msg.message));
    else waiting.resolve(msg);
  });
  slot.worker.on('error', (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    fail(new Error(`vector env worker ${slot.index} crashed: ${message}`, { cause: err }));
  });
  slot.worker.on('exit', (code) => {
    slot.exited = true;
    fail(new Error(`vector env worker ${slot.index} exited with code ${code}`));
  });
}

/** A promise for the slot's reply to request `id`; rejects at once if the worker is dead. */
function replyFrom(slot: Slot, id: number): Promise<FromWorker> {
  return new Promise((resolve, reject) => {
    if (slot.dead) reject(slot.dead);
    else slot.waiting = { id, resolve, reject };
  });
}
