/**
 * Proximal Policy Optimisation (Schulman et al. 2017): the clipped surrogate objective, advantages
 * by GAE(λ) (Schulman et al. 2016), several envs stepped together, a Gaussian policy over
 * continuous steer and acceleration (or a categorical over meta-actions). Read top to bottom:
 * arguments, the rollout, the advantages, the update, the training loop.
 *
 * Scales, as measured on lane-keep-curvy: full steer is 0.6 rad of road wheel, while bends at the
 * speed limit need about 0.1 of it, and white noise of σ 0.3 on steer drives even the expert off
 * the road within 6 s. So the policy works at unit scale and the env gets actionScale · u (σ 0.15
 * at the start), observations are normalised by running statistics (SB3's VecNormalize), and
 * γ = 0.995 (a 20 s horizon at 10 Hz) weighs finishing the route against driving fast. A policy
 * trained so still jittered its steer by ±0.3 from one step to the next (a period-2 oscillation
 * that noise in training had hidden) and drifted off the road; the CAPS temporal smoothness loss
 * on the mean action removed that: route completion on the test seeds went from 83% after 1M
 * steps without it to 93% after 400k steps with it.
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
import { linearSchedule } from './common/schedules.ts';
import { RewardScaler } from './common/RewardScaler.ts';
import type { ObservationNormalizer } from './common/ObservationNormalizer.ts';
import { TrainRun, type TrainOptions } from './common/TrainRun.ts';
import { loadWeights, parseArgs, trainSeeds, type ArgSpec } from './common/agentFiles.ts';
import type { PolicySource } from './common/policySource.ts';
import { applyAndRead } from './common/gradients.ts';
import { computeGae, explainedVariance, nextRow, type Rollout } from './common/rollout.ts';
import { collectEpisodes } from './common/episodeRollout.ts';

export interface PpoArgs {
  /** Env steps to train for, summed over envs */
  totalSteps: number;
  /** Seeds the networks, action sampling and minibatch shuffles */
  seed: number;
  /** AdamW learning rate at the start; it falls linearly to 0 when `annealLr` */
  learningRate: number;
  annealLr: boolean;
  weightDecay: number;
  /** Steps per env in one rollout */
  rolloutSteps: number;
  /** Minibatches per epoch */
  minibatches: number;
  /** Passes over each rollout */
  epochs: number;
  /** Discount factor γ */
  gamma: number;
  /** GAE λ */
  gaeLambda: number;
  /** Surrogate clip range ε */
  clipRange: number;
  /** Entropy bonus weight */
  entropyCoef: number;
  /** Value loss weight */
  valueCoef: number;
  /** Clip the global gradient norm to this; 0 disables */
  maxGradNorm: number;
  /** Normalise advantages within each minibatch */
  normalizeAdvantages: boolean;
  /** Divide rewards by the running std of the discounted return (SB3's VecNormalize) */
  normalizeRewards: boolean;
  /** Normalise observations by their running mean and std (SB3's VecNormalize); saved with the policy */
  normalizeObservations: boolean;
  /** Widths of the hidden layers of the actor and of the critic */
  hidden: number[];
  /** Initial σ of the Gaussian policy, in the policy's units (before `actionScale`) */
  initialStd: number;
  /** Continuous actions: the env gets clip(actionScale · u) for the policy's u; one number, or one per action dimension */
  actionScale: number | number[];
  /** Generalised state-dependent exploration: smooth noise θ·φ(s) instead of white noise per step */
  sde: boolean;
  /** gSDE: steps between two draws of each env's exploration matrix θ */
  sdeSampleFreq: number;
  /**
   * Weight of the temporal smoothness loss of CAPS (Mysore et al. 2021): the squared change of the
   * policy's mean action from one step of an episode to the next; 0 disables it
   */
  smoothCoef: number;
  /** With a camera image in the observation: fields of the CNN config to change from the Nature-DQN default (`perception/backbones/cnn.ts`), or null for the default */
  cnn: Record<string, unknown> | null;
}

