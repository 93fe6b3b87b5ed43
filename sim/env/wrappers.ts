/** Standard wrappers, each changing one thing. */
import type { Info, ResetArgs, ResetResult, StepResult, Env } from './Env.ts';
import { ObservationWrapper, Wrapper } from './Env.ts';
import { flattenInto, flattenSpace, type Box, type Space, type SpaceValue } from './spaces.ts';

/** Truncates an episode after `maxSteps` steps, with `info.outcome = 'time-limit'`. */
export class TimeLimit<O = SpaceValue, A = SpaceValue> extends Wrapper<O, A, O, A> {
  private elapsed = 0;

  constructor(env: Env<O, A>, readonly maxSteps: number) {
    super(env);
    if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new Error(`TimeLimit needs a positive whole number of steps, got ${maxSteps}`);
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    this.elapsed = 0;
    return this.env.reset(args);
  }

  override step(action: A): StepResult<O> {
    const r = this.env.step(action);
    this.elapsed++;
    if (this.elapsed >= this.maxSteps && !r.terminated) {
      r.truncated = true;
      r.info.outcome = 'time-limit';
      this.unwrapped.endEpisode();
    }
    return r;
  }
}

/** Flattens a Dict (or any) observation into one Float32Array, parts in key order. */
export class FlattenObservation<A = SpaceValue> extends ObservationWrapper<Float32Array, SpaceValue, A> {
  private readonly inner: Space;
  private readonly flat: Box;

  constructor(env: Env<SpaceValue, A>) {
    super(env);
    this.inner = env.observationSpace;
    this.flat = flattenSpace(this.inner);
  }

  override get observationSpace(): Box {
    return this.flat;
  }

  observation(observation: SpaceValue): Float32Array {
    const out = new Float32Array(this.flat.size);
    flattenInto(this.inner, observation, out);
    return out;
  }
}

/** Statistics of a finished episode, in `info.episode` on its last step. */
export interface EpisodeStatistics {
  /** Sum of rewards */
  return: number;
  length: number;
  /** Sum of each named reward term */
  rewards: Record<string, number>;
}

/** Adds `info.episode` (return, length and per-term sums) on the step that ends an episode. */
export class RecordEpisodeStatistics<O = SpaceValue, A = SpaceValue> extends Wrapper<O, A, O, A> {
  private total = 0;
  private length = 0;
  private terms: Record<string, number> = {};

  override reset(args?: ResetArgs): ResetResult<O> {
    this.total = 0;
    this.length = 0;
    this.terms = {};
    return this.env.reset(args);
  }

  override step(action: A): StepResult<O> {
    const r = this.env.step(action);
    this.total += r.reward;
    this.length++;
    const rewards = r.info.rewards as Record<string, number> | undefined;
    if (rewards) for (const [k, v] of Object.entries(rewards)) this.terms[k] = (this.terms[k] ?? 0) + v;
    if (r.terminated || r.truncated) {
      const episode: EpisodeStatistics = { return: this.total, length: this.length, rewards: { ...this.terms } };
      (r.info as Info).episode = episode;
    }
    return r;
  }
}
