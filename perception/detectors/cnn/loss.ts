/**
 * The detector's training loss, as in CenterNet: the penalty-reduced focal loss on the heatmaps
 * (α = 2, β = 4) plus L1 on the centre offset and log size around centre cells, each divided by the
 * number of objects. The target-only factors (which cells are centres, (1 − Y)⁴ elsewhere) are
 * computed on the CPU with the targets, so the graph holds few kernels.
 */
import * as tf from '@tensorflow/tfjs';

export interface LossTargets {
  /** [batch, gridH, gridW, K]: 1 where a class's centre is, else 0 */
  positive: tf.Tensor4D;
  /** [batch, gridH, gridW, K]: (1 − Y)⁴ off centres, 0 on them */
  negativeWeight: tf.Tensor4D;
  /** [batch, gridH, gridW, 4]: dx, dy, ln w, ln h */
  regression: tf.Tensor4D;
  /** [batch, gridH, gridW, 1]: regression weight, 1 at centre cells and ½ beside them */
  regressionWeight: tf.Tensor4D;
  /** Objects in the batch (at least 1) */
  count: number;
}

export interface LossParts {
  total: tf.Scalar;
  heatmap: tf.Scalar;
  offset: tf.Scalar;
  size: tf.Scalar;
}

/** Weight of the log-size L1 term against the focal term */
const SIZE_WEIGHT = 1;

export function detectorLoss(output: tf.Tensor4D, t: LossTargets): LossParts {
  const K = t.positive.shape[3];
  const [b, h, w] = output.shape;
  const logits = tf.slice(output, [0, 0, 0, 0], [b, h, w, K]);
  const p = tf.sigmoid(logits);
  // ln σ(z) = −softplus(−z), ln(1 − σ(z)) = −softplus(z); tf.logSigmoid's gradient reads a
  // tensor its forward pass has already freed, inside variableGrads.
  const logP = tf.neg(tf.softplus(tf.neg(logits)));
  const log1mP = tf.neg(tf.softplus(logits));
  const n = tf.scalar(1 / Math.max(1, t.count));
  const pos = tf.sum(tf.mul(tf.mul(t.positive, tf.square(tf.sub(1, p))), logP));
  const neg = tf.sum(tf.mul(tf.mul(t.negativeWeight, tf.square(p)), log1mP));
  const heatmap = tf.neg(tf.mul(tf.add(pos, neg), n)) as tf.Scalar;
  const reg = tf.slice(output, [0, 0, 0, K], [b, h, w, 4]);
  const l1 = tf.mul(tf.abs(tf.sub(reg, t.regression)), t.regressionWeight);
  const offset = tf.mul(tf.sum(tf.slice(l1, [0, 0, 0, 0], [b, h, w, 2])), n) as tf.Scalar;
  const size = tf.mul(tf.sum(tf.slice(l1, [0, 0, 0, 2], [b, h, w, 2])), n) as tf.Scalar;
  const total = tf.add(tf.add(heatmap, offset), tf.mul(size, SIZE_WEIGHT)) as tf.Scalar;
  return { total, heatmap, offset, size };
}
