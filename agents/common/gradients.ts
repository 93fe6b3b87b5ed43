/** The last part of every gradient step: clip, apply, and read the step's scalars back in one download. */
import * as tf from '@tensorflow/tfjs';
import type { AdamW } from '../../perception/training/AdamW.ts';

/** Scales all gradients together so their global L2 norm is at most `maxNorm` */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  const names = Object.keys(grads);
  const norm = tf.sqrt(tf.addN(names.map((k) => tf.sum(tf.square(grads[k])))));
  const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
  const out: tf.NamedTensorMap = {};
  for (const k of names) out[k] = tf.mul(grads[k], scale);
  return out;
}

/**
 * Applies `grads` (clipped to `maxGradNorm` when above 0) and returns [loss, ...stats] as numbers.
 * `stats` were `tf.keep`t inside variableGrads; they outlive every scope, so they are disposed here.
 */
export function applyAndRead(optimizer: AdamW, grads: tf.NamedTensorMap, maxGradNorm: number, loss: tf.Scalar, stats: tf.Tensor[]): Float32Array {
  optimizer.applyGradients(maxGradNorm > 0 ? clipByGlobalNorm(grads, maxGradNorm) : grads);
  const out = tf.stack([loss, ...stats]).dataSync() as Float32Array;
  tf.dispose(stats);
  return out;
}
