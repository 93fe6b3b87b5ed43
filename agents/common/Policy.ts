/** What every agent's training returns and what the benchmark runs. */
import type { SpaceValue } from '../../sim/env/spaces.ts';

export interface ActOptions {
  /** Take the most likely action instead of sampling (default true when evaluating) */
  deterministic?: boolean;
}

/**
 * What a policy makes of one observation, for display (the viewer's HUD): one value per action.
 * `q`: action values (DQN, Q-learning); `probability`: a categorical policy's probabilities;
 * `gaussian`: a continuous policy's mean action per control, in the env's units before clipping,
 * with its standard deviation in `std`. `chosen` is the action a deterministic `act` would take
 * (discrete only).
 */
export interface ActionValues {
  kind: 'q' | 'probability' | 'gaussian';
  labels: string[];
  values: number[];
  std?: number[];
  chosen?: number;
}

export interface Policy<O = SpaceValue, A = SpaceValue> {
  readonly name: string;
  act(observation: O, options?: ActOptions): A;
  /**
   * What the policy makes of `observation` were it to decide now, leaving its state alone: no
   * random draws, no step counted, so `act` afterwards does what it would have done anyway. May
   * allocate (unlike `act`); null when there is nothing to show. Policies without values (the
   * expert, random) leave it out.
   */
  explain?(observation: O): ActionValues | null;
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
