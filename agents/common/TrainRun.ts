/**
 * The bookkeeping every training loop shares: the step count, episode statistics over the last
 * 100 episodes (as Stable-Baselines3's `ep_info_buffer`), the logger, the callbacks, the guard
 * against non-finite losses, and checkpoints. The algorithm files keep only their own maths.
 */
import type { Info } from '../../sim/env/Env.ts';
import type { Callback, EpisodeSummary, TrainContext } from './callbacks.ts';
import { Logger } from './logger.ts';
import type { Policy } from './Policy.ts';
import type { EpisodicRollouts } from './episodeRollout.ts';

/** What every `train` takes besides the env, its arguments and callbacks */
export interface TrainOptions extends RunOptions {
  /** Continue the run saved in this checkpoint directory */
  resumeFrom?: string;
  /**
   * On-policy agents (PPO, REINFORCE): collect whole episodes through this executor (in this
   * process, or on queue workers) instead of stepping the vector env, which then only gives the spaces
   */
  rollouts?: EpisodicRollouts;
}

/** Training produced a non-finite number; the message names the quantity and the step. */
export class TrainingDivergedError extends Error {}

export interface RunOptions {
  /** Where progress.csv / progress.jsonl go; none keeps the rows in memory */
  logDir?: string;
  /** Env steps between two logged rows */
  logInterval?: number;
}

export class TrainRun implements TrainContext {
  step = 0;
  episodes = 0;
  readonly logger: Logger;
  private readonly recent: EpisodeSummary[] = [];
  private readonly returns: Float64Array;
  private readonly lengths: Int32Array;
  private lastLog = 0;
  private startTime = performance.now();
  private startStep = 0;
  private stopped = false;
  policy!: Policy;
  saveCheckpoint: (dir: string) => Promise<void> = async () => {
    throw new Error(`${this.algorithm} cannot write checkpoints`);
  };

  constructor(
    readonly algorithm: string,
    readonly totalSteps: number,
    numEnvs: number,
    private readonly callbacks: readonly Callback[],
    private readonly options: RunOptions = {},
  ) {
    this.logger = new Logger(options.logDir);
    this.returns = new Float64Array(numEnvs);
    this.lengths = new Int32Array(numEnvs);
  }

  checkpoint(dir: string): Promise<void> {
    return this.saveCheckpoint(dir);
  }

  /** What `resumeAt` needs besides the counters: the recent episodes behind the logged means, the step of the last row and what the next row averages */
  snapshot(): unknown {
    // A checkpoint written mid-step (after an update, before `endStep`) precedes the row this step may still log.
    const logsNow = this.step - this.lastLog >= (this.options.logInterval ?? 1000);
    return { recent: this.recent, lastLog: logsNow ? this.step : this.lastLog, pending: logsNow ? [] : this.logger.pending() };
  }

  /** Continues from a checkpoint's counters and `snapshot()`; rows logged after `step` are dropped */
  resumeAt(step: number, episodes: number, snapshot: unknown): void {
    const saved = snapshot as { recent?: EpisodeSummary[]; lastLog?: number; pending?: [string, number | null, number][] } | undefined;
    if (Array.isArray(saved?.recent)) this.recent.push(...saved.recent.slice(-100));
    this.step = step;
    this.episodes = episodes;
    // Rows then fall where the uninterrupted run put them; checkpoints without the field restart the count.
    this.lastLog = Number.isSafeInteger(saved?.lastLog) && saved!.lastLog! <= step ? saved!.lastLog! : step;
    this.startStep = step;
    this.logger.truncateAfter(step);
    if (Array.isArray(saved?.pending)) this.logger.restorePending(saved.pending);
  }

  async start(): Promise<void> {
    this.startTime = performance.now();
    this.startStep = this.step;
    for (const c of this.callbacks) await c.onTrainingStart?.(this);
  }

