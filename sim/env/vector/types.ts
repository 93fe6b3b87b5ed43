/**
 * Vector envs: N copies of one env stepped together, with Gymnasium's vector API.
 *
 * Layout. Everything is batched row-major with one row per env:
 * - `observations`: Float32Array [numEnvs, observationSize]; row i is env i's observation flattened
 *   by `flattenInto(singleObservationSpace, ...)`, i.e. a Dict's parts laid end to end in key order
 *   (for the default sensors: `features` then `lidar`), a Discrete as one-hot. `unflatten()` on
 *   `observations.subarray(i * size, (i + 1) * size)` gives env i's observation back as a Dict.
 * - `actions`: [numEnvs, actionSize]; for a Box action space row i is env i's action (actionSize is
 *   the Box size), for a Discrete one each env's action is one integer (actionSize = 1, not one-hot).
 * - `rewards` Float32Array [numEnvs]; `terminated`, `truncated` Uint8Array [numEnvs] of 0 or 1.
 * The returned arrays are views into buffers that the next reset() or step() overwrites (for
 * `WorkerVectorEnv` they live in shared memory written by the workers): copy them with `slice()`
 * to keep them. `infos` and everything in them are fresh each call.
 *
 * Seeding, as Gymnasium: `reset({ seed: s })` seeds env i with s + i; `reset({ seed: [s0, s1, ...] })`
 * gives each env its own seed; `reset()` without a seed lets each env draw its next episode's seed
 * from its own stream, except that the first reset of a vector env that was never given a seed
 * seeds env i with i (as `reset({ seed: 0 })` does), so that the envs do not all start alike.
 *
 * Autoreset: Gymnasium's SAME-STEP mode. When env i terminates or truncates inside step(), it is
 * reset at once, within the same call, without a seed (its next seed comes from its own stream).
 * Then for that step:
 * - `observations` row i is the FIRST observation of the NEW episode;
 * - `rewards[i]`, `terminated[i]`, `truncated[i]` belong to the step that ended the OLD episode;
 * - `infos[i]` is the new episode's reset info plus `finalObservation` (the old episode's last
 *   observation, flattened like a row, a Float32Array of its own) and `finalInfo` (the old episode's
 *   last step info, with its `outcome`).
 * So the caller never calls reset() between episodes, and every step's actions act on a live
 * episode. A learner that bootstraps must use `finalObservation`, not `observations[i]`, as the
 * next state of a truncated step.
 */
import type { Info } from '../Env.ts';
import type { Space } from '../spaces.ts';

export type VectorActions = Float32Array | Int32Array | number[];

export interface VectorResetArgs {
  /** An integer s seeds env i with s + i; an array gives env i seed[i]; none continues each env's stream */
  seed?: number | number[];
  /** Passed to every env's reset() */
  options?: Record<string, unknown>;
}

export interface VectorResetResult {
  /** [numEnvs, observationSize], row per env; overwritten by the next call */
  observations: Float32Array;
  infos: Info[];
}

export interface VectorStepResult {
  /** [numEnvs, observationSize], row per env; rows of envs that just ended hold their new episode's first observation */
  observations: Float32Array;
  /** [numEnvs] */
  rewards: Float32Array;
  /** [numEnvs], 1 where the episode ended inside the task on this step */
  terminated: Uint8Array;
  /** [numEnvs], 1 where the episode was cut off (time limit) on this step */
  truncated: Uint8Array;
  /** Per env; for envs that just ended, the reset info plus `finalObservation` and `finalInfo` */
  infos: Info[];
}

export interface VectorEnv {
  readonly numEnvs: number;
  /** One env's observation space, before flattening */
  readonly singleObservationSpace: Space;
  readonly singleActionSpace: Space;
  /** Floats per observation row: flatSize(singleObservationSpace) */
  readonly observationSize: number;
  /** Numbers per action row: the Box size, or 1 for Discrete */
  readonly actionSize: number;
  reset(args?: VectorResetArgs): Promise<VectorResetResult>;
  step(actions: VectorActions): Promise<VectorStepResult>;
  close(): Promise<void>;
}

/** Numbers per env in an action batch; Dict action spaces are not supported. */
export function actionSizeOf(space: Space): number {
  if (space.type === 'box') return space.size;
  if (space.type === 'discrete') return 1;
  throw new Error('vector envs support Box and Discrete action spaces, not Dict');
}

/**
 * Per-env seeds for a vector reset, or undefined when each env continues its own stream.
 * `firstReset`: no reset has happened yet, so a missing seed means seeds 0..numEnvs-1.
 */
export function vectorSeeds(seed: number | number[] | undefined, numEnvs: number, firstReset: boolean): number[] | undefined {
  if (seed === undefined) return firstReset ? Array.from({ length: numEnvs }, (_, i) => i) : undefined;
  const seeds = typeof seed === 'number' ? Array.from({ length: numEnvs }, (_, i) => seed + i) : [...seed];
  if (seeds.length !== numEnvs) throw new Error(`reset() needs one seed per env (${numEnvs}), got ${seeds.length}`);
  for (const s of seeds) {
    if (!Number.isSafeInteger(s) || s < 0) throw new Error(`a seed must be a non-negative integer, got ${s}`);
  }
  return seeds;
}

/** Checks an action batch's length and gives it as float32 (exact for Discrete indices below 2^24). */
export function actionsAsFloat32(actions: VectorActions, numEnvs: number, actionSize: number): Float32Array {
  const expected = numEnvs * actionSize;
  if (actions.length !== expected) {
    throw new Error(`step() needs ${numEnvs} × ${actionSize} = ${expected} action values, got ${actions.length}`);
  }
  return actions instanceof Float32Array ? actions : Float32Array.from(actions);
}
