/**
 * REINFORCE (Williams 1992) with a learned state-value baseline (Sutton & Barto, §13.4): play whole
 * episodes, weight each log π(aₜ|sₜ) by the return Gₜ minus V(sₜ), take one gradient step per batch
 * of episodes. Episodes cut by a time limit bootstrap their tail from V. Read top to bottom:
 * arguments, the returns, the update, the training loop.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../sim/rng.ts';
import type { VectorEnv } from '../sim/env/vector/types.ts';
import type { Env } from '../sim/env/Env.ts';
import type { Action, Observation } from '../sim/env/DrivingEnv.ts';
import { AdamW } from '../perception/training/AdamW.ts';
import type { Callback } from './common/callbacks.ts';
import { readCheckpoint, writeCheckpoint } from './common/checkpoint.ts';
import { ActorCritic, ActorCriticPolicy, actorCriticFor, networkOptions } from './common/ActorCritic.ts';
import { TrainRun, type TrainOptions } from './common/TrainRun.ts';
import type { ObservationNormalizer } from './common/ObservationNormalizer.ts';
import { loadWeights, parseArgs, trainSeeds, type ArgSpec } from './common/agentFiles.ts';
import type { PolicySource } from './common/policySource.ts';
import { applyAndRead } from './common/gradients.ts';
import { collectEpisodes } from './common/episodeRollout.ts';

export interface ReinforceArgs {
  /** Env steps to train for, summed over envs */
  totalSteps: number;
  /** Seeds the networks and action sampling */
  seed: number;
  /** AdamW learning rate */
  learningRate: number;
  weightDecay: number;
  /** Finished episodes per gradient step */
  episodesPerBatch: number;
  /** Discount factor γ */
  gamma: number;
  /** Baseline (value) loss weight */
  valueCoef: number;
  /** Entropy bonus weight */
  entropyCoef: number;
  /** Normalise Gₜ − V(sₜ) within each batch */
  normalizeAdvantages: boolean;
  /** Clip the global gradient norm to this; 0 disables */
  maxGradNorm: number;
  hidden: number[];
  /** Initial σ of the Gaussian policy, in the policy's units (before `actionScale`) */
  initialStd: number;
  /** Continuous actions: the env gets clip(actionScale · u) for the policy's u; one number, or one per action dimension */
  actionScale: number | number[];
  /** Normalise observations by their running mean and std; saved with the policy */
  normalizeObservations: boolean;
}

/** Arguments that policies and checkpoints written before they existed lack, as they were then */
const BEFORE_SCALING: Partial<ReinforceArgs> = { normalizeObservations: false, actionScale: 1 };

export const DEFAULT_REINFORCE: ReinforceArgs = {
  totalSteps: 2_000_000,
  seed: 0,
  learningRate: 1e-3,
  weightDecay: 0,
  episodesPerBatch: 16,
  gamma: 0.99,
  valueCoef: 0.5,
  entropyCoef: 0,
  normalizeAdvantages: true,
  maxGradNorm: 0.5,
  hidden: [64, 64],
  initialStd: 0.6,
  actionScale: 0.25,
  normalizeObservations: true,
};

const ARG_SPEC: ArgSpec<ReinforceArgs> = {
  totalSteps: 'count', seed: 'seed', learningRate: 'positive', weightDecay: 'nonNegative', episodesPerBatch: 'count',
  gamma: 'unit', valueCoef: 'nonNegative', entropyCoef: 'nonNegative', normalizeAdvantages: 'boolean', maxGradNorm: 'nonNegative',
  hidden: 'widths', initialStd: 'positive', actionScale: 'scales', normalizeObservations: 'boolean',
};

/** One env's episode so far: rows of observation and action, and the rewards */
interface Trajectory {
  obs: number[];
  actions: number[];
  rewards: number[];
}

/** Gₜ = rₜ + γ·Gₜ₊₁ backwards from `tail` (0 after a terminal state, V(s_T) after a time limit) */
export function discountedReturns(rewards: readonly number[], gamma: number, tail: number): Float32Array {
  const out = new Float32Array(rewards.length);
  let g = tail;
  for (let t = rewards.length - 1; t >= 0; t--) out[t] = g = rewards[t] + gamma * g;
  return out;
}

