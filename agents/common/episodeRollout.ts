/**
 * Experience in whole episodes, for training that collects it away from the learner (RLlib's
 * `batch_mode="complete_episodes"`). A rollout task names everything its result depends on, a
 * seed range and an action-sampling seed, so that it plays the same episodes wherever it runs: in
 * this process, or on a `drivelab worker` that received the policy as a snapshot. The policy is
 * frozen while a task plays, observation statistics included; the task reports the moments of the
 * raw observations it saw, which the learner folds in afterwards.
 *
 * Several envs ("lanes") play side by side in one task so that the network is evaluated once per
 * tick for all of them. Each lane plays episodes until it has played `stepsPerLane` steps, then
 * finishes the episode in hand: nothing is cut, so no episode continues into another task.
 */
import { Rng } from '../../sim/rng.ts';
import type { Env, Info } from '../../sim/env/Env.ts';
import type { Action, Observation } from '../../sim/env/DrivingEnv.ts';
import { flattenInto, type Space } from '../../sim/env/spaces.ts';
import type { ActorCritic, ActorCriticPolicy } from './ActorCritic.ts';
import { TRAIN_SEEDS } from './agentFiles.ts';
import type { Rollout } from './rollout.ts';

/** One unit of collection work */
export interface RolloutTask {
  /** Episode seeds are firstSeed, firstSeed + 1, …, in the order episodes start (wrapping inside TRAIN_SEEDS) */
  firstSeed: number;
  /** Envs played side by side */
  lanes: number;
  /** Each lane starts episodes until it has played this many steps; 1 plays exactly one episode per lane */
  stepsPerLane: number;
  /** Seeds the sampling of actions */
  rngSeed: number;
  /** gSDE: steps between two draws of a lane's exploration matrix */
  sdeSampleFreq: number;
}

/** How one episode of a task went */
export interface PlayedEpisode {
  seed: number;
  length: number;
  /** Undiscounted, unscaled */
  return: number;
  /** The env's outcome on the last step ('goal', 'collision', …), if it gave one */
  outcome: string | null;
  /** Ended in a terminal state (else by the time limit) */
  terminated: boolean;
}

/** Running moments of raw observations, per feature */
export interface ObservationMoments {
  count: number;
  mean: number[];
  /** Population variance */
  variance: number[];
}

/**
 * A task's result: its episodes one after another, rows as a rollout of one env (so an episode's
 * last row is always terminated or truncated). Observations are as the network saw them.
 */
export interface EpisodeRollout extends Omit<Rollout, 'advantages' | 'returns'> {
  rows: number;
  episodes: PlayedEpisode[];
  /** Of the raw observations the policy acted on */
  moments: ObservationMoments;
}

/** Runs tasks with a policy, wherever that is. */
export interface RolloutExecutor {
  /** Where the work runs, for messages ("in-process", "queue redis://…") */
  readonly description: string;
  /** The result of each task played with `policy` as it is now, in task order; null when the run was stopped first */
  collect(policy: ActorCriticPolicy, tasks: readonly RolloutTask[]): Promise<EpisodeRollout[] | null>;
  close(): Promise<void>;
}

/** The seed of the `n`th episode of a task starting at `first` */
export function episodeSeed(first: number, n: number): number {
  const span = TRAIN_SEEDS[1] + 1 - TRAIN_SEEDS[0];
  return TRAIN_SEEDS[0] + ((first - TRAIN_SEEDS[0] + n) % span);
}

/** One lane's episode in progress */
interface Lane {
  env: Env<Observation, Action>;
  raw: Float32Array;
  seed: number;
  steps: number;
  episodeSteps: number;
  episodeReturn: number;
  theta: Float32Array | null;
  obs: number[];
  actions: number[];
  logProbs: number[];
  values: number[];
  rewards: number[];
}

/**
 * Plays `task` with `net` on `envs` (at least `task.lanes` of them, all of one scenario, with
 * `space` their observation space). The network and its statistics are not changed.
 */
