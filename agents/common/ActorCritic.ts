/**
 * The policy-gradient networks: an actor (a diagonal Gaussian over continuous controls with a
 * state-independent log standard deviation, or a categorical over discrete actions) and a critic
 * V(s), as separate MLPs. Used by PPO and REINFORCE; the policy below acts with them.
 */
import * as tf from '@tensorflow/tfjs';
import { flatSize, flattenInto, type Space } from '../../sim/env/spaces.ts';
import type { Rng } from '../../sim/rng.ts';
import { Rng as SeededRng } from '../../sim/rng.ts';
import type { Action, Observation } from '../../sim/env/DrivingEnv.ts';
import { Mlp, mlpArrays, restoreMlp, type Activation } from './nn.ts';
import type { NamedArray } from './arrayFile.ts';
import type { ActOptions, Policy } from './Policy.ts';
import { saveWeights } from './agentFiles.ts';
import { ObservationNormalizer } from './ObservationNormalizer.ts';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export interface ActorCriticConfig {
  inputs: number;
  /** Continuous: the size of the action Box; discrete: the number of actions */
  actions: number;
  continuous: boolean;
  hidden: number[];
  activation: Activation;
  /** Initial standard deviation of a continuous action */
  initialStd: number;
  /** Inputs pass through a running mean/std normaliser, saved with the weights */
  normalizeObservations?: boolean;
  /**
   * Continuous only: the env gets clip(actionScale · u) for the policy's sample u. The policy then
   * works at unit scale when the useful controls span only part of the action Box.
   */
  actionScale?: number;
}

export class ActorCritic {
  readonly actor: Mlp;
  readonly critic: Mlp;
  /** log σ per action dimension (continuous only) */
  readonly logStd: tf.Variable | null;
  /** Statistics the inputs are normalised with, when the config asks for it; `evaluate` takes normalised rows */
  readonly obsNorm: ObservationNormalizer | null;

  constructor(readonly config: ActorCriticConfig, seed: number) {
    const { inputs, actions, hidden, activation } = config;
    // A small last layer starts the policy near uniform (or near zero mean), as SB3 and CleanRL do.
    this.actor = new Mlp({ inputs, hidden, outputs: actions, activation, outputGain: 0.01 }, seed);
    this.critic = new Mlp({ inputs, hidden, outputs: 1, activation, outputGain: 1 }, seed + 7);
    this.logStd = config.continuous ? tf.tidy(() => tf.variable(tf.fill([actions], Math.log(config.initialStd)))) : null;
    this.obsNorm = config.normalizeObservations ? new ObservationNormalizer(inputs) : null;
  }

  get variables(): tf.Variable[] {
    return [...this.actor.variables, ...this.critic.variables, ...(this.logStd ? [this.logStd] : [])];
  }

  /**
   * For `rows` observations: the actor's outputs (means or logits) and V(s), read back at once as
   * [rows, actions + 1]. One upload, one download: what a rollout step costs.
   */
  evaluate(obs: Float32Array, rows: number): Float32Array {
    return tf.tidy(() => {
      const x = tf.tensor2d(obs, [rows, this.config.inputs]);
      return tf.concat([this.actor.apply(x), this.critic.apply(x)], 1).dataSync() as Float32Array;
    });
  }

