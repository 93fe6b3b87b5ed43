/**
 * Networks of plain `tf.Variable`s: dense layers and MLP trunks with Q-value, policy and value
 * heads. A dense layer is one fused matMul (bias and activation in the same kernel) with a
 * hand-written gradient of five kernels, instead of the dozen tfjs's generic gradient runs; with
 * no tape of layers, a DQN update runs about 120 kernels in all. Per-kernel overhead, not
 * arithmetic, is what limits small networks on the wasm backend.
 */
import * as tf from '@tensorflow/tfjs';

export type Activation = 'relu' | 'tanh' | 'linear';

export interface DenseParams {
  w: tf.Variable;
  b: tf.Variable;
}

type DenseFn = (x: tf.Tensor2D, w: tf.Variable, b: tf.Variable) => tf.Tensor2D;

/** dL/dz from dL/dy for y = act(z), reading y (relu: y > 0; tanh: 1 − y²) */
function activationGrad(activation: Activation, dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (activation === 'relu') return tf.mul(dy, tf.step(y));
  if (activation === 'tanh') return tf.mul(dy, tf.sub(1, tf.square(y)));
  return dy;
}

/** y = act(x·w + b) with its gradient; `inputGrad` false skips dL/dx (a first layer) */
function makeDense(activation: Activation, inputGrad: boolean): DenseFn {
  return tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    // The fused kernel has relu but no tanh.
    const z = tf.fused.matMul({ a: x, b: w, bias: b, activation: activation === 'relu' ? 'relu' : 'linear' });
    const y = activation === 'tanh' ? tf.tanh(z) : z;
    save([x, w, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [xs, ws, ys] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const dz = activationGrad(activation, dy, ys) as tf.Tensor2D;
        const dx = inputGrad ? tf.matMul(dz, ws, false, true) : tf.zerosLike(xs);
        return [dx, tf.matMul(xs, dz, true, false), tf.sum(dz, 0)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as DenseFn;
}

const denseFns = new Map<string, DenseFn>();

/** act(x·w + b); `inputGrad` false when nothing upstream of `x` is trained */
export function dense(x: tf.Tensor2D, p: DenseParams, activation: Activation, inputGrad = true): tf.Tensor2D {
  const key = `${activation}:${inputGrad}`;
  let fn = denseFns.get(key);
  if (!fn) denseFns.set(key, (fn = makeDense(activation, inputGrad)));
  return fn(x, p.w, p.b);
}

/**
 * A dense layer's parameters, initialised from `seed`: weights uniform with He's variance for relu
 * (Glorot's otherwise) times `gain`, biases zero. A gain of 0.01 gives the near-uniform
 * initial policy that PPO's policy head wants.
 */
export function denseParams(inputs: number, outputs: number, activation: Activation, seed: number, gain = 1): DenseParams {
  const variance = activation === 'relu' ? 2 / inputs : 2 / (inputs + outputs);
  const limit = gain * Math.sqrt(3 * variance);
  return tf.tidy(() => ({
    w: tf.variable(tf.randomUniform([inputs, outputs], -limit, limit, 'float32', seed)),
    b: tf.variable(tf.zeros([outputs])),
  }));
}

export interface MlpConfig {
  /** Inputs per sample */
  inputs: number;
  /** Widths of the hidden layers */
  hidden: number[];
  /** Outputs per sample */
  outputs: number;
  /** Activation of the hidden layers */
  activation: Activation;
  /** Activation of the output layer: linear for heads, the hidden one for a shared trunk */
  outputActivation?: Activation;
  /** Scale of the output layer's initial weights */
  outputGain: number;
}

/** A multilayer perceptron: hidden layers with one activation, then the output layer. */
export class Mlp {
  readonly layers: DenseParams[] = [];

  constructor(readonly config: MlpConfig, seed: number) {
    const sizes = [config.inputs, ...config.hidden, config.outputs];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const last = i + 2 === sizes.length;
      const act = last ? (config.outputActivation ?? 'linear') : config.activation;
      this.layers.push(denseParams(sizes[i], sizes[i + 1], act, seed * 131 + i, last ? config.outputGain : 1));
    }
  }

  /** [batch, outputs] from [batch, inputs]; `inputGrad` false when `x` is not itself trained */
  apply(x: tf.Tensor2D, inputGrad = false): tf.Tensor2D {
    let h = x;
    for (let i = 0; i < this.layers.length; i++) {
      const last = i + 1 === this.layers.length;
      h = dense(h, this.layers[i], last ? (this.config.outputActivation ?? 'linear') : this.config.activation, inputGrad || i > 0);
    }
    return h;
  }

  get variables(): tf.Variable[] {
    return this.layers.flatMap((l) => [l.w, l.b]);
  }

  /** Copies every weight of `other`, which must have the same config (a target network's sync) */
  copyFrom(other: Mlp): void {
    const mine = this.variables, theirs = other.variables;
    for (let i = 0; i < mine.length; i++) mine[i].assign(theirs[i]);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/** The weights of `mlp` as named arrays under `prefix`, read from the backend */
export function mlpArrays(prefix: string, mlp: Mlp): Record<string, { shape: number[]; data: Float32Array }> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  mlp.layers.forEach((l, i) => {
    out[`${prefix}/${i}/w`] = { shape: [...l.w.shape], data: l.w.dataSync() as Float32Array };
    out[`${prefix}/${i}/b`] = { shape: [...l.b.shape], data: l.b.dataSync() as Float32Array };
  });
  return out;
}

/** Loads weights written by `mlpArrays` into `mlp`; `read` checks each array's shape and values */
export function restoreMlp(prefix: string, mlp: Mlp, read: (name: string, shape: readonly number[]) => Float32Array): void {
  tf.tidy(() => {
    mlp.layers.forEach((l, i) => {
      l.w.assign(tf.tensor(read(`${prefix}/${i}/w`, l.w.shape), l.w.shape));
      l.b.assign(tf.tensor(read(`${prefix}/${i}/b`, l.b.shape), l.b.shape));
    });
  });
}
