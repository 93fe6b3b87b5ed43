/**
 * Trains the built-in detector (detectors/cnn) on capture datasets: AdamW with a linear warm-up
 * and cosine decay, augmented batches (detectorBatch.ts), validation AP50 on held-out episodes,
 * and files written as training goes, so an interrupt loses nothing:
 *   <out>/learning-curve.csv   one row per log interval: step, losses, images/s, validation AP
 *   <out>/checkpoint/          the latest weights (float32), optimizer moments and loop state
 *   <out>/best/                the weights of best validation AP50 so far
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { Rng } from '../../sim/rng.ts';
import { STRIDE, type DetectorNet } from '../detectors/cnn/net.ts';
import { detectorLoss } from '../detectors/cnn/loss.ts';
import { gridDetector } from '../detectors/cnn/detector.ts';
import { saveModelDir } from '../detectors/cnn/modelDir.ts';
import { cocoEvaluate, type CocoDetection, type CocoGroundTruth } from '../metrics/cocoEval.ts';
import { AdamW } from './AdamW.ts';
import { BatchMaker, type Augmentation } from './detectorBatch.ts';
import type { DetectionDataset } from './captureDataset.ts';

export interface DetectorTrainOptions {
  net: DetectorNet;
  train: DetectionDataset;
  validation: DetectionDataset | null;
  out: string;
  steps: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  /** Steps of linear warm-up before the cosine decay */
  warmup: number;
  augmentation: Augmentation;
  seed: number;
  evalEvery: number;
  checkpointEvery: number;
  /** Ground truth lower than this is ignored in validation AP [px] */
  minHeight: number;
  /** Objects lower than this carry no loss in training [px] (see BatchMaker) */
  ignoreBelow?: number;
  /** Facts to record with the weights (data, command) */
  provenance: Record<string, unknown>;
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
}

export interface TrainProgress {
  step: number;
  steps: number;
  loss: number;
  imagesPerSecond: number;
  validationAp50: number | null;
}

export interface DetectorTrainResult {
  steps: number;
  seconds: number;
  imagesPerSecond: number;
  finalLoss: number;
  bestAp50: number | null;
  bestStep: number | null;
  interrupted: boolean;
}

/** Validation AP (COCO, every class with ground truth) of `net` on `data`; objects and detections under `minHeight` px ignored, as KITTI does */
export async function validationAp(net: DetectorNet, data: DetectionDataset, minHeight: number): Promise<{ ap: number; ap50: number; perClass: Record<string, number> }> {
  const detector = gridDetector({ name: 'validation', classes: net.config.classes, input: net.config.input, predict: net.apply, dispose: () => {} }, { threshold: 0.05 });
  const frame = data.width * data.height * 3;
  const gt: CocoGroundTruth & { annotations: { ignore?: boolean }[] } = {
    images: data.boxes.map((_, i) => ({ id: i + 1 })),
    annotations: data.boxes.flatMap((list, i) => list.map((b) => ({ image_id: i + 1, category_id: b.classIndex + 1, bbox: [...b.bbox] as [number, number, number, number], ignore: b.bbox[3] < minHeight }))),
    categories: net.config.classes.map((name, i) => ({ id: i + 1, name })),
  };
  const dt: CocoDetection[] = [];
  for (let start = 0; start < data.boxes.length; start += 32) {
    const frames = [];
    for (let i = start; i < Math.min(start + 32, data.boxes.length); i++) {
      frames.push({ width: data.width, height: data.height, data: data.pixels.subarray(i * frame, (i + 1) * frame), timestamp: 0, cameraId: 'validation', intrinsics: { fx: 1, fy: 1, cx: 0, cy: 0, width: data.width, height: data.height, near: 0.1, far: 200 } });
    }
    const found = await detector.detectBatch(frames);
    found.forEach((list, k) => list.forEach((d) => d.bbox[3] >= minHeight && dt.push({ image_id: start + k + 1, category_id: net.config.classes.indexOf(d.label) + 1, bbox: d.bbox, score: d.score })));
  }
  const result = cocoEvaluate(gt, dt);
  return { ap: result.ap, ap50: result.ap50, perClass: Object.fromEntries(Object.entries(result.perClass).map(([k, v]) => [k, v.ap50])) };
}

/**
 * Wall time, throughput and the last logged mean loss of a whole run, from its learning curve: every session's rows, so a
 * resumed run counts the time before the interrupt too. Validation time is included.
 */