  /** log π(a|s) per row, [batch], and the policy's entropy per row, [batch] */
  logProbAndEntropy(actorOut: tf.Tensor2D, actions: tf.Tensor2D | tf.Tensor1D): { logProb: tf.Tensor1D; entropy: tf.Tensor1D } {
    if (this.logStd) {
      const std = tf.exp(this.logStd);
      const z = tf.div(tf.sub(actions, actorOut), std);
      const logProb = tf.sum(tf.sub(tf.mul(-0.5, tf.square(z)), tf.add(this.logStd, HALF_LOG_2PI)), 1) as tf.Tensor1D;
      // Entropy of a diagonal Gaussian: Σ (log σ + ½ log 2πe), the same for every row.
      const entropy = tf.mul(tf.onesLike(logProb), tf.sum(tf.add(this.logStd, HALF_LOG_2PI + 0.5))) as tf.Tensor1D;
      return { logProb, entropy };
    }
    const logP = tf.logSoftmax(actorOut);
    const logProb = tf.sum(tf.mul(logP, tf.oneHot(actions as tf.Tensor1D, this.config.actions)), 1) as tf.Tensor1D;
    const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logP), logP), 1)) as tf.Tensor1D;
    return { logProb, entropy };
  }

  /** σ per action dimension, read from the backend */
  std(): Float32Array {
    return this.logStd ? (tf.tidy(() => tf.exp(this.logStd!).dataSync()) as Float32Array) : new Float32Array(0);
  }

  /**
   * Draws an action for row `r` of `evaluate`'s output into `out` (at `offset`) and returns its
   * log-probability. `std` comes from `std()`; `deterministic` takes the mean or the likeliest action.
   */
  sample(evaluated: Float32Array, r: number, std: Float32Array, rng: Rng, deterministic: boolean, out: Float32Array, offset: number): number {
    const A = this.config.actions, row = r * (A + 1);
    if (this.logStd) {
      let logProb = 0;
      for (let j = 0; j < A; j++) {
        const eps = deterministic ? 0 : rng.normal();
        out[offset + j] = evaluated[row + j] + std[j] * eps;
        logProb += -0.5 * eps * eps - Math.log(std[j]) - HALF_LOG_2PI;
      }
      return logProb;
    }
    let max = -Infinity;
    for (let j = 0; j < A; j++) max = Math.max(max, evaluated[row + j]);
    let total = 0;
    for (let j = 0; j < A; j++) total += Math.exp(evaluated[row + j] - max);
    let pick = 0;
    if (deterministic) {
      for (let j = 1; j < A; j++) if (evaluated[row + j] > evaluated[row + pick]) pick = j;
    } else {
      let u = rng.next() * total;
      for (pick = 0; pick < A - 1; pick++) {
        u -= Math.exp(evaluated[row + pick] - max);
        if (u < 0) break;
      }
    }
    out[offset] = pick;
    return evaluated[row + pick] - max - Math.log(total);
  }

  /** The envs' actions for sampled rows `u`: actionScale · u (continuous) or the indices (discrete) */
  envActions(u: Float32Array, out: Float32Array | Int32Array): Float32Array | Int32Array {
    const scale = this.config.continuous ? (this.config.actionScale ?? 1) : 1;
    for (let j = 0; j < u.length; j++) out[j] = scale * u[j];
    return out;
  }

  arrays(): Record<string, NamedArray> {
    const out: Record<string, NamedArray> = { ...mlpArrays('actor', this.actor), ...mlpArrays('critic', this.critic) };
    if (this.logStd) out.logStd = { shape: [...this.logStd.shape], data: this.logStd.dataSync() as Float32Array };
    if (this.obsNorm) Object.assign(out, this.obsNorm.arrays());
    return out;
  }

  restore(read: (name: string, shape: readonly number[]) => Float32Array): void {
    restoreMlp('actor', this.actor, read);
    restoreMlp('critic', this.critic, read);
    if (this.logStd) tf.tidy(() => this.logStd!.assign(tf.tensor1d(read('logStd', this.logStd!.shape))));
    this.obsNorm?.restore(read);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/** The configuration for `env`'s spaces: a Gaussian for a Box of controls, a categorical for Discrete */
export function actorCriticFor(
  observationSpace: Space,
  actionSpace: Space,
  options: Pick<ActorCriticConfig, 'hidden' | 'activation' | 'initialStd' | 'normalizeObservations' | 'actionScale'>,
): ActorCriticConfig {
  if (actionSpace.type === 'dict') throw new Error('policy-gradient agents need a Box or Discrete action space');
  const continuous = actionSpace.type === 'box';
  return { inputs: flatSize(observationSpace), actions: continuous ? actionSpace.size : actionSpace.n, continuous, ...options };
}

/** The network options in a policy-gradient agent's arguments (tanh hidden layers) */
export function networkOptions(args: { hidden: number[]; initialStd: number; normalizeObservations: boolean; actionScale: number }): Parameters<typeof actorCriticFor>[2] {
  return { hidden: args.hidden, activation: 'tanh', initialStd: args.initialStd, normalizeObservations: args.normalizeObservations, actionScale: args.actionScale };
}

/** Acts with an actor: the mean (or likeliest action) when deterministic, a sample otherwise. */
export class ActorCriticPolicy implements Policy<Observation, Action> {
  private rng = SeededRng.seeded(0);
  private readonly input: Float32Array;
  private readonly action: Float32Array;
  private stdCache: Float32Array;

  constructor(readonly name: string, readonly net: ActorCritic, readonly args: object, private readonly observationSpace: Space, private readonly actionSpace: Space) {
    this.input = new Float32Array(flatSize(observationSpace));
    this.action = new Float32Array(net.config.continuous ? net.config.actions : 1);
    this.stdCache = net.std();
  }

  /** Re-reads σ after training changed it */
  refresh(): void {
    this.stdCache = this.net.std();
  }

  act(observation: Observation, options: ActOptions = {}): Action {
    flattenInto(this.observationSpace, observation, this.input);
    this.net.obsNorm?.normalize(this.input, 1);
    const evaluated = this.net.evaluate(this.input, 1);
    this.net.sample(evaluated, 0, this.stdCache, this.rng, options.deterministic !== false, this.action, 0);
    if (!this.net.config.continuous) return this.action[0];
    // The env clamps too; clipping here keeps the returned action inside the space.
    const out = new Float32Array(this.action.length);
    const scale = this.net.config.actionScale ?? 1;
    for (let j = 0; j < out.length; j++) out[j] = Math.max(-1, Math.min(1, scale * this.action[j]));
    return out;
  }

  reset(episodeSeed: number): void {
    this.rng = SeededRng.seeded((episodeSeed ^ 0x27d4eb2f) >>> 0);
  }

  async save(dir: string): Promise<void> {
    await saveWeights(dir, this.name, this.args, this.observationSpace, this.actionSpace, this.net.arrays());
  }

  dispose(): void {
    this.net.dispose();
  }
}
