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
   * Starts an episode; called after every `env.reset({ seed })` with that seed, before the first
   * `act`. A policy must reseed every random stream it draws from with `episodeSeed` (and with a
   * seed of its own, if it was given one explicitly) and clear whatever it keeps within an episode.
   * An episode's actions then depend on its seed and observations alone, never on the episodes
   * before it: the same in a fresh process as after a thousand others, in one thread or on a pool.
   */
  reset(episodeSeed: number): void;
  /** Writes what `load` needs to rebuild the policy into `dir` */
  save(dir: string): Promise<void>;
}
