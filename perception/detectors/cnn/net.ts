/**
 * The built-in detector's network: a small residual backbone with one upsampling skip, and an
 * anchor-free head in the manner of CenterNet (Zhou et al., "Objects as Points", 2019). From a
 * [batch, 96, 128, 3] frame it predicts, on a grid 4 px apart, per class a centre heatmap logit,
 * and per cell the centre's offset within the cell and the box's log size:
 *
 *   stem   conv3×3 s2 → C1            48×64
 *   down   conv3×3 s2 → C2            24×32   ─┐ skip
 *   block  residual 2×conv3×3 (C2)             │
 *   down   conv3×3 s2 → C3            12×16    │
 *   block  residual 2×conv3×3 (C3)             │
 *   up     conv1×1 → C2, nearest ×2   24×32  ←─┘ add, relu
 *   head   conv3×3 (C2) → conv1×1 → K + 4 channels
 *
 * Output channels per cell (the "output convention" that a tfjs model directory given to
 * `--detector` follows too): K heatmap logits, then dx, dy (centre offset in cells, 0..1 across
 * the cell), then ln(w / stride), ln(h / stride).
 *
 * Weights are plain `tf.Variable`s with names, so that saving and loading go through tfjs's
 * weights manifest without tf.layers, and the per-op overhead stays low.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const DetectorNetConfig = z.strictObject({
  /** [height, width] of the input frame [px]; both divisible by 8 */
  input: z.tuple([positiveInt, positiveInt]).refine(([h, w]) => h % 8 === 0 && w % 8 === 0, 'expected both sides divisible by 8').default([96, 128]),
  /** Class names, in heatmap channel order */
  classes: z.array(z.string().min(1)).min(1).default(['vehicle', 'pedestrian', 'obstacle']),
  /** Channels of the stride-2, stride-4 and stride-8 stages */
  channels: z.tuple([positiveInt, positiveInt, positiveInt]).default([16, 24, 48]),
});
export type DetectorNetConfig = z.infer<typeof DetectorNetConfig>;

/** Spacing of the output grid [px] */
export const STRIDE = 4;
/** Initial heatmap bias: sigmoid(−4.6) ≈ 0.01, the focal-loss prior of Lin et al. 2017 */
const HEAT_PRIOR = -4.6;

export interface DetectorNet {
  readonly config: DetectorNetConfig;
  /** Weights in a fixed order */
  readonly variables: tf.Variable[];
  /** Their names in the saved manifest (tfjs variable names must be unique per process, so these are kept apart) */
  readonly names: string[];
  /** [gridH, gridW]: the output grid */
  readonly grid: [number, number];
  /** Channels per output cell: classes + 4 */
  readonly outputChannels: number;
  /** [batch, H, W, 3] RGB in 0..255 (any dtype) → [batch, H/4, W/4, K + 4] */
  apply(x: tf.Tensor4D): tf.Tensor4D;
  dispose(): void;
}

function subSeed(seed: number, i: number): number {
  return (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca77)) >>> 0;
}

/** Layer names and [kernel, inC, outC] in variable order (each a kernel then a bias) */
function layout(config: DetectorNetConfig): [string, number, number, number][] {
  const [c1, c2, c3] = config.channels;
  return [
    ['stem', 3, 3, c1], ['down1', 3, c1, c2], ['block1a', 3, c2, c2], ['block1b', 3, c2, c2],
    ['down2', 3, c2, c3], ['block2a', 3, c3, c3], ['block2b', 3, c3, c3], ['up', 1, c3, c2],
    ['head', 3, c2, c2], ['out', 1, c2, config.classes.length + 4],
  ];
}

/** The names and shapes of the weights, in order: what a saved model must hold */
export function weightSpecs(config: DetectorNetConfig): { name: string; shape: number[] }[] {
  return layout(config).flatMap(([name, k, inC, outC]) => [
    { name: `${name}/kernel`, shape: [k, k, inC, outC] },
    { name: `${name}/bias`, shape: [outC] },
  ]);
}

/**
 * Builds the network. With `weights` (tensors named as in `weightSpecs`) it takes copies of them;
 * otherwise He-normal kernels from `seed`, zero biases, and the heatmap biases at the prior.
 */
export function createDetectorNet(configInput: z.input<typeof DetectorNetConfig>, seed: number, weights?: Record<string, tf.Tensor>): DetectorNet {
  const config = DetectorNetConfig.parse(configInput);
  const K = config.classes.length;
  const variables: tf.Variable[] = [];
  const named: Record<string, tf.Variable> = {};
  for (const [i, { name, shape }] of weightSpecs(config).entries()) {
    const given = weights?.[name];
    if (weights && !given) throw new Error(`weights: missing ${name}`);
    if (given && !tf.util.arraysEqual(given.shape, shape)) throw new Error(`weights: ${name}: expected shape [${shape}], got [${given.shape}]`);
    const init = given ? given.clone()
      : name.endsWith('/kernel') ? tf.randomNormal(shape, 0, Math.sqrt(2 / (shape[0] * shape[1] * shape[2])), 'float32', subSeed(seed, i))
      : name === 'out/bias' ? tf.concat([tf.fill([K], HEAT_PRIOR), tf.zeros([4])])
      : tf.zeros(shape);
    const v = tf.variable(init, true);
    init.dispose();
    variables.push(v);
    named[name] = v;
  }
  const [inH, inW] = config.input;
  const grid: [number, number] = [inH / STRIDE, inW / STRIDE];

  const conv = (x: tf.Tensor4D, name: string, stride: number, activation: 'relu' | 'linear'): tf.Tensor4D =>
    tf.fused.conv2d({ x, filter: named[`${name}/kernel`] as tf.Tensor as tf.Tensor4D, strides: stride, pad: 'same', bias: named[`${name}/bias`], activation });

  function apply(x: tf.Tensor4D): tf.Tensor4D {
    if (x.rank !== 4 || x.shape[1] !== inH || x.shape[2] !== inW || x.shape[3] !== 3) {
      throw new Error(`detector: expected frames of shape [batch, ${inH}, ${inW}, 3], got [${x.shape}]`);
    }
    return tf.tidy(() => {
      const input = tf.mul(x.dtype === 'float32' ? x : tf.cast(x, 'float32'), tf.scalar(1 / 255)) as tf.Tensor4D;
      const s2 = conv(input, 'stem', 2, 'relu');
      const d1 = conv(s2, 'down1', 2, 'relu');
      const r1 = tf.add(d1, conv(conv(d1, 'block1a', 1, 'relu'), 'block1b', 1, 'linear')) as tf.Tensor4D;
      const d2 = conv(tf.relu(r1), 'down2', 2, 'relu');
      const r2 = tf.relu(tf.add(d2, conv(conv(d2, 'block2a', 1, 'relu'), 'block2b', 1, 'linear'))) as tf.Tensor4D;
      const up = tf.image.resizeNearestNeighbor(conv(r2, 'up', 1, 'linear'), grid);
      const merged = tf.relu(tf.add(r1, up)) as tf.Tensor4D;
      return conv(conv(merged, 'head', 1, 'relu'), 'out', 1, 'linear');
    });
  }

  return {
    config,
    variables,
    names: weightSpecs(config).map((w) => w.name),
    grid,
    outputChannels: K + 4,
    apply,
    dispose: () => variables.forEach((v) => v.dispose()),
  };
}
