/**
 * A training run as the CLI drives it: a run directory, the envs, the callbacks (checkpoints,
 * evaluation on validation seeds, the progress bar, Ctrl-C), then the final policy, the learning
 * curve and a summary. A run directory holds:
 *
 *   policy.json, weights.bin   the final policy (what `--agent runs/name` loads)
 *   best/                      the policy that scored best on the validation seeds
 *   checkpoint/                the latest resumable checkpoint
 *   progress.csv/.jsonl        every logged row, written as training goes
 *   learning-curve.csv/.svg    return and success rate against env steps
 *   train.json                 what was trained, on what, and how it went
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../../scenarios/schema.ts';
import { make } from '../../sim/env/registry.ts';
import { SyncVectorEnv, WorkerVectorEnv } from '../../sim/env/vector/index.ts';
import type { VectorEnv } from '../../sim/env/vector/types.ts';
import type { Env } from '../../sim/env/Env.ts';
import type { Action, Observation } from '../../sim/env/DrivingEnv.ts';
import type { Callback } from '../../agents/common/callbacks.ts';
import type { Policy } from '../../agents/common/Policy.ts';
import { AgentInputError, TRAIN_SEEDS, VALIDATION_SEED } from '../../agents/common/agentFiles.ts';
import { checkpointCallback, evalCallback, evaluate, type EvalResult } from '../../agents/common/standardCallbacks.ts';
import { initTf, type BackendChoice } from '../../perception/runtime/tfjs.ts';
import { initPhysics } from '../../sim/world/physics.ts';
import { QueueGoneError, UsageError } from '../errors.ts';
import { learningCurveCsv, learningCurveSvg } from './learningCurve.ts';
import { Logger } from '../../agents/common/logger.ts';
import { VERSION } from '../version.ts';
import type { TrainOptions } from '../../agents/common/TrainRun.ts';
import { LocalRolloutExecutor, type RolloutExecutor } from '../../agents/common/episodeRollout.ts';
import { flatSize } from '../../sim/env/spaces.ts';
import type { QueueTarget } from '../queue/url.ts';

/** REINFORCE's default `episodesPerBatch` (agents/reinforce.ts; a test keeps them equal) */
export const REINFORCE_BATCH = 16;

/** Floats per step beyond which trajectories are too big to send through Redis (a camera image is ~20,000) */
const MAX_QUEUED_OBSERVATION = 4096;

import type { Algorithm } from './algorithms.ts';

export { ALGORITHMS, type Algorithm } from './algorithms.ts';

interface AlgorithmInfo {
  /** Envs stepped together by default */
  envs: number;
  /** Trains on discrete meta-actions whatever the scenario says */
  discrete: boolean;
  /** Runs networks (needs tfjs) */
  tf: boolean;
  /** The algorithm's default length, `totalSteps` of its defaults (a test keeps them equal) */
  steps: number;
}

export const INFO: Record<Algorithm, AlgorithmInfo> = {
  qlearning: { envs: 1, discrete: true, tf: false, steps: 600_000 },
  dqn: { envs: 1, discrete: true, tf: true, steps: 150_000 },
  reinforce: { envs: 8, discrete: false, tf: true, steps: 2_000_000 },
  ppo: { envs: 8, discrete: false, tf: true, steps: 1_000_000 },
};

type VectorTrain = (env: VectorEnv, args: Record<string, unknown>, callbacks: Callback[], options: TrainOptions) => Promise<Policy<Observation, Action>>;
type SingleTrain = (env: Env<Observation, Action>, args: Record<string, unknown>, callbacks: Callback[], options: { logger?: Logger; resume?: string }) => Promise<Policy<Observation, Action>>;

async function trainer(agent: Algorithm): Promise<{ vector?: VectorTrain; single?: SingleTrain }> {
  switch (agent) {
    case 'qlearning':
      return { single: (await import('../../agents/qlearning.ts')).train as unknown as SingleTrain };
    case 'dqn':
      return { vector: (await import('../../agents/dqn.ts')).train as unknown as VectorTrain };
    case 'reinforce':
      return { vector: (await import('../../agents/reinforce.ts')).train as unknown as VectorTrain };
    case 'ppo':
      return { vector: (await import('../../agents/ppo.ts')).train as unknown as VectorTrain };
  }
}