/** One gradient step on a batch of episodes; returns [loss, policy loss, value loss, entropy] */
function update(net: ActorCritic, optimizer: AdamW, obs: Float32Array, actions: Float32Array, returns: Float32Array, args: ReinforceArgs): Float32Array {
  const n = returns.length, d = net.config.inputs;
  return tf.tidy(() => {
    const x = tf.tensor2d(obs, [n, d]);
    const a = net.config.continuous ? tf.tensor2d(actions, [n, net.config.actions]) : tf.tensor1d(Int32Array.from(actions), 'int32');
    const g = tf.tensor1d(returns);
    let stats: tf.Tensor[] = [];
    const { value: loss, grads } = tf.variableGrads(() => {
      const { out, latent, value: values } = net.forward(x);
      // The baseline enters as a constant: its gradient comes from the value loss alone.
      let advantages: tf.Tensor = tf.sub(g, tf.tensor1d(values.dataSync() as Float32Array));
      if (args.normalizeAdvantages && n > 1) {
        const { mean, variance } = tf.moments(advantages);
        advantages = tf.div(tf.sub(advantages, mean), tf.add(tf.sqrt(variance), 1e-8));
      }
      const { logProb, entropy } = net.logProbAndEntropy(out, a, latent);
      const policyLoss = tf.neg(tf.mean(tf.mul(logProb, advantages)));
      const valueLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(values, g))));
      const meanEntropy = tf.mean(entropy);
      stats = [policyLoss, valueLoss, meanEntropy].map((t) => tf.keep(t));
      return tf.add(tf.sub(policyLoss, tf.mul(args.entropyCoef, meanEntropy)), tf.mul(args.valueCoef, valueLoss)) as tf.Scalar;
    }, net.variables);
    return applyAndRead(optimizer, grads, args.maxGradNorm, loss, stats);
  });
}

