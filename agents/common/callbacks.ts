/**
 * Training is steered by callbacks, as in Stable-Baselines3: every algorithm's `train` calls the
 * same hooks at the same points, and a hook that returns false stops the run after that step.
 */
import type { Policy } from './Policy.ts';
import type { Logger } from './logger.ts';

/** What a hook sees of the run; read-only except through its methods. */
export interface TrainContext {
  /** Algorithm name, e.g. "dqn" */
  readonly algorithm: string;
  /** Env steps taken so far, summed over all envs */
  readonly step: number;
  /** Env steps the run was asked for */
  readonly totalSteps: number;
  /** Episodes finished so far */
  readonly episodes: number;
  /** Scalars of the run, written under Stable-Baselines3 keys */
  readonly logger: Logger;
  /** The policy as it stands now; acting with it does not disturb training's random streams */
  readonly policy: Policy;
  /** Writes a resumable checkpoint of the whole run (weights, optimiser, step, RNG, buffer) into `dir` */
  checkpoint(dir: string): Promise<void>;
}

export interface EpisodeSummary {
  /** Undiscounted sum of rewards */
  return: number;
  /** Steps in the episode */
  length: number;
  /** The episode ended with the goal reached */
  success: boolean;
  /** Ended by the time limit rather than by a terminal state */
  truncated: boolean;
  /** How it ended: 'goal', 'collision', 'off-road', 'time-limit' (driving envs), or undefined */
  outcome?: string;
}

export interface Callback {
  onTrainingStart?(ctx: TrainContext): void | Promise<void>;
  /** After every env step (every vector step when there are several envs); false stops training */
  onStep?(ctx: TrainContext): boolean | void | Promise<boolean | void>;
  onEpisodeEnd?(ctx: TrainContext, episode: EpisodeSummary): void;
  /** After every gradient update (or table sweep) with its scalars, e.g. { 'train/loss': 0.3 } */
  onUpdate?(ctx: TrainContext, metrics: Readonly<Record<string, number>>): void;
  onTrainingEnd?(ctx: TrainContext): void | Promise<void>;
}
