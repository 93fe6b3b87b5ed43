/**
 * A CNN feature extractor over camera frames, made of plain `tf.Variable`s: a conv stack, optional
 * IMPALA residual blocks, then one dense layer. Detectors and pixel policies (agents/) both build
 * on it; its config is plain JSON, so a saved policy can rebuild the same network.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const ConvSpec = z.strictObject({
  /** Output channels */
  filters: positiveInt,
  /** Square kernel side [px] */
  kernel: positiveInt,
  /** Step between windows [px] */
  stride: positiveInt.default(1),
  /** 'valid': out = ceil((in − kernel + 1) / stride); 'same': out = ceil(in / stride) */
  padding: z.enum(['valid', 'same']).default('valid'),
});
export type ConvSpec = z.infer<typeof ConvSpec>;

/** The conv stack of Mnih et al. 2015 (Nature DQN): 84×84 in, 7×7×64 out */
export const NATURE_CONVS: readonly ConvSpec[] = Object.freeze([
  { filters: 32, kernel: 8, stride: 4, padding: 'valid' },
  { filters: 64, kernel: 4, stride: 2, padding: 'valid' },
  { filters: 64, kernel: 3, stride: 1, padding: 'valid' },
]);

export const CnnConfig = z.strictObject({
  /** [height, width, channels] of one frame [px, px, 1] */
  input: z.tuple([positiveInt, positiveInt, positiveInt]),
  /** Conv layers in order, each with a bias and a relu */
  convs: z.array(ConvSpec).min(1).default(() => NATURE_CONVS.map((c) => ({ ...c }))),
  /**
   * Residual blocks after the conv stack, as in IMPALA (Espeholt et al. 2018):
   * x + conv3×3(relu(conv3×3(relu(x)))), 'same' padding, stride 1, the last conv's channels
   */
  residualBlocks: z.number().int().min(0).default(0),
  /** Features out of the final dense layer (with relu) */
  outputSize: positiveInt.default(512),
  /** Scale inputs by 1/255 inside `apply`, so the caller can pass uint8 RGB values as they are */
  scaleInput: z.boolean().default(false),
});
export type CnnConfig = z.infer<typeof CnnConfig>;
export type CnnConfigInput = z.input<typeof CnnConfig>;