export function curveTiming(out: string, batchSize: number): { seconds: number; imagesPerSecond: number; lastLoss: number } {
  const rows = readFileSync(join(out, 'learning-curve.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
  let seconds = 0, images = 0, previous = 0;
  for (const row of rows) {
    const n = (row[0] - previous) * batchSize;
    previous = row[0];
    if (row[5] > 0) {
      seconds += n / row[5];
      images += n;
    }
  }
  return { seconds, imagesPerSecond: seconds > 0 ? images / seconds : 0, lastLoss: rows.length > 0 ? rows[rows.length - 1][1] : NaN };
}

interface LoopState {
  step: number;
  /** Generator states: batch order, augmentations */
  rng: number[];
  augmentRng: number[];
  /** The epoch's shuffled order and the position in it */
  order: number[];
  cursor: number;
  bestAp50: number | null;
  bestStep: number | null;
}

export async function trainDetector(opts: DetectorTrainOptions): Promise<DetectorTrainResult> {
  const { net, train } = opts;
  const [gridH, gridW] = net.grid;
  const K = net.config.classes.length;
  const grid = { gridH, gridW, classes: K, stride: STRIDE };
  const optimizer = new AdamW({ learningRate: opts.learningRate, weightDecay: opts.weightDecay });
  optimizer.bind(net.variables);
  mkdirSync(opts.out, { recursive: true });
  const curve = join(opts.out, 'learning-curve.csv');
  const seeded = Rng.seeded(opts.seed);
  const fresh: LoopState = { step: 0, rng: [], augmentRng: [...seeded.split().state()], order: Array.from({ length: train.boxes.length }, (_, i) => i), cursor: train.boxes.length, bestAp50: null, bestStep: null };
  fresh.rng = [...seeded.state()];
  const state = (await restore(opts, optimizer, train.boxes.length)) ?? fresh;
  if (state.step === 0) writeFileSync(curve, 'step,loss,heatmap,offset,size,images_per_s,learning_rate,val_ap50,val_ap\n');
  const rng = Rng.fromState(state.rng);
  const maker = new BatchMaker(train, grid, opts.batchSize, opts.augmentation, Rng.fromState(state.augmentRng), opts.seed, opts.ignoreBelow ?? 0);
  const { order } = state;
  const nextIndices = (): number[] => {
    const out: number[] = [];
    while (out.length < opts.batchSize) {
      if (state.cursor === order.length) {
        for (let i = order.length - 1; i > 0; i--) { const j = rng.int(0, i); [order[i], order[j]] = [order[j], order[i]]; }
        state.cursor = 0;
      }
      out.push(order[state.cursor++]);
    }
    return out;
  };
  const started = performance.now();
  const startStep = state.step;
  let lossSum = [0, 0, 0, 0], lossRows = 0, lastLoss = NaN, lastValidation: number | null = null;
  let intervalStart = performance.now(), intervalImages = 0;
  const logEvery = Math.max(1, Math.min(50, opts.evalEvery));
  while (state.step < opts.steps && !opts.signal?.aborted) {
    const lr = state.step < opts.warmup ? opts.learningRate * (state.step + 1) / opts.warmup
      : opts.learningRate * 0.5 * (1 + Math.cos(Math.PI * (state.step - opts.warmup) / Math.max(1, opts.steps - opts.warmup)));
    optimizer.learningRate = lr;
    const b = maker.make(nextIndices());
    const values = tf.tidy(() => {
      const B = b.size;
      const x = tf.tensor4d(b.pixels, [B, train.height, train.width, 3]);
      const t = {
        positive: tf.tensor4d(b.positive, [B, gridH, gridW, K]),
        negativeWeight: tf.tensor4d(b.negativeWeight, [B, gridH, gridW, K]),
        regression: tf.tensor4d(b.regression, [B, gridH, gridW, 4]),
        regressionWeight: tf.tensor4d(b.regressionWeight, [B, gridH, gridW, 1]),
        count: b.objects,
      };
      let parts: tf.Scalar[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const p = detectorLoss(net.apply(x), t);
        parts = [tf.keep(p.heatmap), tf.keep(p.offset), tf.keep(p.size)];
        return p.total;
      }, net.variables);
      optimizer.applyGradients(grads);
      const out = tf.stack([value, ...parts]);
      tf.dispose(parts);
      return out;
    });
    const v = (await values.data()) as Float32Array;
    values.dispose();
    // Let the event loop run (a Ctrl-C handler, a progress bar): the wasm backend resolves data() without it.
    await new Promise((resolve) => setImmediate(resolve));
    state.step++;
    intervalImages += b.size;
    if (!v.every(Number.isFinite)) throw new Error(`train-detector: the loss is not finite at step ${state.step} (${[...v].join(', ')}); lower --lr`);
    for (let i = 0; i < 4; i++) lossSum[i] += v[i];
    lossRows++;
    lastLoss = v[0];
    const evalNow = opts.validation !== null && (state.step % opts.evalEvery === 0 || state.step === opts.steps);
    let val: { ap: number; ap50: number } | null = null;
    if (evalNow) {
      val = await validationAp(net, opts.validation!, opts.minHeight);
      lastValidation = val.ap50;
      // An AP that cannot be measured (no validation object tall enough) never makes a best; on a
      // tie the later, longer-trained weights win.
      if (Number.isFinite(val.ap50) && (state.bestAp50 === null || val.ap50 >= state.bestAp50)) {
        state.bestAp50 = val.ap50;
        state.bestStep = state.step;
        await saveModelDir(net, join(opts.out, 'best'), 'float32', { ...opts.provenance, step: state.step, validationAp50: val.ap50, validationAp: val.ap });
      }
    }
    if (state.step % logEvery === 0 || evalNow || state.step === opts.steps) {
      const seconds = (performance.now() - intervalStart) / 1000;
      const ips = intervalImages / Math.max(1e-9, seconds);
      const m = lossSum.map((s) => s / lossRows);
      appendFileSync(curve, `${state.step},${m.map((x) => x.toFixed(5)).join(',')},${ips.toFixed(1)},${lr.toExponential(3)},${val ? val.ap50.toFixed(4) : ''},${val ? val.ap.toFixed(4) : ''}\n`);
      opts.onProgress?.({ step: state.step, steps: opts.steps, loss: m[0], imagesPerSecond: ips, validationAp50: lastValidation });
      lossSum = [0, 0, 0, 0];
      lossRows = 0;
      intervalStart = performance.now();
      intervalImages = 0;
    }
    if (state.step % opts.checkpointEvery === 0 || state.step === opts.steps || opts.signal?.aborted) {
      state.rng = [...rng.state()];
      state.augmentRng = [...maker.rng.state()];
      await checkpoint(opts, net, optimizer, state);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  optimizer.dispose();
  return {
    steps: state.step,
    seconds,
    imagesPerSecond: ((state.step - startStep) * opts.batchSize) / Math.max(1e-9, seconds),
    finalLoss: lastLoss,
    bestAp50: state.bestAp50,
    bestStep: state.bestStep,
    interrupted: state.step < opts.steps,
  };
}

async function checkpoint(opts: DetectorTrainOptions, net: DetectorNet, optimizer: AdamW, state: LoopState): Promise<void> {
  const dir = join(opts.out, 'checkpoint');
  await saveModelDir(net, dir, 'float32', { ...opts.provenance, step: state.step });
  const moments = await optimizer.getWeights();
  const { data, specs } = await tf.io.encodeWeights(moments);
  // The step count comes as a new tensor; the moments are the optimizer's own.
  moments[0].tensor.dispose();
  writeFileSync(join(dir, 'optimizer.bin'), new Uint8Array(data));
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ ...state, optimizer: specs, steps: opts.steps, batchSize: opts.batchSize }) + '\n');
}

