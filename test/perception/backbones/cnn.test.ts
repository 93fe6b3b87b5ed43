import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCnn, type CnnConfigInput } from '../../../perception/backbones/cnn.ts';
import { registerWasmTrainingKernels } from '../../../perception/runtime/wasmTrainingKernels.ts';

/** Uniform values in [0, 1) from a fixed LCG, the same on every backend. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

const weights = (vars: tf.Variable[]) => vars.map((v) => Array.from(v.dataSync()));

const RESIDUAL: CnnConfigInput = {
  input: [20, 24, 3],
  convs: [
    { filters: 8, kernel: 5, stride: 2, padding: 'same' },
    { filters: 6, kernel: 3, stride: 1 },
  ],
  residualBlocks: 2,
  outputSize: 10,
};

describe('cnn backbone', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });
  afterEach(async () => {
    await tf.setBackend('wasm');
  });

  it('builds the Nature-DQN stack by default: 84×84×3 → 7×7×64 → 512', () => {
    const cnn = createCnn({ input: [84, 84, 3] }, 1);
    expect(cnn.variables.map((v) => v.shape)).toEqual([
      [8, 8, 3, 32], [32], [4, 4, 32, 64], [64], [3, 3, 64, 64], [64], [3136, 512], [512],
    ]);
    expect(cnn.featureMapShape).toEqual([7, 7, 64]);
    const out = cnn.apply(tf.zeros([2, 84, 84, 3]));
    expect(out.shape).toEqual([2, 512]);
    expect(cnn.outputSize).toBe(512);
    out.dispose();
    cnn.dispose();
  });

  it('adds residual blocks at the stack\'s channel count and sizes the dense layer from the map', () => {
    const cnn = createCnn(RESIDUAL, 1);
    // 20×24 → same, stride 2 → 10×12 → valid 3×3 → 8×10; blocks keep 8×10×6.
    expect(cnn.featureMapShape).toEqual([8, 10, 6]);
    expect(cnn.variables.map((v) => v.shape)).toEqual([
      [5, 5, 3, 8], [8], [3, 3, 8, 6], [6],
      [3, 3, 6, 6], [6], [3, 3, 6, 6], [6], [3, 3, 6, 6], [6], [3, 3, 6, 6], [6],
      [480, 10], [10],
    ]);
    const out = cnn.apply(tf.zeros([3, 20, 24, 3]));
    expect(out.shape).toEqual([3, 10]);
    out.dispose();
    expect(() => cnn.apply(tf.zeros([1, 24, 20, 3]))).toThrow(/\[batch, 20, 24, 3\]/);
    cnn.dispose();
    expect(() => createCnn({ input: [6, 6, 1], convs: [{ filters: 4, kernel: 8, stride: 4 }] }, 1))
      .toThrow(/conv 0/);
  });

  it('runs each block as x + conv(relu(conv(relu(x)))) and applies relu after the last block', () => {
    // One channel, 1×1 stack and 3×3 kernels with only a centre tap, so every step is closed-form.
    const cnn = createCnn({ input: [4, 4, 1], convs: [{ filters: 1, kernel: 1 }], residualBlocks: 2, outputSize: 32 }, 5);
    const centre = (w: number) => tf.tensor4d([0, 0, 0, 0, w, 0, 0, 0, 0], [3, 3, 1, 1]);
    const eye = tf.eye(16);
    const assigned = [
      [tf.ones([1, 1, 1, 1]), tf.zeros([1])], // stack: h = relu(x) = x for x ≥ 0
      [centre(0), tf.zeros([1]), centre(0), tf.fill([1], -0.5)], // block 1: y = x − 0.5
      [centre(1), tf.fill([1], 0.3), centre(1), tf.zeros([1])], // block 2: y + relu(relu(y) + 0.3)
      [tf.concat([eye, tf.neg(eye)], 1), tf.zeros([32])], // dense: [relu(z), relu(−z)] of the map z
    ].flat();
    cnn.variables.forEach((v, i) => v.assign(assigned[i]));
    tf.dispose([...assigned, eye]);

    const x = Array.from({ length: 16 }, (_, i) => i / 16);
    const input = tf.tensor4d(x, [1, 4, 4, 1]);
    const out = cnn.apply(input);
    const relu = (v: number) => Math.max(v, 0);
    const expected = x.map((xi) => relu(xi - 0.5 + relu(relu(xi - 0.5) + 0.3)));
    const actual = Array.from(out.dataSync());
    for (let i = 0; i < 16; i++) expect(actual[i], `feature ${i}`).toBeCloseTo(expected[i], 6);
    // The map went through relu, so none of its negation survives the dense relu.
    expect(actual.slice(16)).toEqual(new Array(16).fill(0));
    tf.dispose([input, out]);
    cnn.dispose();
  });

  it('draws He-normal kernels and zero biases from the seed alone', async () => {
    const a = createCnn(RESIDUAL, 7);
    const b = createCnn(JSON.parse(JSON.stringify(a.config)), 7);
    const c = createCnn(RESIDUAL, 8);
    expect(weights(b.variables)).toEqual(weights(a.variables));
    expect(weights(c.variables)[0]).not.toEqual(weights(a.variables)[0]);
    expect(weights(c.variables)[12]).not.toEqual(weights(a.variables)[12]);
    await tf.setBackend('cpu');
    const onCpu = createCnn(RESIDUAL, 7);
    expect(weights(onCpu.variables)).toEqual(weights(a.variables));
    // std √(2 / fanIn): fanIn 5·5·3 for the first kernel, 8·10·6 for the dense one.
    for (const [i, fanIn] of [[0, 75], [12, 480]]) {
      const w = a.variables[i].dataSync() as Float32Array;
      const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
      expect(std / Math.sqrt(2 / fanIn)).toBeCloseTo(1, 1);
    }
    expect(Array.from(a.variables[1].dataSync()).every((x) => x === 0)).toBe(true);
    [a, b, c, onCpu].forEach((n) => n.dispose());
  });

  it('scales uint8 frames by 1/255 when asked to', () => {
    const pixels = Int32Array.from(values(2 * 20 * 24 * 3, 3), (v) => Math.floor(v * 256));
    const scaled = createCnn({ ...RESIDUAL, scaleInput: true }, 2);
    const plain = createCnn(RESIDUAL, 2);
    const fromBytes = scaled.apply(tf.tensor4d(pixels, [2, 20, 24, 3], 'int32'));
    const fromUnit = plain.apply(tf.tensor4d(Float32Array.from(pixels, (p) => p / 255), [2, 20, 24, 3]));
    expect(relativeError(fromBytes.dataSync() as Float32Array, fromUnit.dataSync() as Float32Array))
      .toBeLessThan(1e-6);
    expect(Math.max(...fromUnit.dataSync())).toBeGreaterThan(0);
    tf.dispose([fromBytes, fromUnit]);
    scaled.dispose();
    plain.dispose();
  });

  /** Features and the gradients of Σ features ⊙ r wrt every variable, on the current backend. */
  function forwardAndGrads(): Float32Array[] {
    const cnn = createCnn(RESIDUAL, 3);
    const out = tf.tidy(() => {
      const x = tf.tensor4d(values(3 * 20 * 24 * 3, 4), [3, 20, 24, 3]);
      const r = tf.tensor2d(values(3 * 10, 5), [3, 10]);
      const features = cnn.apply(x);
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(cnn.apply(x), r)) as tf.Scalar, cnn.variables);
      return [features, ...cnn.variables.map((v) => grads[v.name])].map((t) => t.dataSync() as Float32Array);
    });
    cnn.dispose();
    return out;
  }

  it('computes the same features and gradients on wasm as on cpu', async () => {
    await tf.setBackend('cpu');
    const cpu = forwardAndGrads();
    await tf.setBackend('wasm');
    const tensors = tf.memory().numTensors;
    const wasm = forwardAndGrads();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(wasm.length).toBe(15);
    for (let i = 0; i < cpu.length; i++) {
      expect(Math.max(...cpu[i].map(Math.abs)), `tensor ${i}`).toBeGreaterThan(0);
      expect(relativeError(wasm[i], cpu[i]), `tensor ${i}`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('learns on wasm which half of a 32×32 frame is bright', () => {
    // 32 frames: dim noise in [0, 100), plus 120 on the left half (label 0) or the right (label 1).
    const n = 32;
    const noise = values(n * 32 * 32 * 3, 6);
    const pixels = new Int32Array(noise.length);
    const labels = new Int32Array(n);
    for (let b = 0; b < n; b++) {
      labels[b] = b % 2;
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const bright = (x < 16) === (labels[b] === 0);
          for (let c = 0; c < 3; c++) {
            const i = ((b * 32 + y) * 32 + x) * 3 + c;
            pixels[i] = Math.floor(noise[i] * 100) + (bright ? 120 : 0);
          }
        }
      }
    }
    const frames = tf.tensor4d(pixels, [n, 32, 32, 3], 'int32');
    const targets = tf.oneHot(tf.tensor1d(labels, 'int32'), 2);
    const cnn = createCnn({
      input: [32, 32, 3],
      convs: [{ filters: 8, kernel: 4, stride: 2 }, { filters: 8, kernel: 3, stride: 2 }],
      residualBlocks: 1,
      outputSize: 16,
      scaleInput: true,
    }, 11);
    const head = tf.variable(tf.randomNormal([16, 2], 0, 0.25, 'float32', 12));
    const optimizer = tf.train.adam(0.01);
    const step = (): number => {
      const loss = optimizer.minimize(
        () => tf.losses.softmaxCrossEntropy(targets, tf.matMul(cnn.apply(frames), head)) as tf.Scalar,
        true, [...cnn.variables, head])!;
      const value = loss.dataSync()[0];
      loss.dispose();
      return value;
    };
    const first = step(); // creates Adam's moment slots
    const tensors = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 40; i++) last = step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(first).toBeGreaterThan(0.5);
    expect(last).toBeLessThan(0.1 * first);
    optimizer.dispose();
    tf.dispose([frames, targets, head]);
    cnn.dispose();
  });
});
