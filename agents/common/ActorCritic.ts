/**
 * The policy-gradient networks: an actor (a diagonal Gaussian over continuous controls with a
 * state-independent log standard deviation, or a categorical over discrete actions) and a critic
 * V(s), as separate MLPs. A camera image in the observation goes through the perception CNN first,
 * one extractor shared by both heads (as Stable-Baselines3's on-policy CNN policies share it).
 * Used by PPO and REINFORCE; the policy below acts with them.
 */
import * as tf from '@tensorflow/tfjs';
import { flatSize, flattenInto, type Space } from '../../sim/env/spaces.ts';
import type { Rng } from '../../sim/rng.ts';
import { Rng as SeededRng } from '../../sim/rng.ts';
import type { Action, Observation } from '../../sim/env/DrivingEnv.ts';
import { Mlp, dense, mlpArrays, restoreMlp, type Activation } from './nn.ts';
import type { NamedArray } from './arrayFile.ts';
import type { ActionValues, ActOptions, Policy } from './Policy.ts';
import { actionLabels, argMax } from './actionValues.ts';
import { AgentInputError, saveWeights } from './agentFiles.ts';
import { ObservationNormalizer } from './ObservationNormalizer.ts';
import { FeatureExtractor } from './FeatureExtractor.ts';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
/** x in the forward pass, no gradient in the backward one (tfjs has no stop_gradient) */
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({ value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;

/** Added to a gSDE variance, as SB3 does, so a feature vector near 0 keeps the density finite */
const SDE_EPSILON = 1e-6;

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
  actionScale?: number | number[];
  /**
   * Continuous only: generalised state-dependent exploration (gSDE, Raffin et al. 2022). The noise
   * is θ·φ(s), with φ(s) the actor's last hidden layer and θ a [hidden, actions] matrix of
   * N(0, σᵢⱼ²) entries drawn afresh only every few steps, so exploration perturbs the controller
   * smoothly instead of adding white noise at every control step. log σ is then [hidden, actions].
   */
  sde?: boolean;
  /** The observation space; with a camera image in it, the CNN below runs over the image */
  space?: Space;
  /** Fields of the CNN config to change from the Nature-DQN default, or null for the default */
  cnn?: Record<string, unknown> | null;
}

export class ActorCritic {
  readonly actor: Mlp;
  readonly critic: Mlp;
  /** log σ per action dimension (continuous only); with gSDE, per hidden feature and action */
  readonly logStd: tf.Variable | null;
  /** Floats per row of `evaluate`: the actor's outputs, V(s), and with gSDE the hidden features φ(s) */
  readonly rowSize: number;
  /** Width of φ(s) (gSDE), else 0 */
  readonly latentSize: number;
  /** Statistics the inputs are normalised with, when the config asks for it; `evaluate` takes normalised rows */
  readonly obsNorm: ObservationNormalizer | null;
  /** The CNN over a camera image, when the observation has one */
  readonly extractor: FeatureExtractor | null;

  constructor(readonly config: ActorCriticConfig, seed: number) {
    const { actions, hidden, activation } = config;
    const extractor = config.space ? new FeatureExtractor(config.space, config.cnn ?? null, seed + 11) : null;
    this.extractor = extractor?.cnn ? extractor : null;
    const inputs = this.extractor ? this.extractor.outputSize : config.inputs;
    // A small last layer starts the policy near uniform (or near zero mean), as SB3 and CleanRL do.
    this.actor = new Mlp({ inputs, hidden, outputs: actions, activation, outputGain: 0.01 }, seed);
    this.critic = new Mlp({ inputs, hidden, outputs: 1, activation, outputGain: 1 }, seed + 7);
    this.latentSize = config.continuous && config.sde ? hidden[hidden.length - 1] : 0;
    const stdShape = this.latentSize > 0 ? [this.latentSize, actions] : [actions];
    this.logStd = config.continuous ? tf.tidy(() => tf.variable(tf.fill(stdShape, Math.log(config.initialStd)))) : null;
    this.rowSize = actions + 1 + this.latentSize;
    this.obsNorm = config.normalizeObservations ? new ObservationNormalizer(config.inputs) : null;
  }

  get variables(): tf.Variable[] {
    return [...(this.extractor?.variables ?? []), ...this.actor.variables, ...this.critic.variables, ...(this.logStd ? [this.logStd] : [])];
  }

  /**
   * From flattened rows, once through the CNN: the actor's outputs (means or logits), V(s) as
   * [batch], and with gSDE the actor's last hidden layer φ(s).
   */
  forward(x: tf.Tensor2D): { out: tf.Tensor2D; latent: tf.Tensor2D | null; value: tf.Tensor1D } {
    const h = this.extractor ? this.extractor.apply(x) : x;
    const { out, latent } = this.heads(h);
    return { out, latent, value: tf.reshape(this.critic.apply(h, this.extractor !== null), [-1]) };
  }

  /**
   * For `rows` observations: the actor's outputs (means or logits) and V(s), read back at once as
   * [rows, actions + 1]. One upload, one download: what a rollout step costs.
   */
  evaluate(obs: Float32Array, rows: number): Float32Array {
    return tf.tidy(() => {
      const x = tf.tensor2d(obs, [rows, this.config.inputs]);
      const { out, latent, value } = this.forward(x);
      const v = tf.reshape(value, [rows, 1]);
      return tf.concat(latent ? [out, v, latent] : [out, v], 1).dataSync() as Float32Array;
    });
  }

  /** V(s) of row `r` of `evaluate`'s output */
  valueAt(evaluated: Float32Array, r: number): number {
    return evaluated[r * this.rowSize + this.config.actions];
  }

  /** The actor's outputs (means or logits), [batch, actions], and with gSDE its last hidden layer φ(s), from flattened rows */
  policy(x: tf.Tensor2D): { out: tf.Tensor2D; latent: tf.Tensor2D | null } {
    return this.heads(this.extractor ? this.extractor.apply(x) : x);
  }

  /** The actor on extracted features `h` */
  private heads(h: tf.Tensor2D): { out: tf.Tensor2D; latent: tf.Tensor2D | null } {
    const trained = this.extractor !== null;
    if (this.latentSize === 0) return { out: this.actor.apply(h, trained), latent: null };
    const layers = this.actor.layers, act = this.actor.config.activation;
    for (let i = 0; i + 1 < layers.length; i++) h = dense(h, layers[i], act, trained || i > 0);
    return { out: dense(h, layers[layers.length - 1], 'linear'), latent: h };
  }

  /** log π(a|s) per row, [batch], and the policy's entropy per row, [batch]; `latent` is φ(s) with gSDE */
  logProbAndEntropy(actorOut: tf.Tensor2D, actions: tf.Tensor2D | tf.Tensor1D, latent: tf.Tensor2D | null = null): { logProb: tf.Tensor1D; entropy: tf.Tensor1D } {
    if (this.logStd && latent) {
      // Var(θ·φ)ⱼ = Σᵢ φᵢ² σᵢⱼ²; φ enters as a constant, as in SB3 (the features learn through the mean).
      const variance = tf.add(tf.matMul(tf.square(stopGradient(latent)), tf.exp(tf.mul(2, this.logStd))), SDE_EPSILON);
      const logVar = tf.log(variance);
      const logProb = tf.sum(tf.sub(tf.mul(-0.5, tf.div(tf.square(tf.sub(actions, actorOut)), variance)), tf.add(tf.mul(0.5, logVar), HALF_LOG_2PI)), 1) as tf.Tensor1D;
      const entropy = tf.sum(tf.add(tf.mul(0.5, logVar), HALF_LOG_2PI + 0.5), 1) as tf.Tensor1D;
      return { logProb, entropy };
    }
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

  /** σ per action dimension (gSDE: per hidden feature and action, [hidden × actions]), read from the backend */
  std(): Float32Array {
    return this.logStd ? (tf.tidy(() => tf.exp(this.logStd!).dataSync()) as Float32Array) : new Float32Array(0);
  }

  /**
   * Draws an action for row `r` of `evaluate`'s output into `out` (at `offset`) and returns its
   * log-probability. `std` comes from `std()`; `deterministic` takes the mean or the likeliest action.
   */
  sample(evaluated: Float32Array, r: number, std: Float32Array, rng: Rng, deterministic: boolean, out: Float32Array, offset: number, theta?: Float32Array): number {
    const A = this.config.actions, row = r * this.rowSize;
    if (this.logStd && this.latentSize > 0) return this.sampleSde(evaluated, row, std, rng, deterministic, out, offset, theta);
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

  /**
   * gSDE: the action is μ + θ·φ with the exploration matrix `theta` ([hidden × actions], from
   * `sampleTheta`); without one, the noise is drawn per call from the same Gaussian N(0, Σᵢ φᵢ² σᵢⱼ²).
   */
  private sampleSde(evaluated: Float32Array, row: number, std: Float32Array, rng: Rng, deterministic: boolean, out: Float32Array, offset: number, theta?: Float32Array): number {
    const A = this.config.actions, H = this.latentSize, phi = row + A + 1;
    let logProb = 0;
    for (let j = 0; j < A; j++) {
      let variance = SDE_EPSILON, noise = 0;
      for (let i = 0; i < H; i++) {
        const f = evaluated[phi + i];
        variance += f * f * std[i * A + j] * std[i * A + j];
        if (theta) noise += f * theta[i * A + j];
      }
      if (deterministic) noise = 0;
      else if (!theta) noise = Math.sqrt(variance) * rng.normal();
      out[offset + j] = evaluated[row + j] + noise;
      logProb += (-0.5 * noise * noise) / variance - 0.5 * Math.log(variance) - HALF_LOG_2PI;
    }
    return logProb;
  }

  /**
   * σ per action dimension of row `r` of `evaluate`'s output (continuous only), in the policy's
   * units; `std` comes from `std()`. With gSDE it depends on the state: √(Σᵢ φᵢ² σᵢⱼ² + ε).
   */
  stdAt(evaluated: Float32Array, r: number, std: Float32Array): Float32Array {
    const A = this.config.actions, H = this.latentSize, phi = r * this.rowSize + A + 1;
    if (H === 0) return std.slice(0, A);
    const out = new Float32Array(A);
    for (let j = 0; j < A; j++) {
      let variance = SDE_EPSILON;
      for (let i = 0; i < H; i++) variance += (evaluated[phi + i] * std[i * A + j]) ** 2;
      out[j] = Math.sqrt(variance);
    }
    return out;
  }

  /** gSDE: draws an exploration matrix θ, θᵢⱼ ~ N(0, σᵢⱼ²), into `theta` ([hidden × actions]) */
  sampleTheta(std: Float32Array, rng: Rng, theta: Float32Array): void {
    for (let k = 0; k < theta.length; k++) theta[k] = std[k] * rng.normal();
  }

  /** The envs' actions for sampled rows `u`: actionScale · u (continuous) or the indices (discrete) */
  envActions(u: Float32Array, out: Float32Array | Int32Array): Float32Array | Int32Array {
    const A = this.config.actions;
    for (let j = 0; j < u.length; j++) out[j] = this.scaleOf(j % A) * u[j];
    return out;
  }

  /** The factor from the policy's units to the env's for action dimension `j` (1 for discrete actions) */
  scaleOf(j: number): number {
    const scale = this.config.continuous ? (this.config.actionScale ?? 1) : 1;
    return typeof scale === 'number' ? scale : scale[j];
  }

  arrays(): Record<string, NamedArray> {
    const out: Record<string, NamedArray> = { ...this.extractor?.arrays('features'), ...mlpArrays('actor', this.actor), ...mlpArrays('critic', this.critic) };
    if (this.logStd) out.logStd = { shape: [...this.logStd.shape], data: this.logStd.dataSync() as Float32Array };
    if (this.obsNorm) Object.assign(out, this.obsNorm.arrays());
    return out;
  }

  restore(read: (name: string, shape: readonly number[]) => Float32Array): void {
    this.extractor?.restore('features', read);
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
  options: Pick<ActorCriticConfig, 'hidden' | 'activation' | 'initialStd' | 'normalizeObservations' | 'actionScale' | 'sde' | 'cnn'>,
): ActorCriticConfig {
  if (actionSpace.type === 'dict') throw new Error('policy-gradient agents need a Box or Discrete action space');
  const continuous = actionSpace.type === 'box';
  const scale = options.actionScale;
  if (continuous && Array.isArray(scale) && scale.length !== actionSpace.size) {
    throw new AgentInputError(`args.actionScale: expected ${actionSpace.size} numbers, one per action dimension, got ${scale.length}`);
  }
  return { inputs: flatSize(observationSpace), actions: continuous ? actionSpace.size : actionSpace.n, continuous, space: observationSpace, ...options };
}

/** The network options in a policy-gradient agent's arguments (tanh hidden layers) */
export function networkOptions(args: { hidden: number[]; initialStd: number; normalizeObservations: boolean; actionScale: number | number[]; sde?: boolean; cnn?: Record<string, unknown> | null }): Parameters<typeof actorCriticFor>[2] {
  return { hidden: args.hidden, activation: 'tanh', initialStd: args.initialStd, normalizeObservations: args.normalizeObservations, actionScale: args.actionScale, sde: args.sde ?? false, cnn: args.cnn ?? null };
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
    for (let j = 0; j < out.length; j++) out[j] = Math.max(-1, Math.min(1, this.net.scaleOf(j) * this.action[j]));
    return out;
  }

  /**
   * Discrete: the probability of each action, `chosen` the likeliest. Continuous: the Gaussian's
   * mean and σ per control in the env's units (actionScale · u), the mean before clipping to [−1, 1].
   */
  explain(observation: Observation): ActionValues {
    const input = new Float32Array(this.input.length);
    flattenInto(this.observationSpace, observation, input);
    this.net.obsNorm?.normalize(input, 1);
    const evaluated = this.net.evaluate(input, 1);
    const A = this.net.config.actions, labels = actionLabels(this.actionSpace);
    const out = Array.from(evaluated.subarray(0, A));
    if (!this.net.config.continuous) {
      const max = Math.max(...out);
      const e = out.map((z) => Math.exp(z - max));
      const total = e.reduce((a, b) => a + b, 0);
      return { kind: 'probability', labels, values: e.map((x) => x / total), chosen: argMax(out) };
    }
    const std = this.net.stdAt(evaluated, 0, this.stdCache);
    return { kind: 'gaussian', labels, values: out.map((u, j) => this.net.scaleOf(j) * u), std: Array.from(std, (s, j) => this.net.scaleOf(j) * s) };
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