export interface TrainingOptions {
  agent: Algorithm;
  /** The scenario as given (overrides applied); DQN and Q-learning switch it to discrete actions */
  scenario: Scenario;
  /** Env steps in all; undefined keeps the algorithm's default (or, resuming, the run's) */
  steps?: number;
  envs?: number;
  seed: number;
  out: string;
  resume: boolean;
  /** Algorithm arguments, e.g. { learningRate: 1e-3 } */
  args: Record<string, unknown>;
  /** Env steps between checkpoints (default: a tenth of the run, at least 5,000) */
  checkpointEvery?: number;
  /** Env steps between evaluations on validation seeds; 0 turns them off */
  evalEvery?: number;
  evalEpisodes: number;
  backend?: BackendChoice;
  /**
   * Step the envs in a worker thread, so the learner (this thread) and the simulation run on two
   * cores at once; results are the same either way
   */
  envThread?: boolean;
  /** Extra callbacks, e.g. a progress bar */
  callbacks?: Callback[];
  /** Aborting stops training after the current step, with a checkpoint */
  signal?: AbortSignal;
  /**
   * PPO and REINFORCE: collect whole episodes in rollout tasks, in this process or (with `queue`)
   * on `drivelab worker` processes, instead of stepping a vector env here
   */
  rollouts?: { jobs?: number; queue?: QueueTarget; goneMs?: number };
}

export interface TrainingResult {
  outDir: string;
  /** The scenario trained on (from the run record when resuming) */
  scenario: string;
  /** Env steps in all, and in this session (less when resumed) */
  steps: number;
  sessionSteps: number;
  episodes: number;
  /** Wall time of this session */
  seconds: number;
  interrupted: boolean;
  backend: string;
  /** The final policy on the validation seeds */
  validation: Omit<EvalResult, 'step'>;
  /** Where whole-episode rollouts ran ("in-process", "queue redis://…"), when they did */
  rollouts?: string;
}

interface RunRecord {
  drivelab: string;
  agent: Algorithm;
  scenario: Scenario;
  envs: number;
  seed: number;
  args: Record<string, unknown>;
  createdAt: string;
  /** Rollout tasks per collection, where they ran (the queue's URL without its password), and the id of the run's jobs */
  rollouts?: { jobs: number; queue: string | null; queueRun?: string };
  result?: Omit<TrainingResult, 'outDir'>;
}

