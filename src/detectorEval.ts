/**
 * Captures, detects and scores in one go (`drivelab eval-detector`): the agent drives the
 * scenario on each seed under each lighting, the camera renders every `every` steps, the detector
 * runs on each frame (checked at the boundary), and the results are scored against the frame's
 * ground truth with COCO box AP, overall, per class, by lighting and by distance. A ground-truth
 * object's distance is the median depth of its visible pixels; a detection's, the lower quartile
 * of the depths in its box (the object is the nearest thing in it, the background farther).
 */
import type { Scenario } from '../scenarios/schema.ts';
import { DrivingEnv } from '../sim/env/DrivingEnv.ts';
import { resolveScenario } from '../sim/env/registry.ts';
import { TimeLimit } from '../sim/env/wrappers.ts';
import { Camera, type CameraSpecInput } from '../sim/sensors/camera/Camera.ts';
import type { CameraFrame } from '../sim/sensors/camera/CameraFrame.ts';
import { initPhysics } from '../sim/world/physics.ts';
import { loadDetector, ORACLES } from '../perception/detectors/loader.ts';
import { DetectorError, detectChecked } from '../perception/detectors/validate.ts';
import { cocoEvaluate, cocoEvaluateSlices, type CocoDetection, type CocoEvalResult } from '../perception/metrics/cocoEval.ts';
import { CATEGORIES } from './capture.ts';
import { loadAgent } from './agents.ts';

export const LIGHTING = ['day', 'dusk', 'night'] as const;
export type Lighting = (typeof LIGHTING)[number];
export const DISTANCE_BINS: Record<string, [number, number]> = { '0–20 m': [0, 20], '20–40 m': [20, 40], '40–80 m': [40, 80], '80 m+': [80, Infinity] };

export interface DetectorEvalOptions {
  detector: string;
  detectorOptions?: Record<string, unknown>;
  /** Scenarios to drive, one after another; the figures pool their frames */
  scenarios: Scenario[];
  agent: string;
  seeds: number[];
  /** Frames per seed and lighting, at most */
  frames: number;
  every: number;
  lighting: Lighting[];
  /** The camera of each scenario, in order */
  cameras: CameraSpecInput[];
  timeoutMs: number;
  /** Run a plug-in module in its own worker thread (see perception/detectors/isolated.ts) */
  isolate?: boolean;
  /**
   * Ground truth boxes lower than this are ignored, neither missed nor matched, and detections
   * lower than this are left out [px]. KITTI scores objects from 25 px of its 375-px rows; scaled
   * to a 96-px frame that is 6 px.
   */
  minHeight: number;
  /** A bad detector result: `stop` ends the run with its error, `skip` leaves the frame out */
  onError: 'stop' | 'skip';
  onFrame?: (done: number) => void;
}

export interface DetectorEvalResult {
  detector: string;
  scenario: string;
  images: number;
  /** Ground truth scored, and ground truth ignored as lower than `minHeight` */
  objects: number;
  ignored: number;
  /** The tfjs backend that ran the detector, null when it ran none */
  backend: string | null;
  detections: number;
  /** Frames left out after a bad detector result (`onError: skip`), with the first message */
  skipped: number;
  firstError: string | null;
  /** Detections with a label that is not a drivelab class, left out */
  unknownLabels: number;
  overall: CocoEvalResult;
  byLighting: Record<string, number>;
  /** Vehicle AP50 of each lighting's frames */
  byLightingVehicleAp50: Record<string, number>;
  /** With several scenarios: AP, AP50 and vehicle AP50 of each one's frames */
  byScenario: Record<string, { ap: number; ap50: number; vehicleAp50: number }>;
  byDistance: Record<string, number>;
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return Infinity;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.floor(q * values.length))];
}

/** Depths in `bbox` of `frame`; only those of `instance` when given */
function depthsIn(f: CameraFrame, bbox: readonly number[], instance?: number): number[] {
  const out: number[] = [];
  const x0 = Math.max(0, Math.floor(bbox[0])), y0 = Math.max(0, Math.floor(bbox[1]));
  const x1 = Math.min(f.width, Math.ceil(bbox[0] + bbox[2])), y1 = Math.min(f.height, Math.ceil(bbox[1] + bbox[3]));
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
    const p = y * f.width + x;
    if (Number.isFinite(f.depth[p]) && (instance === undefined || f.instance[p] === instance)) out.push(f.depth[p]);
  }
  return out;
}

/** The tfjs backend in use, without loading tfjs when nothing has */
async function tfBackend(): Promise<string | null> {
  return (await import('../perception/runtime/tfjs.ts')).backendInUse();
}

type Truth = { image_id: number; category_id: number; bbox: [number, number, number, number]; area: number; distance: number; ignore: boolean };
type Result = CocoDetection & { distance: number };