/** Arguments that policies and checkpoints written before they existed lack, as they were then */
const BEFORE_SCALING: Partial<PpoArgs> = { normalizeObservations: false, actionScale: 1, sde: false, smoothCoef: 0 };

export const DEFAULT_PPO: PpoArgs = {
  totalSteps: 1_000_000,
  seed: 0,
  learningRate: 3e-4,
  annealLr: true,
  weightDecay: 0,
  rolloutSteps: 256,
  minibatches: 8,
  epochs: 10,
  gamma: 0.995,
  gaeLambda: 0.95,
  clipRange: 0.2,
  entropyCoef: 0,
  valueCoef: 0.5,
  maxGradNorm: 0.5,
  normalizeAdvantages: true,
  normalizeRewards: true,
  normalizeObservations: true,
  hidden: [64, 64],
  initialStd: 0.6,
  actionScale: 0.25,
  sde: false,
  sdeSampleFreq: 8,
  smoothCoef: 1,
  cnn: null,
};

export const PPO_ARG_SPEC: ArgSpec<PpoArgs> = {
  totalSteps: 'count', seed: 'seed', learningRate: 'positive', annealLr: 'boolean', weightDecay: 'nonNegative',
  rolloutSteps: 'count', minibatches: 'count', epochs: 'count', gamma: 'unit', gaeLambda: 'unit', clipRange: 'positive',
  entropyCoef: 'nonNegative', valueCoef: 'nonNegative', maxGradNorm: 'nonNegative', normalizeAdvantages: 'boolean', normalizeRewards: 'boolean',
  normalizeObservations: 'boolean', hidden: 'widths', initialStd: 'positive', actionScale: 'scales', sde: 'boolean', sdeSampleFreq: 'count', smoothCoef: 'nonNegative', cnn: 'objectOrNull',
};

interface Minibatch {
  obs: Float32Array;
  actions: Float32Array;
  logProbs: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
  /** The observation of the next step of the same episode (for the smoothness loss), and 1 where there is one */
  nextObs: Float32Array;
  hasNext: Float32Array;
}

/** One minibatch step of the clipped objective; returns [loss, policy loss, value loss, entropy, approx KL, clip fraction, smoothness] */
function update(net: ActorCritic, optimizer: AdamW, mb: Minibatch, args: PpoArgs): Float32Array {
  const n = mb.returns.length, d = net.config.inputs;
  return tf.tidy(() => {
    const obs = tf.tensor2d(mb.obs, [n, d]);
    const actions = net.config.continuous ? tf.tensor2d(mb.actions, [n, net.config.actions]) : tf.tensor1d(Int32Array.from(mb.actions), 'int32');
    const oldLogProb = tf.tensor1d(mb.logProbs);
    let advantages: tf.Tensor1D = tf.tensor1d(mb.advantages);
    if (args.normalizeAdvantages && n > 1) {
      const { mean, variance } = tf.moments(advantages);
      advantages = tf.div(tf.sub(advantages, mean), tf.add(tf.sqrt(variance), 1e-8));
    }
    const returns = tf.tensor1d(mb.returns);
    let stats: tf.Tensor[] = [];
    const { value: loss, grads } = tf.variableGrads(() => {
      const { out, latent, value } = net.forward(obs);
      const { logProb, entropy } = net.logProbAndEntropy(out, actions, latent);
      const logRatio = tf.sub(logProb, oldLogProb);
      const ratio = tf.exp(logRatio);
      const policyLoss = tf.mean(tf.maximum(tf.mul(tf.neg(advantages), ratio), tf.mul(tf.neg(advantages), tf.clipByValue(ratio, 1 - args.clipRange, 1 + args.clipRange))));
      const valueLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(value, returns))));
      const meanEntropy = tf.mean(entropy);
      // k3 estimator of KL(old ‖ new) (Schulman 2020): (r − 1) − log r.
      const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio));
      const clipFraction = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), args.clipRange), 'float32'));
      let total = tf.add(tf.sub(policyLoss, tf.mul(args.entropyCoef, meanEntropy)), tf.mul(args.valueCoef, valueLoss)) as tf.Scalar;
      let smoothness: tf.Scalar = tf.scalar(0);
      if (args.smoothCoef > 0 && net.config.continuous) {
        const hasNext = tf.tensor1d(mb.hasNext);
        const change = tf.sum(tf.square(tf.sub(out, net.policy(tf.tensor2d(mb.nextObs, [n, d])).out)), 1);
        smoothness = tf.div(tf.sum(tf.mul(change, hasNext)), tf.maximum(tf.sum(hasNext), 1)) as tf.Scalar;
        total = tf.add(total, tf.mul(args.smoothCoef, smoothness));
      }
      // Kept past variableGrads' own tidy; disposed below.
      stats = [policyLoss, valueLoss, meanEntropy, approxKl, clipFraction, smoothness].map((x) => tf.keep(x));
      return total;
    }, net.variables);
    return applyAndRead(optimizer, grads, args.maxGradNorm, loss, stats);
  });
}

