/**
 * Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay
 * Regularization", 2019), as a tfjs `Optimizer`; tfjs ships none. Per step t, for every
 * parameter w with gradient g, in PyTorch's order:
 *
 *   w ← w · (1 − lr·λ)
 *   m ← β1·m + (1 − β1)·g            v ← β2·v + (1 − β2)·g²
 *   w ← w − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
 *
 * Each parameter's step is 13 kernels, with the bias corrections and learning rate folded into
 * two scalars. (Flat moment buffers for all parameters would need fewer kernels, but the wasm
 * backend slices and splits element by element, which cost more than they saved.)
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamWConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** λ: decay per step as a fraction of the learning rate; 0 is plain Adam */
  weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWConfig = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 };

type NamedTensor = { name: string; tensor: tf.Tensor };

interface Slot {
  name: string;
  variable: tf.Variable;
  /** First and second moment estimates */
  m: tf.Variable;
  v: tf.Variable;
}

export class AdamW extends tf.Optimizer {
  static className = 'AdamW';

  readonly config: AdamWConfig;
  /** May be changed between steps, e.g. by a schedule */
  learningRate: number;
  private slots: Slot[] = [];
  private readonly constants: { beta1: tf.Scalar; oneMinusBeta1: tf.Scalar; beta2: tf.Scalar; oneMinusBeta2: tf.Scalar; epsilon: tf.Scalar };

  constructor(config: Partial<AdamWConfig> = {}) {
    super();
    this.config = { ...DEFAULT_ADAMW, ...config };
    for (const [k, v] of Object.entries(this.config)) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`AdamW ${k}: expected a finite number ≥ 0, got ${v}`);
    }
    if (this.config.beta1 >= 1 || this.config.beta2 >= 1) throw new RangeError(`AdamW betas: expected below 1, got ${this.config.beta1} and ${this.config.beta2}`);
    this.learningRate = this.config.learningRate;
    const c = this.config;
    this.constants = tf.tidy(() => ({
      beta1: tf.keep(tf.scalar(c.beta1)),
      oneMinusBeta1: tf.keep(tf.scalar(1 - c.beta1)),
      beta2: tf.keep(tf.scalar(c.beta2)),
      oneMinusBeta2: tf.keep(tf.scalar(1 - c.beta2)),
      epsilon: tf.keep(tf.scalar(c.epsilon)),
    }));
  }

  /** Fixes the parameters on the first step; later steps must update the same variables */
  private layout(names: string[]): void {
    if (this.slots.length > 0) {
      if (names.length !== this.slots.length || names.some((n, i) => n !== this.slots[i].name)) {
        throw new Error(`AdamW: a step must update the variables of the first step (${this.slots.length}), in the same order`);
      }
      return;
    }
    const registered = tf.engine().registeredVariables;
    this.bind(names.map((name) => {
      const variable = registered[name];
      if (!variable) throw new Error(`AdamW: no variable named "${name}"`);
      return variable;
    }));
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const named = Array.isArray(variableGradients) ? variableGradients : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    this.layout(named.map((g) => g.name));
    this.incrementIterations();
    const t = this.iterations;
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    const lr = this.learningRate;
    tf.tidy(() => {
      const c = this.constants;
      const stepSize = tf.scalar(lr / (1 - beta1 ** t));
      const correction2 = tf.scalar(1 / Math.sqrt(1 - beta2 ** t));
      const decay = weightDecay > 0 ? tf.scalar(1 - lr * weightDecay) : null;
      for (let i = 0; i < named.length; i++) {
        const g = named[i].tensor;
        const { variable, m: m0, v: v0 } = this.slots[i];
        const m = tf.add(tf.mul(m0, c.beta1), tf.mul(g, c.oneMinusBeta1));
        const v = tf.add(tf.mul(v0, c.beta2), tf.mul(tf.square(g), c.oneMinusBeta2));
        m0.assign(m);
        v0.assign(v);
        const denom = tf.add(tf.mul(tf.sqrt(v), correction2), c.epsilon);
        const w = decay ? tf.mul(variable, decay) : variable;
        variable.assign(tf.sub(w, tf.mul(tf.div(m, denom), stepSize)));
      }
    });
  }

  /** The step count and every moment buffer, in the variables' order, for a checkpoint */
  override async getWeights(): Promise<NamedTensor[]> {
    const weights = [await this.saveIterations()];
    this.slots.forEach((s, i) => weights.push({ name: `adamw/m/${i}`, tensor: s.m }, { name: `adamw/v/${i}`, tensor: s.v }));
    return weights;
  }

  /** Restores `getWeights()` after `bind` has named the variables, in the same order */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    this.slots.forEach((s, i) => {
      for (const key of ['m', 'v'] as const) {
        const saved = rest.find((w) => w.name === `adamw/${key}/${i}`);
        if (!saved) throw new Error(`AdamW: the saved state has no adamw/${key}/${i}`);
        if (saved.tensor.size !== s.variable.size) throw new Error(`AdamW: adamw/${key}/${i} holds ${saved.tensor.size} numbers, the parameter ${s.variable.size}`);
        s[key].assign(tf.reshape(saved.tensor, s.variable.shape));
      }
    });
  }

  /** Sets the parameters (in the order steps will give their gradients) with zero moments */
  bind(variables: tf.Variable[]): void {
    for (const s of this.slots) {
      s.m.dispose();
      s.v.dispose();
    }
    this.slots = tf.tidy(() =>
      variables.map((variable) => ({
        name: variable.name,
        variable,
        m: tf.variable(tf.zerosLike(variable), false),
        v: tf.variable(tf.zerosLike(variable), false),
      })),
    );
  }

  /** The step count and moments as plain arrays, for a checkpoint file */
  stateArrays(): Record<string, { shape: number[]; data: Float32Array }> {
    const out: Record<string, { shape: number[]; data: Float32Array }> = { 'adamw/iterations': { shape: [1], data: Float32Array.of(this.iterations) } };
    this.slots.forEach((s, i) => {
      out[`adamw/m/${i}`] = { shape: [...s.variable.shape], data: s.m.dataSync() as Float32Array };
      out[`adamw/v/${i}`] = { shape: [...s.variable.shape], data: s.v.dataSync() as Float32Array };
    });
    return out;
  }

  /** Restores `stateArrays()` after `bind`; `read` checks each array's shape */
  restoreState(read: (name: string, shape: readonly number[]) => Float32Array): void {
    this.iterations_ = read('adamw/iterations', [1])[0];
    tf.tidy(() => {
      this.slots.forEach((s, i) => {
        s.m.assign(tf.tensor(read(`adamw/m/${i}`, s.variable.shape), s.variable.shape));
        s.v.assign(tf.tensor(read(`adamw/v/${i}`, s.variable.shape), s.variable.shape));
      });
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.config };
  }

  override dispose(): void {
    for (const s of this.slots) {
      s.m.dispose();
      s.v.dispose();
    }
    for (const s of Object.values(this.constants)) s.dispose();
  }
}