export function playEpisodes(net: ActorCritic, envs: readonly Env<Observation, Action>[], space: Space, task: RolloutTask): EpisodeRollout {
  if (envs.length < task.lanes) throw new Error(`a rollout task of ${task.lanes} lanes needs as many envs, got ${envs.length}`);
  const D = net.config.inputs, A = net.config.continuous ? net.config.actions : 1;
  const rng = Rng.seeded(task.rngSeed);
  const std = net.std();
  let started = 0;
  const sum = new Float64Array(D), sumSq = new Float64Array(D);
  let count = 0;
  const out = {
    obs: [] as number[], actions: [] as number[], logProbs: [] as number[], values: [] as number[], rewards: [] as number[],
    terminated: [] as number[], truncated: [] as number[], truncatedValues: [] as number[], episodes: [] as PlayedEpisode[],
  };
  const begin = (lane: Lane) => {
    lane.seed = episodeSeed(task.firstSeed, started++);
    flattenInto(space, lane.env.reset({ seed: lane.seed }).observation, lane.raw);
    lane.episodeSteps = 0;
    lane.episodeReturn = 0;
  };
  const lanes: Lane[] = envs.slice(0, task.lanes).map((env) => ({
    env, raw: new Float32Array(D), seed: 0, steps: 0, episodeSteps: 0, episodeReturn: 0,
    theta: net.latentSize > 0 ? new Float32Array(net.latentSize * A) : null,
    obs: [], actions: [], logProbs: [], values: [], rewards: [],
  }));
  for (const lane of lanes) begin(lane);
  let active = lanes.slice();
  const batch = new Float32Array(task.lanes * D);
  const actionRow = new Float32Array(task.lanes * A);
  const envActions = net.config.continuous ? new Float32Array(task.lanes * A) : new Int32Array(task.lanes);
  const finalObs = new Float32Array(D);
  while (active.length > 0) {
    const n = active.length;
    for (let i = 0; i < n; i++) {
      const raw = active[i].raw;
      batch.set(raw, i * D);
      for (let j = 0; j < D; j++) {
        sum[j] += raw[j];
        sumSq[j] += raw[j] * raw[j];
      }
    }
    count += n;
    net.obsNorm?.normalize(batch, n);
    const evaluated = net.evaluate(batch.subarray(0, n * D), n);
    for (let i = 0; i < n; i++) {
      const lane = active[i];
      if (lane.theta && lane.episodeSteps % task.sdeSampleFreq === 0) net.sampleTheta(std, rng, lane.theta);
      lane.logProbs.push(net.sample(evaluated, i, std, rng, false, actionRow, i * A, lane.theta ?? undefined));
      lane.values.push(net.valueAt(evaluated, i));
      for (let j = 0; j < D; j++) lane.obs.push(batch[i * D + j]);
      for (let j = 0; j < A; j++) lane.actions.push(actionRow[i * A + j]);
    }
    net.envActions(actionRow.subarray(0, n * A), envActions.subarray(0, n * A));
    const still: Lane[] = [];
    for (let i = 0; i < n; i++) {
      const lane = active[i];
      const action: Action = net.config.continuous ? (envActions as Float32Array).slice(i * A, (i + 1) * A) : envActions[i];
      const r = lane.env.step(action);
      flattenInto(space, r.observation, lane.raw);
      lane.rewards.push(r.reward);
      lane.episodeReturn += r.reward;
      lane.episodeSteps++;
      lane.steps++;
      if (!r.terminated && !r.truncated) {
        still.push(lane);
        continue;
      }
      let tail = 0;
      if (!r.terminated) {
        finalObs.set(lane.raw);
        net.obsNorm?.normalize(finalObs, 1);
        tail = net.valueAt(net.evaluate(finalObs, 1), 0);
      }
      finish(out, lane, r.terminated, tail, r.info);
      if (lane.steps < task.stepsPerLane) {
        begin(lane);
        still.push(lane);
      }
    }
    active = still;
  }
  const rows = out.rewards.length;
  const mean = Array.from(sum, (s) => (count > 0 ? s / count : 0));
  return {
    rows,
    obs: Float32Array.from(out.obs), actions: Float32Array.from(out.actions), logProbs: Float32Array.from(out.logProbs), values: Float32Array.from(out.values),
    rewards: Float32Array.from(out.rewards), terminated: Float32Array.from(out.terminated), truncated: Float32Array.from(out.truncated), truncatedValues: Float32Array.from(out.truncatedValues),
    episodes: out.episodes,
    moments: { count, mean, variance: Array.from(sumSq, (s, j) => (count > 0 ? Math.max(0, s / count - mean[j] * mean[j]) : 0)) },
  };
}

/** Moves a lane's finished episode to the task's rows */
function finish(
  out: { obs: number[]; actions: number[]; logProbs: number[]; values: number[]; rewards: number[]; terminated: number[]; truncated: number[]; truncatedValues: number[]; episodes: PlayedEpisode[] },
  lane: Lane, terminated: boolean, tail: number, info: Info,
): void {
  const n = lane.rewards.length;
  for (const key of ['obs', 'actions', 'logProbs', 'values', 'rewards'] as const) {
    const src = lane[key];
    for (let k = 0; k < src.length; k++) out[key].push(src[k]);
    src.length = 0;
  }
  for (let k = 0; k < n; k++) {
    const last = k === n - 1;
    out.terminated.push(last && terminated ? 1 : 0);
    out.truncated.push(last && !terminated ? 1 : 0);
    out.truncatedValues.push(last && !terminated ? tail : 0);
  }
  out.episodes.push({ seed: lane.seed, length: n, return: lane.episodeReturn, outcome: typeof info.outcome === 'string' ? info.outcome : null, terminated });
}

