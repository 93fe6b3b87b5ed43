/**
 * The built-in oracles (DESIGN §6), reached like any plug-in. `oracle` reports exactly the
 * ground-truth boxes of the frame, score 1: perception as if it were perfect. `noisy-oracle`
 * degrades them as a real detector would, for ablations: it misses some objects, jitters the boxes
 * and adds false positives. Its noise depends on its seed and the frame (camera and time) alone,
 * so runs repeat exactly. Both read the instance and semantic images that drivelab's frames carry.
 */
import { groundTruthBoxes } from '../../sim/sensors/camera/groundTruth.ts';
import { SemanticClass } from '../../sim/scene/semantics.ts';
import { Rng } from '../../sim/rng.ts';
import { DETECTION_CLASSES, type CameraFrame, type Detection, type Detector } from './types.ts';
import { DetectorError } from './validate.ts';

const LABEL_OF = new Map<number, string>([[SemanticClass.vehicle, 'vehicle'], [SemanticClass.pedestrian, 'pedestrian'], [SemanticClass.obstacle, 'obstacle']]);

/** A frame with the simulator's ground-truth images */
interface GroundTruthFrame extends CameraFrame {
  instance: Int32Array;
  semantic: Uint8Array;
}

let noCoverCounts = new Int32Array(0);

/** The ground-truth boxes of `frame` as detections with score 1, those under `minPixels` visible pixels left out */
export function groundTruthDetections(frame: CameraFrame, minPixels = 1): Detection[] {
  const f = frame as Partial<GroundTruthFrame>;
  if (!(f.instance instanceof Int32Array) || !(f.semantic instanceof Uint8Array)) {
    throw new DetectorError(`frame ${frame.cameraId}@${frame.timestamp}s: the oracle reads ground truth, which only drivelab's own camera frames carry (instance and semantic images)`);
  }
  let maxInstance = 0;
  for (let i = 0; i < f.instance.length; i++) if (f.instance[i] > maxInstance) maxInstance = f.instance[i];
  if (noCoverCounts.length <= maxInstance) noCoverCounts = new Int32Array(maxInstance + 1);
  const out: Detection[] = [];
  for (const box of groundTruthBoxes(f.instance, f.semantic, frame.width, noCoverCounts)) {
    const label = LABEL_OF.get(box.semantic);
    if (label && box.pixels >= minPixels) out.push({ bbox: [...box.bbox], label, score: 1 });
  }
  return out;
}

export interface OracleOptions {
  /** Objects with fewer visible pixels are not reported (default 1: every one) */
  minPixels?: number;
}

export function loadOracle(options: OracleOptions = {}): Detector {
  const minPixels = options.minPixels ?? 1;
  return {
    name: 'oracle',
    classes: [...DETECTION_CLASSES],
    detect: async (frame) => groundTruthDetections(frame, minPixels),
    dispose: () => {},
  };
}

export interface NoisyOracleOptions extends OracleOptions {
  /** Probability that an object is missed */
  missRate?: number;
  /** σ of the noise on each box edge, as a fraction of the box's size */
  jitter?: number;
  /** Mean number of false positives per frame (Poisson) */
  falsePositives?: number;
  seed?: number;
}

/** FNV-1a over the camera id, mixed with the time in ms and the seed: the frame's noise stream */
function frameSeed(seed: number, frame: CameraFrame): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < frame.cameraId.length; i++) h = Math.imul(h ^ frame.cameraId.charCodeAt(i), 0x01000193);
  return (Math.imul(h ^ Math.round(frame.timestamp * 1000), 0x01000193) >>> 0);
}

export function loadNoisyOracle(options: NoisyOracleOptions = {}): Detector {
  const { minPixels = 1, missRate = 0.1, jitter = 0.05, falsePositives = 0.1, seed = 0 } = options;
  for (const [name, v, max] of [['missRate', missRate, 1], ['jitter', jitter, 1], ['falsePositives', falsePositives, 100]] as const) {
    if (!(v >= 0 && v <= max)) throw new DetectorError(`noisy-oracle: ${name}: expected a number from 0 to ${max}, got ${v}`);
  }
  return {
    name: 'noisy-oracle',
    classes: [...DETECTION_CLASSES],
    detect: async (frame) => {
      const rng = Rng.seeded(frameSeed(seed, frame));
      const out: Detection[] = [];
      for (const d of groundTruthDetections(frame, minPixels)) {
        if (rng.next() < missRate) continue;
        const [x, y, w, h] = d.bbox;
        const x0 = x + w * jitter * rng.normal(), y0 = y + h * jitter * rng.normal();
        const x1 = x + w + w * jitter * rng.normal(), y1 = y + h + h * jitter * rng.normal();
        const bx = Math.max(0, Math.min(x0, x1)), by = Math.max(0, Math.min(y0, y1));
        const bw = Math.min(frame.width, Math.max(x0, x1)) - bx, bh = Math.min(frame.height, Math.max(y0, y1)) - by;
        if (bw > 0 && bh > 0) out.push({ bbox: [bx, by, bw, bh], label: d.label, score: Math.min(1, Math.max(0.05, 0.9 + 0.1 * rng.normal())) });
      }
      // Poisson by inversion: false positives of random class, place and size, with low scores.
      for (let k = 0, p = Math.exp(-falsePositives), u = rng.next(), cdf = p; u > cdf && k < 100; k++) {
        p *= falsePositives / (k + 1);
        cdf += p;
        const w = 4 + rng.next() * frame.width * 0.2, h = 4 + rng.next() * frame.height * 0.2;
        out.push({ bbox: [rng.next() * (frame.width - w), rng.next() * (frame.height - h), w, h], label: DETECTION_CLASSES[rng.int(0, 2)], score: 0.05 + 0.4 * rng.next() });
      }
      return out;
    },
    dispose: () => {},
  };
}
