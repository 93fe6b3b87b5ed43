/** Detector figures for bench:perf: inference and training speed of the built-in CNN on wasm. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTf, tf } from '../perception/runtime/tfjs.ts';
import { createDetectorNet } from '../perception/detectors/cnn/net.ts';
import { gridDetector } from '../perception/detectors/cnn/detector.ts';
import { SHIPPED_CNN } from '../perception/detectors/cnn/load.ts';
import { loadModelDir } from '../perception/detectors/cnn/modelDir.ts';
import type { Precision } from '../perception/detectors/cnn/modelFile.ts';
import { loadCaptureDataset } from '../perception/training/captureDataset.ts';
import { DEFAULT_AUGMENTATION } from '../perception/training/detectorBatch.ts';
import { trainDetector } from '../perception/training/detectorTrainer.ts';
import { capture } from '../src/capture.ts';
import { resolveScenario } from '../sim/env/registry.ts';

/** Frames/s of the shipped detector at `precision` (a fresh network of the same shape when none is shipped), batches of `batch` highway-like frames, decoding included */
export async function detectorFramesPerSecond(precision: Precision, batch: number, batches: number): Promise<{ framesPerSecond: number; shipped: boolean }> {
  await initTf('wasm');
  const dir = join(SHIPPED_CNN, precision);
  const shipped = existsSync(join(dir, 'model.json'));
  const net = shipped ? loadModelDir(dir).net : createDetectorNet({}, 0);
  const detector = gridDetector({ name: 'cnn', classes: net.config.classes, input: net.config.input, predict: net.apply, dispose: () => net.dispose() });
  const random = tf.randomUniform([batch, 96, 128, 3], 0, 255, 'int32', 1);
  const pixels = Uint8Array.from(random.dataSync());
  random.dispose();
  const intrinsics = { fx: 91.4, fy: 91.4, cx: 64, cy: 48, width: 128, height: 96, near: 0.1, far: 200 };
  const frames = Array.from({ length: batch }, (_, i) => ({ width: 128, height: 96, data: pixels.subarray(i * 36864, (i + 1) * 36864), timestamp: i, cameraId: 'front', intrinsics }));
  for (let i = 0; i < 5; i++) await detector.detectBatch(frames);
  const t0 = performance.now();
  for (let i = 0; i < batches; i++) await detector.detectBatch(frames);
  const seconds = (performance.now() - t0) / 1000;
  detector.dispose();
  return { framesPerSecond: (batch * batches) / seconds, shipped };
}

/** Training images/s of the detector on wasm, batch 32, augmentation on, on frames captured from highway */
export async function detectorTrainingImagesPerSecond(steps: number): Promise<number> {
  await initTf('wasm');
  const data = mkdtempSync(join(tmpdir(), 'drivelab-bench-'));
  try {
    await capture({ scenario: resolveScenario('highway'), seeds: [0, 1, 2, 3], frames: 16, every: 8, agent: 'expert', out: join(data, 'c'), camera: { type: 'camera' } });
    const train = loadCaptureDataset([join(data, 'c')], ['vehicle', 'pedestrian', 'obstacle'], [96, 128]);
    const options = { train, validation: null, batchSize: 32, learningRate: 1e-3, weightDecay: 0.05, warmup: 1, augmentation: DEFAULT_AUGMENTATION, seed: 0, evalEvery: 1_000_000, checkpointEvery: 1_000_000, minHeight: 6, provenance: {} };
    const warm = createDetectorNet({}, 0);
    await trainDetector({ ...options, net: warm, out: join(data, 'warm'), steps: 3 });
    warm.dispose();
    const net = createDetectorNet({}, 0);
    const r = await trainDetector({ ...options, net, out: join(data, 'run'), steps });
    net.dispose();
    return r.imagesPerSecond;
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}
