/**
 * Gymnasium's environment contract, to the letter: `reset({ seed, options })` gives
 * `{ observation, info }`; `step(action)` gives `{ observation, reward, terminated, truncated, info }`.
 * Wrappers change one thing each by overriding one method.
 */
import type { Space, SpaceValue } from './spaces.ts';
import type { DrivingEnv } from './DrivingEnv.ts';

export type Info = Record<string, unknown>;

export interface ResetArgs {
  /** Re-seeds the env; without it, the next episode's seed comes from the env's own stream */
  seed?: number;
  options?: Record<string, unknown>;
}

export interface ResetResult<O> {
  observation: O;
  info: Info;
}

export interface StepResult<O> {
  observation: O;
  reward: number;
  /** The episode ended inside the task: a collision, leaving the road or reaching the goal */
  terminated: boolean;
  /** The episode was cut off from outside the task, by a time limit */
  truncated: boolean;
  info: Info;
}

/** An RGB image, row-major from the top-left, 3 bytes per pixel. */
export interface RgbFrame {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface Env<O = SpaceValue, A = SpaceValue> {
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  reset(args?: ResetArgs): ResetResult<O>;
  step(action: A): StepResult<O>;
  /** With render mode `rgb_array`, a view of the current state (a chase camera); otherwise null */
  render(): RgbFrame | null;
  close(): void;
  /** The innermost env, under every wrapper */
  readonly unwrapped: DrivingEnv;
}

/** Passes everything through to the wrapped env; subclasses override what they change. */
export class Wrapper<O = SpaceValue, A = SpaceValue, InnerO = SpaceValue, InnerA = SpaceValue> implements Env<O, A> {
  constructor(readonly env: Env<InnerO, InnerA>) {}

  get observationSpace(): Space {
    return this.env.observationSpace;
  }

  get actionSpace(): Space {
    return this.env.actionSpace;
  }

  get unwrapped(): DrivingEnv {
    return this.env.unwrapped;
  }

  reset(args?: ResetArgs): ResetResult<O> {
    return this.env.reset(args) as unknown as ResetResult<O>;
  }

  step(action: A): StepResult<O> {
    return this.env.step(action as unknown as InnerA) as unknown as StepResult<O>;
  }

  render(): RgbFrame | null {
    return this.env.render();
  }

  close(): void {
    this.env.close();
  }
}

/** Changes observations only. */
export abstract class ObservationWrapper<O, InnerO = SpaceValue, A = SpaceValue> extends Wrapper<O, A, InnerO, A> {
  abstract observation(observation: InnerO): O;

  override reset(args?: ResetArgs): ResetResult<O> {
    const r = this.env.reset(args);
    return { observation: this.observation(r.observation), info: r.info };
  }

  override step(action: A): StepResult<O> {
    const r = this.env.step(action);
    return { ...r, observation: this.observation(r.observation) };
  }
}

/** Changes rewards only. */
export abstract class RewardWrapper<O = SpaceValue, A = SpaceValue> extends Wrapper<O, A, O, A> {
  abstract reward(reward: number): number;

  override step(action: A): StepResult<O> {
    const r = this.env.step(action);
    return { ...r, reward: this.reward(r.reward) };
  }
}

/** Changes actions only, before they reach the wrapped env. */
export abstract class ActionWrapper<A, InnerA = SpaceValue, O = SpaceValue> extends Wrapper<O, A, O, InnerA> {
  abstract action(action: A): InnerA;

  override step(action: A): StepResult<O> {
    return this.env.step(this.action(action));
  }
}
