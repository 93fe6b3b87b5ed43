import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../../perception/runtime/wasmTrainingKernels.ts';

// Before anything registers it: the reason the module exists.
const shippedWithFilterGrad = tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined;
const REPLACED = ['Conv2DBackpropInput', 'BatchMatMul'];
const shippedFuncs = REPLACED.map((k) => tf.getKernel(k, 'wasm')!.kernelFunc);

/** Uniform values in [-1, 1) from a fixed LCG, the same on every backend. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** max |a − b| / max |b|: the error relative to the reference's scale. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

type Pad = 'valid' | 'same' | number | [[0, 0], [number, number], [number, number], [0, 0]];

interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Gradients of Σ conv2d(x, w) ⊙ r wrt x and w on the current backend. The random weights r make dy
 * vary from place to place, so a gradient summed over the wrong positions cannot match by chance.
 */
function convGrads(c: ConvCase): { dx: Float32Array; dw: Float32Array; dwShape: number[] } {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(size(c.x), 1), c.x);
    const w = tf.tensor4d(values(size(c.filter), 2), c.filter);
    const y = tf.conv2d(x, w, c.strides, c.pad, 'NHWC', 1, c.dimRoundingMode);
    const r = tf.tensor(values(y.size, 3), y.shape);
    const f = (xx: tf.Tensor, ww: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.strides, c.pad, 'NHWC', 1, c.dimRoundingMode), r));
    const [dx, dw] = tf.grads(f)([x, w]);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array, dwShape: dw.shape };
  });
}

const CASES: ConvCase[] = [
  { x: [1, 5, 5, 1], filter: [3, 3, 1, 1], strides: 1, pad: 'valid' },
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [3, 11, 13, 2], filter: [4, 3, 2, 5], strides: 2, pad: 'same' },
  { x: [2, 12, 12, 3], filter: [3, 3, 3, 2], strides: 2, pad: 'valid' },
  // Nature-DQN's first layer on a small batch: the last 3 rows and columns of 87 are never read.
  { x: [2, 87, 87, 3], filter: [8, 8, 3, 8], strides: 4, pad: 'valid' },
  { x: [4, 21, 17, 5], filter: [4, 4, 5, 6], strides: 4, pad: 'same' },
  { x: [2, 10, 7, 3], filter: [3, 3, 3, 2], strides: [1, 2], pad: 'same' },
  { x: [2, 10, 7, 3], filter: [3, 2, 3, 2], strides: 2, pad: 1 },
  { x: [2, 9, 8, 2], filter: [3, 3, 2, 3], strides: [2, 3], pad: [[0, 0], [2, 0], [0, 3], [0, 0]] },
];