export async function train(env: VectorEnv, argsIn: Partial<PpoArgs>, callbacks: Callback[] = [], options: TrainOptions = {}): Promise<ActorCriticPolicy> {
  const ckpt = options.resumeFrom ? readCheckpoint(options.resumeFrom, 'ppo') : null;
  const args = parseArgs('ppo', PPO_ARG_SPEC, ckpt ? { ...DEFAULT_PPO, ...BEFORE_SCALING } : DEFAULT_PPO, { ...ckpt?.meta.args, ...argsIn });
  const K = env.numEnvs, D = env.observationSize, T = args.rolloutSteps;
  const net = new ActorCritic(actorCriticFor(env.singleObservationSpace, env.singleActionSpace, networkOptions(args)), args.seed);
  const A = net.config.continuous ? net.config.actions : 1;
  const optimizer = new AdamW({ learningRate: args.learningRate, weightDecay: args.weightDecay, epsilon: 1e-5 });
  optimizer.bind(net.variables);
  const lr = args.annealLr ? linearSchedule(args.learningRate, 0) : () => args.learningRate;
  let rng = Rng.seeded(args.seed);
  // Whole episodes collected elsewhere are counted, and their rewards scaled, one row at a time.
  const lanes = options.rollouts ? 1 : K;
  const scaler = args.normalizeRewards ? new RewardScaler(lanes, args.gamma) : null;
  const run = new TrainRun('ppo', args.totalSteps, lanes, callbacks, options);
  const policy = new ActorCriticPolicy('ppo', net, args, env.singleObservationSpace, env.singleActionSpace);
  run.policy = policy;

  const N = T * K;
  const r: Rollout = {
    obs: new Float32Array(N * D), actions: new Float32Array(N * A), logProbs: new Float32Array(N), rewards: new Float32Array(N),
    terminated: new Float32Array(N), truncated: new Float32Array(N), values: new Float32Array(N), truncatedValues: new Float32Array(N),
    advantages: new Float32Array(N), returns: new Float32Array(N),
  };
  /** Raw observations of the envs, and as the networks see them */
  const obs = new Float32Array(K * D);
  const netObs = new Float32Array(K * D);
  const finalObs = new Float32Array(D);
  const restart = async () => obs.set((await env.reset({ seed: trainSeeds(args.seed, run.step, K) })).observations);

  if (ckpt) {
    net.restore(ckpt.read);
    optimizer.restoreState(ckpt.read);
    const s = ckpt.meta.state as { rng: number[]; run: unknown; rewardScale?: ReturnType<RewardScaler['state']>; obsNorm?: ReturnType<ObservationNormalizer['state']> };
    rng = Rng.fromState(s.rng);
    scaler?.restore(s.rewardScale);
    if (net.obsNorm && s.obsNorm) net.obsNorm.restoreState(s.obsNorm);
    run.resumeAt(ckpt.meta.step, ckpt.meta.episodes, s.run);
  }
  // Checkpoints are written between rollouts, where no data is pending; episodes restart fresh.
  let checkpointDir: string | null = null;
  run.saveCheckpoint = async (dir) => void (checkpointDir = dir);
  const writeNow = async (dir: string) => {
    writeCheckpoint(dir, { algorithm: 'ppo', args: { ...args }, step: run.step, episodes: run.episodes, state: { rng: [...rng.state()], run: run.snapshot(), rewardScale: scaler?.state(), obsNorm: net.obsNorm?.state() } },
      { ...net.arrays(), ...optimizer.stateArrays() });
    await restart();
    run.cutEpisodes();
    scaler?.cut();
  };

  /** Epochs of shuffled minibatches over a rollout of `rows` = T × `k` rows, advantages computed; `step` sets the learning rate */
  const optimise = (r: Rollout, rows: number, k: number, step: number) => {
    optimizer.learningRate = lr(step / args.totalSteps);
    const mbSize = Math.max(1, Math.floor(rows / args.minibatches));
    const mb: Minibatch = {
      obs: new Float32Array(mbSize * D), actions: new Float32Array(mbSize * A), logProbs: new Float32Array(mbSize), advantages: new Float32Array(mbSize), returns: new Float32Array(mbSize),
      nextObs: new Float32Array(mbSize * D), hasNext: new Float32Array(mbSize),
    };
    const order = new Int32Array(rows);
    for (let i = 0; i < rows; i++) order[i] = i;
    for (let epoch = 0; epoch < args.epochs; epoch++) {
      for (let i = rows - 1; i > 0; i--) {
        const j = rng.int(0, i);
        const tmp = order[i]; order[i] = order[j]; order[j] = tmp;
      }
      for (let start = 0; start + mbSize <= rows; start += mbSize) {
        for (let m = 0; m < mbSize; m++) {
          const row = order[start + m];
          mb.obs.set(r.obs.subarray(row * D, (row + 1) * D), m * D);
          mb.actions.set(r.actions.subarray(row * A, (row + 1) * A), m * A);
          mb.logProbs[m] = r.logProbs[row];
          mb.advantages[m] = r.advantages[row];
          mb.returns[m] = r.returns[row];
          if (args.smoothCoef > 0) {
            const next = nextRow(r, row, k);
            mb.hasNext[m] = next >= 0 ? 1 : 0;
            if (next >= 0) mb.nextObs.set(r.obs.subarray(next * D, (next + 1) * D), m * D);
          }
        }
        const s = update(net, optimizer, mb, args);
        const metrics: Record<string, number> = { 'train/loss': s[0], 'train/policy_gradient_loss': s[1], 'train/value_loss': s[2], 'train/entropy_loss': -s[3], 'train/approx_kl': s[4], 'train/clip_fraction': s[5] };
        if (args.smoothCoef > 0) metrics['train/smoothness_loss'] = s[6];
        run.afterUpdate(metrics);
      }
    }
    const std = net.std();
    run.logger.record('train/std', std.length > 0 ? std.reduce((a, b) => a + b, 0) / std.length : 0);
    run.logger.set('train/learning_rate', optimizer.learningRate);
    run.logger.record('train/explained_variance', explainedVariance(r.values.subarray(0, rows), r.returns.subarray(0, rows)));
  };

  await restart();
  await run.start();
  const actionRow = new Float32Array(K * A);
  /** gSDE: each env's exploration matrix, redrawn every `sdeSampleFreq` steps of a rollout */
  const theta = net.latentSize > 0 ? Array.from({ length: K }, () => new Float32Array(net.latentSize * A)) : null;
  /** What the envs get: actionScale · u for continuous actions, the index for discrete ones */
  const envActions = net.config.continuous ? new Float32Array(K * A) : new Int32Array(K);
  if (options.rollouts) {
    // Whole episodes from the executor, played with the policy as it stands; checkpoints fall between collections.
    while (!run.done) {
      // Whole episodes overshoot the run's length: the learning rate follows the step the collection started at.
      const started = run.step;
      const c = await collectEpisodes(options.rollouts, policy, run, { seed: args.seed, envs: options.rollouts.envs, stepsPerLane: T, sdeSampleFreq: args.sdeSampleFreq }).catch(async (err) => {
        // The executor failed (a queue gone, a task no worker can run): the run ends with a checkpoint of the last collection.
        run.saveCheckpoint = writeNow;
        await run.end();
        throw err;
      });
      if (!c) break;
      for (let k = 0; scaler && k < c.rows; k++) scaler.scale(c.rewards.subarray(k, k + 1), c.terminated.subarray(k, k + 1), c.truncated.subarray(k, k + 1));
      // Every episode ends inside the rollout, so no value past its end is needed.
      computeGae(c, c.rows, 1, new Float32Array(1), args.gamma, args.gaeLambda);
      optimise(c, c.rows, 1, started);
      policy.refresh();
      const go = await run.endStep();
      if (checkpointDir) {
        await writeNow(checkpointDir);
        checkpointDir = null;
      }
      if (!go) break;
    }
  } else {
    let go = true;
    while (!run.done && go) {
      // Rollout: batched action selection across the envs, one network call per vector step.
      const std = net.std();
      for (let t = 0; t < T && go; t++) {
        netObs.set(obs);
        if (net.obsNorm) {
          net.obsNorm.update(obs, K);
          net.obsNorm.normalize(netObs, K);
        }
        const evaluated = net.evaluate(netObs, K);
        const base = t * K;
        r.obs.set(netObs, base * D);
        for (let i = 0; i < K; i++) {
          if (theta && t % args.sdeSampleFreq === 0) net.sampleTheta(std, rng, theta[i]);
          r.logProbs[base + i] = net.sample(evaluated, i, std, rng, false, actionRow, i * A, theta?.[i]);
          r.values[base + i] = net.valueAt(evaluated, i);
        }
        r.actions.set(actionRow, base * A);
        const result = await env.step(net.envActions(actionRow, envActions));
        run.countStep(result.rewards, result.terminated, result.truncated, result.infos);
        const rewards = Float32Array.from(result.rewards);
        scaler?.scale(rewards, result.terminated, result.truncated);
        for (let i = 0; i < K; i++) {
          r.rewards[base + i] = rewards[i];
          r.terminated[base + i] = result.terminated[i];
          r.truncated[base + i] = result.truncated[i];
          r.truncatedValues[base + i] = result.truncated[i] ? valueOf(net, result.infos[i].finalObservation as Float32Array, finalObs) : 0;
        }
        obs.set(result.observations);
        if (t < T - 1) go = await run.endStep();
        if (!go) break;
      }
      if (!go) break;
      netObs.set(obs);
      net.obsNorm?.normalize(netObs, K);
      const last = net.evaluate(netObs, K);
      const lastValues = new Float32Array(K);
      for (let i = 0; i < K; i++) lastValues[i] = net.valueAt(last, i);
      computeGae(r, T, K, lastValues, args.gamma, args.gaeLambda);

      optimise(r, N, K, run.step);
      policy.refresh();
      go = await run.endStep();
      if (checkpointDir) {
        await writeNow(checkpointDir);
        checkpointDir = null;
      }
    }
  }
  // From here on a checkpoint (say, at the end of training) is written at once.
  run.saveCheckpoint = writeNow;
  if (checkpointDir) await writeNow(checkpointDir);
  await run.end();
  optimizer.dispose();
  return policy;
}

/** V(s) of one raw observation, normalised through `scratch` */
function valueOf(net: ActorCritic, observation: Float32Array, scratch: Float32Array): number {
  scratch.set(observation);
  net.obsNorm?.normalize(scratch, 1);
  return net.valueAt(net.evaluate(scratch, 1), 0);
}

/** Rebuilds a policy written by `save` for `env`, from its directory or another source */
export async function load(dirOrSource: string | PolicySource, env: Env<Observation, Action>): Promise<ActorCriticPolicy> {
  const { args, read } = await loadWeights(dirOrSource, 'ppo', PPO_ARG_SPEC, { ...DEFAULT_PPO, ...BEFORE_SCALING }, env);
  const net = new ActorCritic(actorCriticFor(env.observationSpace, env.actionSpace, networkOptions(args)), args.seed);
  net.restore(read);
  return new ActorCriticPolicy('ppo', net, args, env.observationSpace, env.actionSpace);
}
