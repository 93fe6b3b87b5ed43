/**
 * Tracking quality of the fusion pipeline (`drivelab eval-tracking`): the agent drives the scenario
 * on each seed; every step the camera renders, the lidar sweeps, the detector runs on the frame,
 * and the fusion pipeline (perception/fusion/pipeline.ts) turns detections, sweep and ego pose
 * into world-frame tracks, which are scored against the actors' true positions with CLEAR MOT
 * (MOTA, MOTP) and IDF1.
 *
 * What counts, frame by frame:
 * - ground truth is every actor other than the ego within `range` metres of the ego's centre
 *   that the camera shows (at least `minPixels` pixels of it in the frame the detector saw): the
 *   pipeline starts tracks from camera detections only, so that is what it can be asked to find;
 * - every other actor (hidden, out of the camera's view, or beyond `range`) is ignored: a track on
 *   one is neither a match nor a false positive (mot.ts; KITTI's don't-care), so a track coasting
 *   through an occlusion or past the edge of the image costs nothing;
 * - tracks are the confirmed ones within `range` of the ego;
 * - a track and an actor correspond within `threshold` metres in the ground plane (centre to
 *   centre; 2 m is under half a car's length, so a track on the wrong car of a queue does not count).
 * Ids are made unique per episode, so IDF1 pairs trajectories within one episode only.
 */
import type { Scenario } from '../scenarios/schema.ts';
import { DrivingEnv } from '../sim/env/DrivingEnv.ts';
import { TimeLimit } from '../sim/env/wrappers.ts';
import { Camera, type CameraSpecInput } from '../sim/sensors/camera/Camera.ts';
import { LidarSensor } from '../sim/sensors/LidarSensor.ts';
import { LidarSensor as LidarSpecSchema } from '../scenarios/schema.ts';
import { Rng } from '../sim/rng.ts';
import { initPhysics } from '../sim/world/physics.ts';
import { loadDetector, ORACLES } from '../perception/detectors/loader.ts';
import { detectChecked } from '../perception/detectors/validate.ts';
import type { LidarSpecInput } from '../perception/fusion/lidarPoints.ts';
import { FusionPipeline, TRACKING_LIDAR } from '../perception/fusion/pipeline.ts';
import { motMetrics, type MotFrame, type MotResult } from '../perception/metrics/mot.ts';
import { loadAgent } from './agents.ts';

/** The lidar of the evaluation (see perception/fusion/pipeline.ts) */
export { TRACKING_LIDAR };

export interface TrackingEvalOptions {
  detector: string;
  detectorOptions?: Record<string, unknown>;
  scenario: Scenario;
  agent: string;
  seeds: number[];
  /** Frames (env steps) per seed, at most */
  frames: number;
  camera: CameraSpecInput;
  lidar?: LidarSpecInput;
  /** Ground truth and tracks farther than this from the ego are left out [m] */
  range?: number;
  /** Largest distance at which a track and an actor correspond [m] */
  threshold?: number;
  /** Fewest visible pixels of an actor for it to count */
  minPixels?: number;
  timeoutMs: number;
  onFrame?: (done: number) => void;
}

export interface TrackingEvalResult extends MotResult {
  detector: string;
  /** The tfjs backend that ran the detector, null when it ran none */
  backend: string | null;
  scenario: string;
  episodes: number;
  frames: number;
  /** [m] */
  range: number;
  threshold: number;
  detections: number;
  /** Measurements placed by a lidar cluster and by the flat road under the box */
  lidarMeasurements: number;
  groundMeasurements: number;
  /** Confirmed tracks per frame, within range */
  meanTracks: number;
}

