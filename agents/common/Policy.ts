/** What every agent's training returns and what the benchmark runs. */
import type { SpaceValue } from '../../sim/env/spaces.ts';

export interface ActOptions {
  /** Take the most likely action instead of sampling (default true when evaluating) */
  deterministic?: boolean;
}

export interface Policy<O = SpaceValue, A = SpaceValue> {
  readonly name: string;
  act(observation: O, options?: ActOptions): A;
  /** Called at the start of every episode, for policies that keep state within one */
  reset?(): void;
  /** Writes what `load` needs to rebuild the policy into `dir` */
  save(dir: string): Promise<void>;
}
