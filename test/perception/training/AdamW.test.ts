import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { AdamW } from '../../../perception/training/AdamW.ts';
import { initTf } from '../../../perception/runtime/tfjs.ts';

beforeAll(async () => {
  await initTf('wasm');
});

/** PyTorch's AdamW step, by hand in float64, for one parameter vector */
function reference(w: number[], grads: number[][], lr: number, b1: number, b2: number, eps: number, wd: number): number[] {
  const m = w.map(() => 0), v = w.map(() => 0);
  let p = [...w];
  grads.forEach((g, k) => {
    const t = k + 1;
    p = p.map((x, i) => {
      const decayed = x * (1 - lr * wd);
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      const denom = Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** t) + eps;
      return decayed - (lr / (1 - b1 ** t)) * (m[i] / denom);
    });
  });
  return p;
}

describe('AdamW', () => {
  it('follows the decoupled update formula step by step, bias corrections included', () => {
    const w0 = [0.5, -1.5, 2, 0.01];
    const grads = [[0.1, -0.2, 0.3, 0], [1, 1, -1, 0.5], [-0.3, 0.02, 0.4, -2]];
    const cfg = { learningRate: 0.05, beta1: 0.8, beta2: 0.95, epsilon: 1e-6, weightDecay: 0.1 };
    const w = tf.variable(tf.tensor1d(w0));
    const opt = new AdamW(cfg);
    for (const g of grads) tf.tidy(() => opt.applyGradients({ [w.name]: tf.tensor1d(g) }));
    const want = reference(w0, grads, cfg.learningRate, cfg.beta1, cfg.beta2, cfg.epsilon, cfg.weightDecay);
    const got = Array.from(w.dataSync());
    got.forEach((x, i) => expect(x).toBeCloseTo(want[i], 5));
    expect(opt.iterations).toBe(3);
    opt.dispose();
    w.dispose();
  });

  it('decays weights with a zero gradient by lr·λ per step, independently of the moments', () => {
    const w = tf.variable(tf.tensor1d([2, -4]));
    const opt = new AdamW({ learningRate: 0.1, weightDecay: 0.5 });
    for (let k = 0; k < 3; k++) tf.tidy(() => opt.applyGradients({ [w.name]: tf.zeros([2]) }));
    // Coupled L2 (plain Adam with λ·w in the gradient) would move by about lr per step instead.
    expect(Array.from(w.dataSync()).map((x) => +x.toFixed(5))).toEqual([2 * 0.95 ** 3, -4 * 0.95 ** 3].map((x) => +x.toFixed(5)));
    opt.dispose();
    w.dispose();
  });

  it('keeps no tensors of a step and restores its state exactly', () => {
    const a = tf.variable(tf.randomNormal([3, 4], 0, 1, 'float32', 1));
    const b = tf.variable(tf.randomNormal([4], 0, 1, 'float32', 2));
    const opt = new AdamW({ learningRate: 0.01 });
    opt.bind([a, b]);
    const before = tf.memory().numTensors;
    const step = () => tf.tidy(() => opt.applyGradients({ [a.name]: tf.onesLike(a), [b.name]: tf.mul(b, 2) }));
    step();
    expect(tf.memory().numTensors).toBe(before);
    const saved = opt.stateArrays();
    const wA = a.dataSync().slice(), wB = b.dataSync().slice();
    step();
    const after = [a.dataSync().slice(), b.dataSync().slice()];
    // Rewind: weights and optimiser state back to the saved point, then the same step.
    a.assign(tf.tensor(wA, a.shape));
    b.assign(tf.tensor(wB, b.shape));
    const fresh = new AdamW({ learningRate: 0.01 });
    fresh.bind([a, b]);
    fresh.restoreState((name) => saved[name].data);
    tf.tidy(() => fresh.applyGradients({ [a.name]: tf.onesLike(a), [b.name]: tf.mul(b, 2) }));
    expect(Array.from(a.dataSync())).toEqual(Array.from(after[0]));
    expect(Array.from(b.dataSync())).toEqual(Array.from(after[1]));
    expect(fresh.iterations).toBe(2);
  });

  it('rejects a step over other variables than the first', () => {
    const a = tf.variable(tf.zeros([2])), b = tf.variable(tf.zeros([2]));
    const opt = new AdamW();
    tf.tidy(() => opt.applyGradients({ [a.name]: tf.ones([2]) }));
    expect(() => tf.tidy(() => opt.applyGradients({ [b.name]: tf.ones([2]) }))).toThrow(/variables of the first step/);
  });
});