describe('wasm training kernels', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    registerWasmTrainingKernels(); // idempotent: a second call neither throws nor re-registers
    await tf.setBackend('wasm');
  });

  it('wasm ships without a filter gradient, and registration adds one', () => {
    expect(shippedWithFilterGrad).toBe(false);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    // The slow shipped kernels are replaced, and registering again keeps the replacements.
    const funcs = REPLACED.map((k) => tf.getKernel(k, 'wasm')!.kernelFunc);
    funcs.forEach((f, i) => expect(f).not.toBe(shippedFuncs[i]));
    registerWasmTrainingKernels();
    expect(REPLACED.map((k) => tf.getKernel(k, 'wasm')!.kernelFunc)).toEqual(funcs);
  });

  for (const c of CASES) {
    const name = `x [${c.x}], filter [${c.filter}], strides ${JSON.stringify(c.strides)}, pad ${JSON.stringify(c.pad)}` +
      (c.dimRoundingMode ? `, ${c.dimRoundingMode}` : '');
    it(`filter and input gradients match the cpu backend: ${name}`, async () => {
      await tf.setBackend('cpu');
      const cpu = convGrads(c);
      await tf.setBackend('wasm');
      const tensors = tf.memory().numTensors;
      const buffers = tf.engine().backend.numDataIds();
      const wasm = convGrads(c);
      expect(tf.memory().numTensors).toBe(tensors);
      // Intermediates of the kernel live only in the backend: count its buffers too.
      expect(tf.engine().backend.numDataIds()).toBe(buffers);

      expect(wasm.dwShape).toEqual(c.filter);
      expect(Math.max(...cpu.dw.map(Math.abs))).toBeGreaterThan(0.1);
      expect(relativeError(wasm.dw, cpu.dw)).toBeLessThanOrEqual(1e-5);
      expect(relativeError(wasm.dx, cpu.dx)).toBeLessThanOrEqual(1e-5);
    });
  }

  it('honours ceil rounding, whose last window hangs past the padded input and reads zeros there', async () => {
    // tfjs's conv2d gradient drops dimRoundingMode, so the kernels are run on their own here.
    const attrs = { strides: 3, pad: 1, dataFormat: 'NHWC', dimRoundingMode: 'ceil' };
    const grads = () => tf.tidy(() => {
      const x = tf.tensor4d(values(2 * 9 * 9 * 2, 6), [2, 9, 9, 2]);
      const w = tf.tensor4d(values(3 * 3 * 2 * 2, 8), [3, 3, 2, 2]);
      const dy = tf.tensor4d(values(2 * 4 * 4 * 2, 7), [2, 4, 4, 2]); // ceil((9 − 3 + 2)/3 + 1) = 4
      const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: [3, 3, 2, 2] });
      const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: [2, 9, 9, 2] });
      return [dw, dx].map((t) => (t as tf.Tensor).dataSync() as Float32Array);
    });
    await tf.setBackend('cpu');
    const cpu = grads();
    await tf.setBackend('wasm');
    const wasm = grads();
    expect(relativeError(wasm[0], cpu[0])).toBeLessThanOrEqual(1e-5);
    expect(relativeError(wasm[1], cpu[1])).toBeLessThanOrEqual(1e-5);
  });

  /** matMul with every transpose flag, rank 2 and batched with broadcasting, on the current backend. */
  function products(): Float32Array[] {
    return tf.tidy(() => {
      const out: tf.Tensor[] = [];
      // [m, k, n]: a big right operand (the dense-layer input gradient) and a big result (its filter gradient).
      for (const [m, k, n] of [[5, 7, 300], [300, 6, 4], [3, 4, 2]]) {
        for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const a = tf.tensor2d(values(m * k, m + k), ta ? [k, m] : [m, k]);
          const b = tf.tensor2d(values(k * n, k + n), tb ? [n, k] : [k, n]);
          out.push(tf.matMul(a, b, ta, tb));
        }
      }
      const a3 = tf.tensor3d(values(2 * 4 * 3, 9), [2, 4, 3]);
      const b3 = tf.tensor3d(values(1 * 5 * 4, 10), [1, 5, 4]);
      out.push(tf.matMul(a3, b3, true, true)); // [2, 3, 5], b broadcast over the batch
      return out.map((t) => t.dataSync() as Float32Array);
    });
  }

  it('matMul with transposed operands matches the cpu backend', async () => {
    await tf.setBackend('cpu');
    const cpu = products();
    await tf.setBackend('wasm');
    const buffers = tf.engine().backend.numDataIds();
    const wasm = products();
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    expect(wasm.map((p) => p.length)).toEqual(cpu.map((p) => p.length));
    for (let i = 0; i < cpu.length; i++) expect(relativeError(wasm[i], cpu[i]), `product ${i}`).toBeLessThanOrEqual(1e-5);
  });

  it('says what it does not support', () => {
    const x = tf.zeros([1, 4, 4, 2]);
    const dy = tf.zeros([1, 2, 2, 3]);
    const attrs = { strides: 1, pad: 'valid', filterShape: [3, 3, 2, 3] };
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, dataFormat: 'NCHW' }))
      .toThrow(/NHWC/);
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, dataFormat: 'NHWC', dilations: 2 }))
      .toThrow(/dilations 1/);
    tf.dispose([x, dy]);
  });

  /** Σ_n x[n] into segments, and the gradient of a gather, on the current backend. */
  function segmentSums(): { sums: Float32Array; gatherGrad: Float32Array } {
    return tf.tidy(() => {
      const x = tf.tensor3d(values(6 * 2 * 3, 4), [6, 2, 3]);
      // Segment 1 gets three rows, 3 gets none, and −1 is dropped as in TensorFlow.
      const ids = tf.tensor1d([1, 0, 1, 4, -1, 1], 'int32');
      const sums = tf.unsortedSegmentSum(x, ids, 5);
      // Q(s, a) of the taken actions out of a [batch, actions] table, the DQN gather.
      const q = tf.tensor2d(values(4 * 3, 5), [4, 3]);
      const taken = tf.tensor1d([0, 4, 8, 10], 'int32');
      const weights = tf.tensor1d([1, -2, 3, 0.5]);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(tf.reshape(t, [-1]), taken), weights)))(q);
      return { sums: sums.dataSync() as Float32Array, gatherGrad: grad.dataSync() as Float32Array };
    });
  }

  it('unsorted segment sums and gather gradients match the cpu backend', async () => {
    await tf.setBackend('cpu');
    const cpu = segmentSums();
    await tf.setBackend('wasm');
    const buffers = tf.engine().backend.numDataIds();
    const wasm = segmentSums();
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    expect(Array.from(wasm.gatherGrad)).toEqual([1, 0, 0, 0, -2, 0, 0, 0, 3, 0, 0.5, 0]);
    expect(relativeError(wasm.sums, cpu.sums)).toBeLessThanOrEqual(1e-6);
    expect(Array.from(wasm.sums.slice(18, 24))).toEqual([0, 0, 0, 0, 0, 0]); // segment 3
  });
});
