/**
 * A grid detector: any network that maps [batch, H, W, 3] RGB frames (0..255) to the output
 * convention of net.ts — [batch, H/s, W/s, K + 4] with K heatmap logits, centre offset and log
 * size per cell — becomes a `Detector`. The built-in CNN and tfjs model directories both use it.
 * Frames of another size are resized to the network's input, and boxes scaled back.
 */
import * as tf from '@tensorflow/tfjs';
import type { CameraFrame, Detection, Detector } from '../types.ts';
import { decodeDetections, type GridShape } from './boxes.ts';

export interface GridDetectorOptions {
  /** Lowest score reported (default 0.1) */
  threshold?: number;
  /** Most detections per frame (default 100, COCO's maxDets) */
  maxDetections?: number;
}

export interface GridNetwork {
  name: string;
  classes: string[];
  /** [height, width] the network takes [px] */
  input: [number, number];
  /** frames → grid output; must not keep its input */
  predict(x: tf.Tensor4D): tf.Tensor4D;
  dispose(): void;
}

/** A detector that can also take several frames in one call: the fast path for throughput */
export interface BatchDetector extends Detector {
  detectBatch(frames: readonly CameraFrame[]): Promise<Detection[][]>;
}

export function gridDetector(network: GridNetwork, options: GridDetectorOptions = {}): BatchDetector {
  const threshold = options.threshold ?? 0.1;
  const maxDetections = options.maxDetections ?? 100;
  if (!(threshold > 0 && threshold < 1)) throw new RangeError(`threshold: expected a number in (0, 1), got ${threshold}`);
  if (!(Number.isInteger(maxDetections) && maxDetections > 0)) throw new RangeError(`maxDetections: expected a whole number above 0, got ${maxDetections}`);
  const [inH, inW] = network.input;
  const K = network.classes.length;
  let input = new Float32Array(0);

  async function detectBatch(frames: readonly CameraFrame[]): Promise<Detection[][]> {
    if (frames.length === 0) return [];
    const { width, height } = frames[0];
    if (frames.some((f) => f.width !== width || f.height !== height)) return Promise.all(frames.map(async (f) => (await detectBatch([f]))[0]));
    const pixels = width * height * 3;
    if (input.length < frames.length * pixels) input = new Float32Array(frames.length * pixels);
    for (const [i, f] of frames.entries()) {
      if (f.data.length !== pixels) throw new Error(`frame: expected ${pixels} bytes of RGB for ${width}×${height}, got ${f.data.length}`);
      input.set(f.data, i * pixels);
    }
    const output = tf.tidy(() => {
      let x = tf.tensor4d(input.subarray(0, frames.length * pixels), [frames.length, height, width, 3]);
      if (height !== inH || width !== inW) x = tf.image.resizeBilinear(x, [inH, inW]);
      return network.predict(x);
    });
    if (output.rank !== 4) {
      output.dispose();
      throw new Error(`${network.name}: expected an output of rank 4 [batch, rows, columns, ${K + 4}], got [${output.shape}]`);
    }
    const [, gridH, gridW, C] = output.shape;
    const values = (await output.data()) as Float32Array;
    output.dispose();
    if (C !== K + 4) throw new Error(`${network.name}: expected ${K + 4} output channels (${K} classes + 4), got ${C}`);
    const grid: GridShape = { gridH, gridW, classes: K, stride: inH / gridH };
    const sx = width / inW, sy = height / inH;
    return frames.map((_, i) => {
      const found = decodeDetections(values, i * gridH * gridW * C, grid, network.classes, { threshold, maxDetections, imageSize: [inW, inH] });
      if (sx !== 1 || sy !== 1) for (const d of found) d.bbox = [d.bbox[0] * sx, d.bbox[1] * sy, d.bbox[2] * sx, d.bbox[3] * sy];
      return found;
    });
  }

  return {
    name: network.name,
    classes: network.classes,
    detect: async (frame) => (await detectBatch([frame]))[0],
    detectBatch,
    dispose: () => network.dispose(),
  };
}
