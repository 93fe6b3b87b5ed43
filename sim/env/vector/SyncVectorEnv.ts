/**
 * N envs stepped one after another in the calling thread; runs in browsers too. Layout, seeding
 * and same-step autoreset are described in `types.ts`. The methods are async only to share the
 * `VectorEnv` interface with `WorkerVectorEnv`; the work itself is synchronous.
 */
import type { ScenarioOverrides } from '../../../scenarios/parse.ts';
import type { Scenario } from '../../../scenarios/schema.ts';
import type { Action, Observation } from '../DrivingEnv.ts';
import type { Env, Info } from '../Env.ts';
import { make } from '../registry.ts';
import { flatSize, flattenInto, type Space } from '../spaces.ts';
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

/** The arrays results are written into; each sized for the envs of this vector env only. */
export interface VectorBuffers {
  /** [numEnvs, observationSize] */
  observations: Float32Array;
  /** [numEnvs] */
  rewards: Float32Array;
  /** [numEnvs] */
  terminated: Uint8Array;
  /** [numEnvs] */
  truncated: Uint8Array;
}

export interface SyncVectorEnvOptions {
  /** Write results here instead of into fresh arrays; `WorkerVectorEnv` passes slices of shared memory */
  buffers?: VectorBuffers;
  /** Index of the first env in error messages, when these envs are a slice of a bigger vector env */
  firstIndex?: number;
}

export class SyncVectorEnv implements VectorEnv {
  readonly numEnvs: number;
  readonly singleObservationSpace: Space;
  readonly singleActionSpace: Space;
  readonly observationSize: number;
  readonly actionSize: number;
  private readonly buffers: VectorBuffers;
  private readonly firstIndex: number;
  private everReset = false;
  private closed = false;

  /** Takes ownership of `envs` (close() closes them); they must share their spaces. */
  constructor(readonly envs: readonly Env<Observation, Action>[], options: SyncVectorEnvOptions = {}) {
    if (envs.length === 0) throw new Error('a vector env needs at least one env');
    this.numEnvs = envs.length;
    this.singleObservationSpace = envs[0].observationSpace;
    this.singleActionSpace = envs[0].actionSpace;
    const obsJson = JSON.stringify(this.singleObservationSpace.toJSON());
    const actJson = JSON.stringify(this.singleActionSpace.toJSON());
    envs.forEach((env, i) => {
      if (JSON.stringify(env.observationSpace.toJSON()) !== obsJson || JSON.stringify(env.actionSpace.toJSON()) !== actJson) {
        throw new Error(`env ${i} has different observation or action spaces from env 0`);
      }
    });
    this.observationSize = flatSize(this.singleObservationSpace);
    this.actionSize = actionSizeOf(this.singleActionSpace);
    this.firstIndex = options.firstIndex ?? 0;
    const n = this.numEnvs;
    this.buffers = options.buffers ?? {
      observations: new Float32Array(n * this.observationSize),
      rewards: new Float32Array(n),
      terminated: new Uint8Array(n),
      truncated: new Uint8Array(n),
    };
    const b = this.buffers;
    if (b.observations.length !== n * this.observationSize || b.rewards.length !== n || b.terminated.length !== n || b.truncated.length !== n) {
      throw new Error(`buffers do not fit ${n} envs with ${this.observationSize} observation floats each`);
    }
  }

  /** `n` envs made from one scenario (an id or a Scenario object) with the same overrides. */
  static async create(n: number, idOrScenario: string | Scenario, overrides?: ScenarioOverrides): Promise<SyncVectorEnv> {
    if (!Number.isInteger(n) || n < 1) throw new Error(`a vector env needs a positive whole number of envs, got ${n}`);
    const envs: Env<Observation, Action>[] = [];
    for (let i = 0; i < n; i++) envs.push(await make(idOrScenario, overrides));
    return new SyncVectorEnv(envs);
  }

  async reset(args: VectorResetArgs = {}): Promise<VectorResetResult> {
    return this.resetNow(args);
  }

  async step(actions: VectorActions): Promise<VectorStepResult> {
    return this.stepNow(actions);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const env of this.envs) env.close();
  }

  /** reset() without the promise, for callers that are synchronous themselves (the vector worker). */
  resetNow(args: VectorResetArgs = {}): VectorResetResult {
    this.checkOpen();
    const seeds = vectorSeeds(args.seed, this.numEnvs, !this.everReset);
    const { observations } = this.buffers;
    const infos: Info[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const r = this.guard(i, () => this.envs[i].reset({ seed: seeds?.[i], options: args.options }));
      flattenInto(this.singleObservationSpace, r.observation, observations, i * this.observationSize);
      infos.push(r.info);
    }
    this.everReset = true;
    return { observations, infos };
  }

  /** step() without the promise. If an env throws, the envs before it have stepped and those after it have not. */
  stepNow(actions: VectorActions): VectorStepResult {
    this.checkOpen();
    if (!this.everReset) throw new Error('call reset() before step()');
    const flat = actionsAsFloat32(actions, this.numEnvs, this.actionSize);
    const { observations, rewards, terminated, truncated } = this.buffers;
    const size = this.observationSize;
    const k = this.actionSize;
    const discrete = this.singleActionSpace.type === 'discrete';
    const infos: Info[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i];
      // A copy per env, so an env or wrapper that keeps its action never sees the next step's.
      const action: Action = discrete ? flat[i] : flat.slice(i * k, (i + 1) * k);
      const r = this.guard(i, () => env.step(action));
      const row = i * size;
      flattenInto(this.singleObservationSpace, r.observation, observations, row);
      rewards[i] = r.reward;
      terminated[i] = r.terminated ? 1 : 0;
      truncated[i] = r.truncated ? 1 : 0;
      if (r.terminated || r.truncated) {
        // Same-step autoreset: keep the last observation aside, then start the next episode in its row.
        const finalObservation = observations.slice(row, row + size);
        const next = this.guard(i, () => env.reset());
        flattenInto(this.singleObservationSpace, next.observation, observations, row);
        infos.push({ ...next.info, finalObservation, finalInfo: r.info });
      } else {
        infos.push(r.info);
      }
    }
    return { observations, rewards, terminated, truncated, infos };
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('the vector env is closed');
  }

  /** Runs one env's call; its error names the env. */
  private guard<T>(i: number, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`env ${this.firstIndex + i}: ${message}`, { cause: err });
    }
  }
}