/** Task results one after another, as one rollout of a single env */
export function concatRollouts(parts: readonly EpisodeRollout[], D: number, A: number): Rollout & { rows: number } {
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  const r: Rollout & { rows: number } = {
    rows,
    obs: new Float32Array(rows * D), actions: new Float32Array(rows * A), logProbs: new Float32Array(rows), rewards: new Float32Array(rows),
    terminated: new Float32Array(rows), truncated: new Float32Array(rows), values: new Float32Array(rows), truncatedValues: new Float32Array(rows),
    advantages: new Float32Array(rows), returns: new Float32Array(rows),
  };
  let at = 0;
  for (const p of parts) {
    if (p.obs.length !== p.rows * D || p.actions.length !== p.rows * A) throw new Error(`a rollout result of ${p.rows} rows has ${p.obs.length} observation and ${p.actions.length} action floats; expected ${D} and ${A} per row`);
    r.obs.set(p.obs, at * D);
    r.actions.set(p.actions, at * A);
    for (const key of ['logProbs', 'rewards', 'terminated', 'truncated', 'values', 'truncatedValues'] as const) {
      if (p[key].length !== p.rows) throw new Error(`a rollout result of ${p.rows} rows has ${p[key].length} ${key}`);
      r[key].set(p[key], at);
    }
    at += p.rows;
  }
  return r;
}

/** The info TrainRun reads at an episode's last step */
export function episodeInfo(e: PlayedEpisode): Info {
  return e.outcome === null ? {} : { outcome: e.outcome };
}

/** Runs tasks here, one after another, on envs of its own; the policy is the learner's own network. */
export class LocalRolloutExecutor implements RolloutExecutor {
  readonly description = 'in-process';
  private readonly envs: Env<Observation, Action>[] = [];

  constructor(private readonly makeEnv: () => Promise<Env<Observation, Action>>, private readonly signal?: AbortSignal) {}

  async collect(policy: ActorCriticPolicy, tasks: readonly RolloutTask[]): Promise<EpisodeRollout[] | null> {
    const lanes = Math.max(...tasks.map((t) => t.lanes));
    while (this.envs.length < lanes) this.envs.push(await this.makeEnv());
    const out: EpisodeRollout[] = [];
    for (const task of tasks) {
      // Between tasks the event loop runs, so Ctrl-C is heard.
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      if (this.signal?.aborted) return null;
      out.push(playEpisodes(policy.net, this.envs, this.envs[0].observationSpace, task));
    }
    return out;
  }

  async close(): Promise<void> {
    for (const env of this.envs) env.close();
    this.envs.length = 0;
  }
}

/** Training on whole episodes from an executor, in place of stepping a vector env itself */
export interface EpisodicRollouts {
  executor: RolloutExecutor;
  /** Tasks per collection: the envs are shared out among them, so up to this many run at once */
  jobs: number;
  /** Envs (lanes) per collection, in place of the vector env's count */
  envs: number;
}

/** A seed for task `j` of the collection that starts at `step` of the run seeded `seed` */
function taskRngSeed(seed: number, step: number, j: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul((step % 0x7fffffff) + 1, 0x85ebca77) ^ Math.imul(j + 1, 0xc2b2ae3d)) >>> 0;
}

/** Episodes a task may start before its seeds run into the next task's */
const SEEDS_PER_TASK = 4096;

/**
 * One collection for a run at `run.step`: `envs` lanes shared out among `jobs` tasks, each lane
 * playing at least `stepsPerLane` steps. The episodes are counted into `run` and the observation
 * statistics folded into the network, in task order, so the result does not depend on which task
 * finished first. Null when the run was stopped during the collection.
 */
export async function collectEpisodes(
  rollouts: EpisodicRollouts,
  policy: ActorCriticPolicy,
  run: { step: number; countStep(rewards: ArrayLike<number>, terminated: ArrayLike<number>, truncated: ArrayLike<number>, infos: readonly Info[]): void },
  o: { seed: number; envs: number; stepsPerLane: number; sdeSampleFreq: number },
): Promise<(Rollout & { rows: number; episodes: number }) | null> {
  const net = policy.net;
  const jobs = Math.min(rollouts.jobs, o.envs);
  const base = o.seed * 7_919 + run.step;
  const tasks: RolloutTask[] = Array.from({ length: jobs }, (_, j) => ({
    firstSeed: episodeSeed(base, j * SEEDS_PER_TASK),
    lanes: Math.floor(o.envs / jobs) + (j < o.envs % jobs ? 1 : 0),
    stepsPerLane: o.stepsPerLane,
    rngSeed: taskRngSeed(o.seed, run.step, j),
    sdeSampleFreq: o.sdeSampleFreq,
  }));
  const parts = await rollouts.executor.collect(policy, tasks);
  if (!parts) return null;
  const D = net.config.inputs, A = net.config.continuous ? net.config.actions : 1;
  const r = concatRollouts(parts, D, A);
  let row = 0, episodes = 0;
  for (const part of parts) {
    for (const e of part.episodes) {
      for (let k = 0; k < e.length; k++, row++) {
        const info = k === e.length - 1 ? [episodeInfo(e)] : [{}];
        run.countStep(r.rewards.subarray(row, row + 1), r.terminated.subarray(row, row + 1), r.truncated.subarray(row, row + 1), info);
      }
      episodes++;
    }
    net.obsNorm?.merge(part.moments.count, part.moments.mean, part.moments.variance);
  }
  if (row !== r.rows) throw new Error(`rollout results hold ${r.rows} rows but their episodes ${row}`);
  return { ...r, episodes };
}