/** Trains as `opts` says; returns where everything went and how the final policy did. */
export async function runTraining(opts: TrainingOptions): Promise<TrainingResult> {
  const recordFile = join(opts.out, 'train.json');
  let record: RunRecord;
  if (opts.resume) {
    const ckpt = join(opts.out, 'checkpoint');
    if (!existsSync(ckpt) || readdirSync(ckpt).length === 0) throw new UsageError(`--resume: ${opts.out} has no checkpoint/ to continue from`);
    try {
      record = JSON.parse(readFileSync(recordFile, 'utf8')) as RunRecord;
    } catch {
      throw new UsageError(`--resume: ${recordFile}: missing or not valid JSON`);
    }
    if (record.agent !== opts.agent) throw new UsageError(`--resume: ${opts.out} was trained with --agent ${record.agent}, not ${opts.agent}`);
  } else {
    const scenario = INFO[opts.agent].discrete && opts.scenario.action.type !== 'discrete' ? { ...opts.scenario, action: { ...opts.scenario.action, type: 'discrete' as const } } : opts.scenario;
    record = { drivelab: VERSION, agent: opts.agent, scenario, envs: opts.envs ?? INFO[opts.agent].envs, seed: opts.seed, args: { ...opts.args, seed: opts.seed }, createdAt: new Date().toISOString() };
  }
  // A run that collected whole episodes goes on doing so (here, unless a queue is named again).
  const asked = opts.rollouts ?? (opts.resume && record.rollouts ? {} : undefined);
  // Envs played per collection: PPO's envs, or the episodes of one REINFORCE batch.
  const lanes = opts.agent === 'reinforce' ? Number((opts.args.episodesPerBatch ?? record.args.episodesPerBatch) ?? REINFORCE_BATCH) : record.envs;
  // Tasks per collection: as the run had them, else one per two envs (a task's envs share network calls), up to 8; never more than the envs.
  const rollouts = asked ? { ...asked, jobs: Math.min(lanes, asked.jobs ?? record.rollouts?.jobs ?? Math.min(8, Math.ceil(lanes / 2))) } : undefined;
  if (rollouts) {
    if (opts.agent !== 'ppo' && opts.agent !== 'reinforce') throw new UsageError(`--agent ${opts.agent}: learns off-policy, step by step; rollouts are for the on-policy agents, ppo and reinforce`);
    const queueRun = rollouts.queue ? (record.rollouts?.queueRun ?? randomUUID()) : undefined;
    record.rollouts = { jobs: rollouts.jobs, queue: rollouts.queue?.display ?? null, ...(queueRun ? { queueRun } : {}) };
  }
  mkdirSync(opts.out, { recursive: true });
  const args = { ...record.args, ...(opts.resume ? opts.args : {}), ...(opts.steps !== undefined ? { totalSteps: opts.steps } : {}) };
  // The record keeps what the run trains with, --steps included, so a resume goes on to the same end.
  record.args = args;

  const backend = INFO[opts.agent].tf ? await initTf(opts.backend) : 'none';
  await initPhysics();
  const scenario = record.scenario;
  const makeEnv = () => make(scenario, undefined, { seedRange: TRAIN_SEEDS });
  const evalEnv = await make(scenario);
  const validationSeeds = Array.from({ length: opts.evalEpisodes }, (_, i) => VALIDATION_SEED + i);

  const totalSteps = typeof args.totalSteps === 'number' ? args.totalSteps : INFO[opts.agent].steps;
  const checkpointEvery = opts.checkpointEvery ?? Math.max(5_000, Math.round(totalSteps / 10));
  // The record is written once the agent has taken its arguments: a run refused at the start leaves --out empty.
  let startStep = 0;
  const start: Callback = {
    onTrainingStart: (ctx) => {
      started = true;
      startStep = ctx.step;
      writeFileSync(recordFile, JSON.stringify(record, null, 2) + '\n');
      // best/ is a policy directory of its own: with the record, run and eval find its scenario.
      if (evalEvery > 0 && opts.evalEpisodes > 0) {
        mkdirSync(join(opts.out, 'best'), { recursive: true });
        writeFileSync(join(opts.out, 'best', 'train.json'), JSON.stringify(record, null, 2) + '\n');
      }
    },
  };
  // The agent checks its arguments and reads the checkpoint before its first step: what fails
  // there is the user's input (an argument it cannot work with, a damaged checkpoint), one line.
  let started = false;
  const failedToStart = (err: unknown): never => {
    if (started || !(err instanceof Error) || err instanceof UsageError || err instanceof AgentInputError) throw err;
    const where = opts.resume ? `--resume ${join(opts.out, 'checkpoint')}` : `--agent ${opts.agent}`;
    throw new UsageError(`${where}: ${err.message.split('\n')[0]}`);
  };
  const evalEvery = opts.evalEvery ?? Math.max(5_000, Math.round(totalSteps / 10));
  const callbacks: Callback[] = [start, checkpointCallback(join(opts.out, 'checkpoint'), checkpointEvery)];
  if (evalEvery > 0 && opts.evalEpisodes > 0) callbacks.push(evalCallback({ env: evalEnv, every: evalEvery, seeds: validationSeeds, bestDir: join(opts.out, 'best') }));
  let interrupted = false;
  // A loop that steps without real I/O (no worker thread) never lets the SIGINT handler run: every
  // 64 steps the run yields to the event loop, so Ctrl-C stops it within 64 steps.
  let sinceYield = 0;
  const stopOnAbort = () => !(interrupted = opts.signal?.aborted ?? false);
  callbacks.push({
    onStep: () => {
      if (++sinceYield < 64) return stopOnAbort();
      sinceYield = 0;
      return new Promise<boolean>((resolve) => setImmediate(() => resolve(stopOnAbort())));
    },
  });
  callbacks.push(...(opts.callbacks ?? []));

  const runOptions: TrainOptions = { logDir: opts.out, logInterval: 1_000, resumeFrom: opts.resume ? join(opts.out, 'checkpoint') : undefined };
  const t0 = performance.now();
  let rolloutsRan: string | undefined;
  const { vector, single } = await trainer(opts.agent);
  let policy: Policy<Observation, Action>;
  if (vector) {
    let vec: VectorEnv;
    let executor: RolloutExecutor | null = null;
    if (rollouts) {
      // The executor plays the episodes; the vector env here only gives the spaces.
      const signal = opts.signal ?? new AbortController().signal;
      if (rollouts.queue) {
        const size = flatSize(evalEnv.observationSpace);
        if (size > MAX_QUEUED_OBSERVATION) throw new UsageError(`--queue: ${scenario.id} observes ${size} floats a step (an image or a lidar ring); trajectories that big do not travel through Redis, train without --queue`);
        const { QueueRolloutExecutor } = await import('../queue/rollouts.ts');
        executor = await QueueRolloutExecutor.open(rollouts.queue, record.rollouts!.queueRun!, scenario, signal, rollouts.goneMs);
      } else {
        executor = new LocalRolloutExecutor(makeEnv, signal);
      }
      runOptions.rollouts = { executor, jobs: rollouts.jobs, envs: record.envs };
      rolloutsRan = executor.description;
      vec = new SyncVectorEnv([await makeEnv()]);
    } else if (opts.envThread) {
      vec = await WorkerVectorEnv.create(record.envs, scenario, undefined, { workers: 1, mainThread: false, seedRange: TRAIN_SEEDS });
    } else {
      const envs: Env<Observation, Action>[] = [];
      for (let i = 0; i < record.envs; i++) envs.push(await makeEnv());
      vec = new SyncVectorEnv(envs);
    }
    try {
      policy = await vector(vec, args, callbacks, runOptions).catch(failedToStart).catch((err) => {
        if (err instanceof QueueGoneError) throw new QueueGoneError(`${err.message}; training stopped with a checkpoint of its last update in ${join(opts.out, 'checkpoint')}; continue with drivelab train --agent ${opts.agent} --out ${opts.out} --resume --queue <url>`);
        throw err;
      });
    } finally {
      await executor?.close();
      await vec.close();
    }
  } else {
    const env = await makeEnv();
    try {
      policy = await single!(env, args, callbacks, { logger: new Logger(opts.out), resume: runOptions.resumeFrom }).catch(failedToStart);
    } finally {
      env.close();
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  // Stopped during a collection, before any step callback heard of it.
  interrupted ||= opts.signal?.aborted ?? false;
  await policy.save(opts.out);

  const rows = new Logger(opts.out).rows;
  writeFileSync(join(opts.out, 'learning-curve.csv'), learningCurveCsv(rows));
  writeFileSync(join(opts.out, 'learning-curve.svg'), await learningCurveSvg(rows, `${opts.agent} on ${scenario.id}`));
  const validation = opts.evalEpisodes > 0 ? evaluate(evalEnv, policy, validationSeeds) : { meanReturn: NaN, successRate: NaN, routeCompletion: NaN, episodes: 0 };
  evalEnv.close();
  const last = rows[rows.length - 1] ?? {};
  const result: TrainingResult = {
    outDir: opts.out,
    scenario: scenario.id,
    steps: last['time/total_timesteps'] ?? 0,
    sessionSteps: Math.max(0, (last['time/total_timesteps'] ?? 0) - startStep),
    episodes: last['time/episodes'] ?? 0,
    seconds,
    interrupted,
    backend,
    validation,
    ...(rolloutsRan ? { rollouts: rolloutsRan } : {}),
  };
  const { outDir: _, ...kept } = result;
  writeFileSync(recordFile, JSON.stringify({ ...record, result: kept }, null, 2) + '\n');
  (policy as { dispose?: () => void }).dispose?.();
  return result;
}