  /**
   * Counts one vector step: rewards per env, and episode ends (from `terminated`/`truncated`, with
   * each ended env's final info).
   */
  countStep(rewards: ArrayLike<number>, terminated: ArrayLike<number>, truncated: ArrayLike<number>, infos: readonly Info[]): void {
    const n = rewards.length;
    this.step += n;
    for (let i = 0; i < n; i++) {
      this.returns[i] += rewards[i];
      this.lengths[i]++;
      if (!terminated[i] && !truncated[i]) continue;
      const final = (infos[i]?.finalInfo ?? infos[i]) as Info | undefined;
      const outcome = typeof final?.outcome === 'string' ? final.outcome : terminated[i] ? undefined : 'time-limit';
      this.endEpisode({ return: this.returns[i], length: this.lengths[i], success: outcome === 'goal', truncated: !terminated[i], outcome });
      this.returns[i] = 0;
      this.lengths[i] = 0;
    }
  }

  /**
   * Ends a vector step, after the algorithm's updates: logs a row when one is due and runs the step
   * callbacks (which may write a checkpoint). False means stop.
   */
  async endStep(): Promise<boolean> {
    const interval = this.options.logInterval ?? 1000;
    if (this.step - this.lastLog >= interval) this.log();
    let go = !this.stopped;
    for (const c of this.callbacks) {
      const r = c.onStep?.(this);
      const value = r instanceof Promise ? await r : r;
      if (value === false) go = false;
    }
    if (!go) this.stopped = true;
    return go;
  }

  /** Episodes cut short by a checkpoint restart their return and length counts */
  cutEpisodes(): void {
    this.returns.fill(0);
    this.lengths.fill(0);
  }

  endEpisode(e: EpisodeSummary): void {
    this.episodes++;
    this.recent.push(e);
    if (this.recent.length > 100) this.recent.shift();
    for (const c of this.callbacks) c.onEpisodeEnd?.(this, e);
  }

  /** Records an update's scalars, stopping the run with a clear message if one is not finite */
  afterUpdate(metrics: Record<string, number>): void {
    for (const [key, value] of Object.entries(metrics)) {
      if (!Number.isFinite(value)) {
        throw new TrainingDivergedError(`training diverged at step ${this.step}: ${key} is ${value}; lower the learning rate or clip gradients harder, then resume from the last checkpoint`);
      }
      this.logger.record(key, value);
    }
    for (const c of this.callbacks) c.onUpdate?.(this, metrics);
  }

  /** Writes one row of the rollout and time scalars and whatever was recorded since the last */
  log(): void {
    this.lastLog = this.step;
    const seconds = (performance.now() - this.startTime) / 1000;
    const r = this.recent;
    if (r.length > 0) {
      this.logger.record('rollout/ep_rew_mean', r.reduce((s, e) => s + e.return, 0) / r.length);
      this.logger.record('rollout/ep_len_mean', r.reduce((s, e) => s + e.length, 0) / r.length);
      this.logger.record('rollout/success_rate', r.filter((e) => e.success).length / r.length);
      for (const outcome of ['collision', 'off-road', 'time-limit']) {
        this.logger.record(`rollout/${outcome.replace('-', '_')}_rate`, r.filter((e) => e.outcome === outcome).length / r.length);
      }
    }
    this.logger.record('time/episodes', this.episodes);
    this.logger.record('time/fps', seconds > 0 ? (this.step - this.startStep) / seconds : 0);
    this.logger.record('time/time_elapsed', seconds);
    this.logger.dump(this.step);
  }

  /** Mean return of the last (up to) 100 episodes, or NaN before the first ends */
  get meanReturn(): number {
    return this.recent.length === 0 ? NaN : this.recent.reduce((s, e) => s + e.return, 0) / this.recent.length;
  }

  get done(): boolean {
    return this.stopped || this.step >= this.totalSteps;
  }

  async end(): Promise<void> {
    if (this.step > this.lastLog) this.log();
    for (const c of this.callbacks) await c.onTrainingEnd?.(this);
  }
}