/** A checkpoint that cannot be continued from; the message names the file and the field */
export class CheckpointError extends Error {}

const whole = z.number().int().nonnegative();
const SavedState = z.object({
  step: whole,
  rng: z.array(z.number().int()).min(1),
  augmentRng: z.array(z.number().int()).min(1),
  order: z.array(whole),
  cursor: whole,
  bestAp50: z.number().nullable(),
  bestStep: whole.nullable(),
  optimizer: z.array(z.object({ name: z.string(), shape: z.array(whole), dtype: z.enum(['float32', 'int32']) })),
});

/** `<out>/checkpoint/state.json` checked against a training set of `images` images; null when there is none */
export function readCheckpoint(out: string, images: number): z.infer<typeof SavedState> | null {
  const file = join(out, 'checkpoint', 'state.json');
  if (!existsSync(file)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CheckpointError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = SavedState.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CheckpointError(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const saved = parsed.data;
  if (saved.order.length !== images || saved.cursor > images || saved.order.some((i) => i >= images)) {
    throw new CheckpointError(`${file}: order: the run trained on ${saved.order.length} images, its data now gives ${images}; expected the capture directories as they were`);
  }
  return saved;
}

/** The loop state of `<out>/checkpoint` when it exists, with the optimizer restored from it */
async function restore(opts: DetectorTrainOptions, optimizer: AdamW, images: number): Promise<LoopState | null> {
  const dir = join(opts.out, 'checkpoint');
  const saved = readCheckpoint(opts.out, images);
  if (!saved) return null;
  const bytes = existsSync(join(dir, 'optimizer.bin')) ? readFileSync(join(dir, 'optimizer.bin')) : null;
  const needed = saved.optimizer.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  if (!bytes || bytes.length !== needed) throw new CheckpointError(`${join(dir, 'optimizer.bin')}: expected ${needed} bytes of optimizer state, ${bytes ? `got ${bytes.length}` : 'found none'}`);
  const tensors = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, saved.optimizer);
  try {
    await optimizer.setWeights(Object.entries(tensors).map(([name, tensor]) => ({ name, tensor })));
  } catch (err) {
    throw new CheckpointError(`${join(dir, 'optimizer.bin')}: ${(err as Error).message}`);
  } finally {
    tf.dispose(Object.values(tensors));
  }
  const { step, rng, augmentRng, order, cursor, bestAp50, bestStep } = saved;
  return { step, rng, augmentRng, order, cursor, bestAp50, bestStep };
}