export async function evaluateDetector(opts: DetectorEvalOptions): Promise<DetectorEvalResult> {
  await initPhysics();
  const detector = await loadDetector(opts.detector, opts.detectorOptions, opts.isolate ? { timeoutMs: opts.timeoutMs, loadTimeoutMs: Math.max(opts.timeoutMs, 30_000) } : undefined);
  const builtin = ORACLES.includes(opts.detector);
  const categoryOf = new Map<number, number>(CATEGORIES.map((c) => [c.semantic, c.id]));
  const categoryByName = new Map<string, number>(CATEGORIES.map((c) => [c.name, c.id]));
  const images: { id: number; lighting: Lighting; scenario: string }[] = [];
  const truth: Truth[] = [];
  const results: Result[] = [];
  let skipped = 0, unknownLabels = 0, firstError: string | null = null;
  try {
    for (const [k, base] of opts.scenarios.entries()) for (const lighting of opts.lighting) {
      const scenario = resolveScenario(base, { environment: { timeOfDay: lighting } });
      const env = new TimeLimit(new DrivingEnv(scenario), Math.round(scenario.limits.duration / scenario.sim.stepDt));
      const policy = await loadAgent(opts.agent, env);
      const camera = new Camera(opts.cameras[k]);
      for (const seed of opts.seeds) {
        let { observation } = env.reset({ seed });
        policy.reset(seed);
        for (let step = 0, n = 0; n < opts.frames; step++) {
          if (step % opts.every === 0) {
            const frame = camera.render(env.unwrapped.world, env.unwrapped.scene);
            n++;
            let detections;
            try {
              // A plug-in gets the frame of the contract; only the built-in oracles read the ground-truth images.
              const seen = builtin ? frame : { width: frame.width, height: frame.height, data: frame.data, timestamp: frame.timestamp, cameraId: frame.cameraId, intrinsics: frame.intrinsics };
              // An isolated plug-in times out in its own thread first, which is then stopped.
              detections = await detectChecked(detector, seen, opts.isolate ? opts.timeoutMs + 1000 : opts.timeoutMs);
            } catch (err) {
              if (!(err instanceof DetectorError) || opts.onError === 'stop') throw err;
              skipped++;
              firstError ??= err.message;
              detections = null;
            }
            if (detections) {
              const imageId = images.length + 1;
              images.push({ id: imageId, lighting, scenario: base.id });
              for (const box of camera.boxes()) {
                const category = categoryOf.get(box.semantic);
                if (category !== undefined) truth.push({ image_id: imageId, category_id: category, bbox: box.bbox, area: box.pixels, distance: quantile(depthsIn(frame, box.bbox, box.instance), 0.5), ignore: box.bbox[3] < opts.minHeight });
              }
              for (const d of detections) {
                const category = categoryByName.get(d.label);
                if (category === undefined) unknownLabels++;
                // As in KITTI, detections under the height limit are ignored as the objects are.
                else if (d.bbox[3] >= opts.minHeight) results.push({ image_id: imageId, category_id: category, bbox: d.bbox, score: d.score, distance: quantile(depthsIn(frame, d.bbox), 0.25) });
              }
            }
            opts.onFrame?.(images.length + skipped);
          }
          if (n === opts.frames) break;
          const r = env.step(policy.act(observation, { deterministic: true }));
          observation = r.observation;
          if (r.terminated || r.truncated) break;
        }
      }
      env.close();
    }
  } finally {
    // A dispose() that throws must not cost the figures.
    try {
      detector.dispose();
    } catch {}
  }
  const categories = CATEGORIES.map(({ id, name }) => ({ id, name }));
  const gt = { images: images.map(({ id }) => ({ id })), annotations: truth, categories };
  const subset = (keep: (i: (typeof images)[number]) => boolean) => {
    const ids = new Set(images.filter(keep).map((i) => i.id));
    return cocoEvaluate({ images: [...ids].map((id) => ({ id })), annotations: truth.filter((a) => ids.has(a.image_id)), categories }, results.filter((d) => ids.has(d.image_id)));
  };
  const byLighting: Record<string, number> = {}, byLightingVehicleAp50: Record<string, number> = {};
  for (const lighting of opts.lighting) {
    const r = subset((i) => i.lighting === lighting);
    byLighting[lighting] = r.ap;
    byLightingVehicleAp50[lighting] = r.perClass.vehicle.ap50;
  }
  const byScenario: Record<string, { ap: number; ap50: number; vehicleAp50: number }> = {};
  if (opts.scenarios.length > 1) {
    for (const { id } of opts.scenarios) {
      const r = subset((i) => i.scenario === id);
      byScenario[id] = { ap: r.ap, ap50: r.ap50, vehicleAp50: r.perClass.vehicle.ap50 };
    }
  }
  return {
    detector: detector.name,
    scenario: opts.scenarios.map((x) => x.id).join(','),
    images: images.length,
    objects: truth.filter((t) => !t.ignore).length,
    ignored: truth.filter((t) => t.ignore).length,
    backend: ORACLES.includes(opts.detector) ? null : await tfBackend(),
    detections: results.length,
    skipped,
    firstError,
    unknownLabels,
    overall: cocoEvaluate(gt, results),
    byLighting,
    byLightingVehicleAp50,
    byScenario,
    byDistance: cocoEvaluateSlices(gt, results, DISTANCE_BINS, (a) => a.distance, (d) => d.distance),
  };
}
