/** What every agent's training returns and what the benchmark runs. */
import type { SpaceValue } from '../../sim/env/spaces.ts';

export interface ActOptions {
  /** Take the most likely action instead of sampling (default true when evaluating) */
  deterministic?: boolean;
}

export interface Policy<O = SpaceValue, A = SpaceValue> {
  readonly name: string;
  act(observation: O, options?: ActOptions): A;
  /**
   * Called at the start of every episode with its seed, for policies that keep state within an
   * episode or draw random numbers: an episode's actions then depend only on its own seed.
   */
  reset?(seed?: number): void;
  /** Writes what `load` needs to rebuild the policy into `dir` */
  save(dir: string): Promise<void>;
}