export async function evaluateTracking(opts: TrackingEvalOptions): Promise<TrackingEvalResult> {
  await initPhysics();
  const range = opts.range ?? 50, threshold = opts.threshold ?? 2, minPixels = opts.minPixels ?? 1;
  const builtin = ORACLES.includes(opts.detector);
  // The oracles report what the ground truth counts: objects with at least `minPixels` pixels.
  const detector = await loadDetector(opts.detector, builtin ? { minPixels, ...opts.detectorOptions } : opts.detectorOptions, builtin ? undefined : { timeoutMs: opts.timeoutMs, loadTimeoutMs: Math.max(opts.timeoutMs, 30_000) });
  const lidarSpec = LidarSpecSchema.parse(opts.lidar ?? TRACKING_LIDAR);
  const frames: MotFrame[] = [];
  let detections = 0, lidarMeasurements = 0, groundMeasurements = 0, tracked = 0;
  try {
    const scenario = opts.scenario;
    const env = new TimeLimit(new DrivingEnv(scenario), Math.round(scenario.limits.duration / scenario.sim.stepDt));
    const policy = await loadAgent(opts.agent, env);
    const camera = new Camera(opts.camera);
    const lidar = new LidarSensor(lidarSpec, 1 / scenario.sim.stepDt);
    const readings: Record<string, Float32Array> = {};
    for (let e = 0; e < opts.seeds.length; e++) {
      const seed = opts.seeds[e];
      let { observation } = env.reset({ seed });
      policy.reset(seed);
      const world = env.unwrapped.world;
      lidar.reset(world, Rng.seeded(seed));
      const pipeline = new FusionPipeline({ camera: { intrinsics: camera.frame.intrinsics, mount: camera.spec.mount }, lidar: lidarSpec });
      // Ids unique across episodes: actor and track ids stay well below a million per episode.
      const base = (e + 1) * 1_000_000;
      for (let n = 0; n < opts.frames; n++) {
        const frame = camera.render(world, env.unwrapped.scene);
        lidar.observe({ world, scene: () => env.unwrapped.scene }, readings);
        // A plug-in gets the frame of the contract; only the built-in oracles read the ground-truth images.
        const seen = builtin ? frame : { width: frame.width, height: frame.height, data: frame.data, timestamp: frame.timestamp, cameraId: frame.cameraId, intrinsics: frame.intrinsics };
        const found = await detectChecked(detector, seen, builtin ? opts.timeoutMs : opts.timeoutMs + 1000);
        const ego = world.egoActor;
        const tracks = pipeline.step({ timestamp: world.time, detections: found, ranges: readings[lidarSpec.id], ego: { x: ego.x, y: ego.y, heading: ego.heading } });
        detections += found.length;
        for (const m of pipeline.measurements) if (m.source === 'lidar') lidarMeasurements++; else groundMeasurements++;
        const shown = new Set(camera.boxes().filter((b) => b.pixels >= minPixels).map((b) => b.actorId));
        const near = (x: number, y: number) => Math.hypot(x - ego.x, y - ego.y) <= range;
        const truth: MotFrame['truth'] = [], ignore: MotFrame['truth'] = [];
        for (const a of world.actors) {
          if (a === ego || !a.active) continue;
          (shown.has(a.id) && near(a.x, a.y) ? truth : ignore).push({ id: base + a.id, position: [a.x, a.y] });
        }
        const kept = tracks.filter((t) => near(t.position[0], t.position[1])).map((t) => ({ id: base + t.id, position: t.position }));
        tracked += kept.length;
        frames.push({ truth, tracks: kept, ignore });
        opts.onFrame?.(frames.length);
        if (n + 1 === opts.frames) break;
        const r = env.step(policy.act(observation, { deterministic: true }));
        observation = r.observation;
        if (r.terminated || r.truncated) break;
      }
    }
    env.close();
  } finally {
    // A dispose() that throws must not cost the figures.
    try {
      detector.dispose();
    } catch {}
  }
  return {
    detector: detector.name,
    backend: builtin ? null : (await import('../perception/runtime/tfjs.ts')).backendInUse(),
    scenario: opts.scenario.id,
    episodes: opts.seeds.length,
    frames: frames.length,
    range,
    threshold,
    detections,
    lidarMeasurements,
    groundMeasurements,
    meanTracks: frames.length === 0 ? 0 : tracked / frames.length,
    ...motMetrics(frames, threshold),
  };
}
