/**
 * The built-in detector's saved form: a directory with `model.json` and `weights.bin`, where
 * model.json carries the network config and a tfjs weights manifest. Any tfjs loader can read the
 * weights (`tf.io.decodeWeights`), in the browser as in Node. Three precisions:
 *   float32  as trained;
 *   float16  half the size, tfjs's `float16` quantization;
 *   uint8    a quarter, tfjs's affine `uint8` quantization (value = q·scale + min) per tensor.
 * This file turns bytes into a network and back; reading and writing files is modelDir.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { DetectorNetConfig, createDetectorNet, weightSpecs, type DetectorNet } from './net.ts';

export const PRECISIONS = ['float32', 'float16', 'uint8'] as const;
export type Precision = (typeof PRECISIONS)[number];

export const MODEL_FORMAT = 'drivelab-detector';

const WeightEntry = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.literal('float32'),
  quantization: z.union([
    z.object({ dtype: z.literal('float16') }),
    z.object({ dtype: z.literal('uint8'), scale: z.number().finite(), min: z.number().finite() }),
  ]).optional(),
});

export const ModelJson = z.object({
  format: z.literal(MODEL_FORMAT),
  version: z.literal(1),
  config: DetectorNetConfig,
  precision: z.enum(PRECISIONS),
  /** Free-form facts about how the weights were made */
  training: z.record(z.string(), z.unknown()).optional(),
  weightsManifest: z.array(z.object({ paths: z.array(z.string().min(1)).min(1), weights: z.array(WeightEntry) })).length(1),
});
export type ModelJson = z.infer<typeof ModelJson>;

/** IEEE 754 half precision of `x`, rounded to nearest even */
export function toHalf(x: number): number {
  const f = new Float32Array(1), u = new Uint32Array(f.buffer);
  f[0] = x;
  const bits = u[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1), mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa steps the exponent, as it should (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++;
  return sign | half;
}

/** The bytes and manifest of `net`'s weights at `precision` */
export async function encodeModel(net: DetectorNet, precision: Precision, training?: Record<string, unknown>): Promise<{ json: ModelJson; bytes: Uint8Array }> {
  const parts: Uint8Array[] = [];
  const weights: z.infer<typeof WeightEntry>[] = [];
  for (const [i, v] of net.variables.entries()) {
    const values = (await v.data()) as Float32Array;
    const entry: z.infer<typeof WeightEntry> = { name: net.names[i], shape: v.shape, dtype: 'float32' };
    if (precision === 'float32') {
      parts.push(new Uint8Array(values.slice().buffer));
    } else if (precision === 'float16') {
      parts.push(new Uint8Array(Uint16Array.from(values, toHalf).buffer));
      entry.quantization = { dtype: 'float16' };
    } else {
      let lo = Infinity, hi = -Infinity;
      for (const x of values) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
      const scale = hi > lo ? (hi - lo) / 255 : 1;
      parts.push(Uint8Array.from(values, (x) => Math.round((x - lo) / scale)));
      entry.quantization = { dtype: 'uint8', scale, min: lo };
    }
    weights.push(entry);
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { bytes.set(p, at); at += p.length; }
  const json: ModelJson = { format: MODEL_FORMAT, version: 1, config: net.config, precision, training, weightsManifest: [{ paths: ['weights.bin'], weights }] };
  return { json, bytes };
}

/** Thrown with the field at fault; callers prefix the file */
export class ModelFileError extends Error {}

/** Validates model.json's parsed contents; the message names the first bad field */
export function parseModelJson(raw: unknown): ModelJson {
  const parsed = ModelJson.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelFileError(`${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Builds the network that `json` and `bytes` (the manifest's files, concatenated) describe */
export function decodeModel(json: ModelJson, bytes: Uint8Array): DetectorNet {
  const specs = json.weightsManifest[0].weights;
  const expected = weightSpecs(json.config);
  for (const e of expected) {
    const s = specs.find((w) => w.name === e.name);
    if (!s) throw new ModelFileError(`weightsManifest: no weight named ${e.name}`);
    if (!tf.util.arraysEqual(s.shape, e.shape)) throw new ModelFileError(`weightsManifest: ${e.name}: expected shape [${e.shape}], got [${s.shape}]`);
  }
  const needed = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * (s.quantization?.dtype === 'uint8' ? 1 : s.quantization ? 2 : 4), 0);
  if (bytes.length !== needed) throw new ModelFileError(`weights: expected ${needed} bytes for the manifest, got ${bytes.length}`);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const tensors = tf.io.decodeWeights(buffer, specs as tf.io.WeightsManifestEntry[]);
  try {
    for (const [name, t] of Object.entries(tensors)) {
      if (!(t.dataSync() as Float32Array).every(Number.isFinite)) throw new ModelFileError(`weights: ${name} holds a value that is not finite`);
    }
    return createDetectorNet(json.config, 0, tensors);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