export async function train(env: VectorEnv, argsIn: Partial<ReinforceArgs>, callbacks: Callback[] = [], options: TrainOptions = {}): Promise<ActorCriticPolicy> {
  const ckpt = options.resumeFrom ? readCheckpoint(options.resumeFrom, 'reinforce') : null;
  const args = parseArgs('reinforce', ARG_SPEC, ckpt ? { ...DEFAULT_REINFORCE, ...BEFORE_SCALING } : DEFAULT_REINFORCE, { ...ckpt?.meta.args, ...argsIn });
  const K = env.numEnvs, D = env.observationSize;
  const net = new ActorCritic(actorCriticFor(env.singleObservationSpace, env.singleActionSpace, networkOptions(args)), args.seed);
  const A = net.config.continuous ? net.config.actions : 1;
  const optimizer = new AdamW({ learningRate: args.learningRate, weightDecay: args.weightDecay });
  optimizer.bind(net.variables);
  let rng = Rng.seeded(args.seed);
  const run = new TrainRun('reinforce', args.totalSteps, options.rollouts ? 1 : K, callbacks, options);
  const policy = new ActorCriticPolicy('reinforce', net, args, env.singleObservationSpace, env.singleActionSpace);
  run.policy = policy;

  /** Raw observations of the envs, and as the networks see them */
  const obs = new Float32Array(K * D);
  const netObs = new Float32Array(K * D);
  const finalObs = new Float32Array(D);
  const restart = async () => obs.set((await env.reset({ seed: trainSeeds(args.seed, run.step, K) })).observations);
  const running: Trajectory[] = Array.from({ length: K }, () => ({ obs: [], actions: [], rewards: [] }));
  /** Finished episodes waiting for the next gradient step, with their returns */
  let batch: { traj: Trajectory; returns: Float32Array }[] = [];

  if (ckpt) {
    net.restore(ckpt.read);
    optimizer.restoreState(ckpt.read);
    const s = ckpt.meta.state as { rng: number[]; run: unknown; obsNorm?: ReturnType<ObservationNormalizer['state']> };
    rng = Rng.fromState(s.rng);
    if (net.obsNorm && s.obsNorm) net.obsNorm.restoreState(s.obsNorm);
    run.resumeAt(ckpt.meta.step, ckpt.meta.episodes, s.run);
  }
  // Checkpoints are written right after a gradient step, when no finished episode is waiting.
  let checkpointDir: string | null = null;
  run.saveCheckpoint = async (dir) => void (checkpointDir = dir);
  const write = (dir: string) => writeCheckpoint(dir, { algorithm: 'reinforce', args: { ...args }, step: run.step, episodes: run.episodes, state: { rng: [...rng.state()], run: run.snapshot(), obsNorm: net.obsNorm?.state() } },
    { ...net.arrays(), ...optimizer.stateArrays() });

  /** One gradient step on whole episodes: rows of network inputs and actions, and their returns */
  const learn = (episodes: readonly { obs: ArrayLike<number>; actions: ArrayLike<number>; returns: Float32Array }[]) => {
    const rows = episodes.reduce((s, e) => s + e.returns.length, 0);
    const bObs = new Float32Array(rows * D), bAct = new Float32Array(rows * A), bRet = new Float32Array(rows);
    let at = 0;
    for (const e of episodes) {
      bObs.set(e.obs, at * D);
      bAct.set(e.actions, at * A);
      bRet.set(e.returns, at);
      at += e.returns.length;
    }
    const s = update(net, optimizer, bObs, bAct, bRet, args);
    run.afterUpdate({ 'train/loss': s[0], 'train/policy_gradient_loss': s[1], 'train/value_loss': s[2], 'train/entropy_loss': -s[3] });
    const std = net.std();
    run.logger.record('train/std', std.length > 0 ? std.reduce((a, b) => a + b, 0) / std.length : 0);
  };

  await restart();
  await run.start();
  if (options.rollouts) {
    // Batches of whole episodes from the executor, one episode per lane; checkpoints fall between batches.
    while (!run.done) {
      const c = await collectEpisodes(options.rollouts, policy, run, { seed: args.seed, envs: args.episodesPerBatch, stepsPerLane: 1, sdeSampleFreq: 1 }).catch(async (err) => {
        // The executor failed (a queue gone, a task no worker can run): the run ends with a checkpoint of the last batch.
        run.saveCheckpoint = async (dir) => write(dir);
        await run.end();
        throw err;
      });
      if (!c) break;
      const episodes: { obs: Float32Array; actions: Float32Array; returns: Float32Array }[] = [];
      for (let start = 0, k = 0; k < c.rows; k++) {
        if (!c.terminated[k] && !c.truncated[k]) continue;
        const returns = discountedReturns(Array.from(c.rewards.subarray(start, k + 1)), args.gamma, c.truncatedValues[k]);
        episodes.push({ obs: c.obs.subarray(start * D, (k + 1) * D), actions: c.actions.subarray(start * A, (k + 1) * A), returns });
        start = k + 1;
      }
      learn(episodes);
      policy.refresh();
      const go = await run.endStep();
      if (checkpointDir) {
        write(checkpointDir);
        checkpointDir = null;
      }
      if (!go) break;
    }
  } else {
    const actionRow = new Float32Array(K * A);
    /** What the envs get: actionScale · u for continuous actions, the index for discrete ones */
    const envActions = net.config.continuous ? new Float32Array(K * A) : new Int32Array(K);
    let std = net.std();
    while (!run.done) {
      netObs.set(obs);
      if (net.obsNorm) {
        net.obsNorm.update(obs, K);
        net.obsNorm.normalize(netObs, K);
      }
      const evaluated = net.evaluate(netObs, K);
      for (let i = 0; i < K; i++) net.sample(evaluated, i, std, rng, false, actionRow, i * A);
      const result = await env.step(net.envActions(actionRow, envActions));
      for (let i = 0; i < K; i++) {
        const traj = running[i];
        for (let j = 0; j < D; j++) traj.obs.push(netObs[i * D + j]);
        for (let j = 0; j < A; j++) traj.actions.push(actionRow[i * A + j]);
        traj.rewards.push(result.rewards[i]);
        if (!result.terminated[i] && !result.truncated[i]) continue;
        let tail = 0;
        if (result.truncated[i]) {
          finalObs.set(result.infos[i].finalObservation as Float32Array);
          net.obsNorm?.normalize(finalObs, 1);
          tail = net.valueAt(net.evaluate(finalObs, 1), 0);
        }
        batch.push({ traj, returns: discountedReturns(traj.rewards, args.gamma, tail) });
        running[i] = { obs: [], actions: [], rewards: [] };
      }
      obs.set(result.observations);
      run.countStep(result.rewards, result.terminated, result.truncated, result.infos);
      if (batch.length >= args.episodesPerBatch) {
        learn(batch.map((e) => ({ obs: e.traj.obs, actions: e.traj.actions, returns: e.returns })));
        batch = [];
        std = net.std();
        policy.refresh();
        if (checkpointDir) {
          // Running episodes are cut (they are not in the checkpoint) and every env restarts.
          write(checkpointDir);
          checkpointDir = null;
          await restart();
          run.cutEpisodes();
          for (let i = 0; i < K; i++) running[i] = { obs: [], actions: [], rewards: [] };
        }
      }
      if (!(await run.endStep())) break;
    }
  }
  // From here on a checkpoint (say, at the end of training) is written at once.
  run.saveCheckpoint = async (dir) => write(dir);
  if (checkpointDir) await run.saveCheckpoint(checkpointDir);
  await run.end();
  optimizer.dispose();
  return policy;
}

/** Rebuilds a policy written by `save` for `env`, from its directory or another source */
export async function load(dirOrSource: string | PolicySource, env: Env<Observation, Action>): Promise<ActorCriticPolicy> {
  const { args, read } = await loadWeights(dirOrSource, 'reinforce', ARG_SPEC, { ...DEFAULT_REINFORCE, ...BEFORE_SCALING }, env);
  const net = new ActorCritic(actorCriticFor(env.observationSpace, env.actionSpace, networkOptions(args)), args.seed);
  net.restore(read);
  return new ActorCriticPolicy('reinforce', net, args, env.observationSpace, env.actionSpace);
}