export interface Cnn {
  /** The parsed config, defaults filled in: `createCnn(JSON.parse(JSON.stringify(config)), seed)` rebuilds it */
  readonly config: CnnConfig;
  /** Trainable weights in a fixed order: per conv [kernel, bias], per block [k1, b1, k2, b2], dense [kernel, bias] */
  readonly variables: tf.Variable[];
  /** Features per frame: the width of `apply`'s output */
  readonly outputSize: number;
  /** [height, width, channels] of the feature map that the dense layer flattens */
  readonly featureMapShape: [number, number, number];
  /** [batch, height, width, channels] frames → [batch, outputSize] features */
  apply(x: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

interface ConvLayer {
  kernel: tf.Variable; // [k, k, inC, filters]
  bias: tf.Variable; // [filters]
  stride: number;
  padding: 'valid' | 'same';
}

/** Side of a conv output, as tfjs computes it (conv_util.computeOutputShape) [px] */
function outSide(side: number, kernel: number, stride: number, padding: 'valid' | 'same'): number {
  return padding === 'same' ? Math.ceil(side / stride) : Math.ceil((side - kernel + 1) / stride);
}

/** Seed of the i-th weight tensor: distinct streams from one network seed. */
function subSeed(seed: number, i: number): number {
  return (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca77)) >>> 0;
}

/**
 * Builds a CNN with He-normal kernels (std √(2 / fanIn), for relu) and zero biases, drawn from
 * `seed` alone: the same config and seed give the same weights on every backend.
 */
export function createCnn(configInput: CnnConfigInput, seed: number): Cnn {
  const config = CnnConfig.parse(configInput);
  const variables: tf.Variable[] = [];
  const heNormal = (shape: number[], fanIn: number): tf.Variable => {
    const init = tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', subSeed(seed, variables.length));
    const v = tf.variable(init, true);
    init.dispose();
    variables.push(v);
    return v;
  };
  const zeros = (size: number): tf.Variable => {
    const init = tf.zeros([size]);
    const v = tf.variable(init, true);
    init.dispose(); // the variable holds its own reference to the buffer
    variables.push(v);
    return v;
  };
  const conv = (k: number, inC: number, filters: number, stride: number, padding: 'valid' | 'same'): ConvLayer => ({
    kernel: heNormal([k, k, inC, filters], k * k * inC),
    bias: zeros(filters),
    stride,
    padding,
  });

  let [height, width, channels] = config.input;
  const convs: ConvLayer[] = [];
  for (const [i, spec] of config.convs.entries()) {
    height = outSide(height, spec.kernel, spec.stride, spec.padding);
    width = outSide(width, spec.kernel, spec.stride, spec.padding);
    if (height < 1 || width < 1) {
      variables.forEach((v) => v.dispose());
      throw new Error(`cnn: conv ${i} (${spec.kernel}×${spec.kernel}, stride ${spec.stride}, ${spec.padding}) ` +
        `leaves no output of a [${config.input}] input`);
    }
    convs.push(conv(spec.kernel, channels, spec.filters, spec.stride, spec.padding));
    channels = spec.filters;
  }
  const blocks: [ConvLayer, ConvLayer][] = [];
  for (let i = 0; i < config.residualBlocks; i++) {
    blocks.push([conv(3, channels, channels, 1, 'same'), conv(3, channels, channels, 1, 'same')]);
  }
  const flatSize = height * width * channels;
  const denseKernel = heNormal([flatSize, config.outputSize], flatSize);
  const denseBias = zeros(config.outputSize);
  const featureMapShape: [number, number, number] = [height, width, channels];

  // 'same' goes to the kernels as it is: wasm's FusedConv2D and Conv2DBackpropInput pad as the
  // cpu backend does, and the registered Conv2DBackpropFilter pads explicitly itself.
  const fusedConv = (x: tf.Tensor4D, layer: ConvLayer, activation: 'relu' | 'linear'): tf.Tensor4D =>
    tf.fused.conv2d({
      x, filter: layer.kernel as tf.Tensor as tf.Tensor4D, strides: layer.stride, pad: layer.padding,
      bias: layer.bias, activation,
    });

  const [inH, inW, inC] = config.input;
  function apply(x: tf.Tensor4D): tf.Tensor2D {
    if (x.rank !== 4 || x.shape[1] !== inH || x.shape[2] !== inW || x.shape[3] !== inC) {
      throw new Error(`cnn: expected frames of shape [batch, ${inH}, ${inW}, ${inC}], got [${x.shape}]`);
    }
    return tf.tidy(() => {
      let h: tf.Tensor4D = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
      if (config.scaleInput) h = tf.mul(h, tf.scalar(1 / 255));
      for (const layer of convs) h = fusedConv(h, layer, 'relu');
      for (const [i, [first, second]] of blocks.entries()) {
        // The stack's output is already relu'd; a block's output is not.
        const a = fusedConv(i === 0 ? h : tf.relu(h), first, 'relu');
        h = tf.add(h, fusedConv(a, second, 'linear'));
      }
      if (blocks.length > 0) h = tf.relu(h);
      const flat = tf.reshape(h, [x.shape[0], flatSize]); // [batch, h·w·c], row-major NHWC
      return tf.fused.matMul({ a: flat, b: denseKernel as tf.Tensor as tf.Tensor2D, bias: denseBias, activation: 'relu' }) as tf.Tensor2D;
    });
  }

  return {
    config,
    variables,
    outputSize: config.outputSize,
    featureMapShape,
    apply,
    dispose: () => variables.forEach((v) => v.dispose()),
  };
}
