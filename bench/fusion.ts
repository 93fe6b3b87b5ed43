/**
 * Speed of the fusion pipeline (perception/fusion/pipeline.ts) with the oracle detector on the
 * highway (20 NPCs), camera rendering and physics left out: highway episodes are driven by the
 * expert and recorded first (each frame's instance and semantic images, the lidar sweep of the
 * eval-tracking rig, the ego's pose), then replayed through the pipeline, each frame timed alone.
 * Clustering, projection, fusion and tracking are timed; so, in a second figure, is the oracle's
 * reading of its boxes from the images.
 */
import { createExpert } from '../agents/expert.ts';
import { groundTruthDetections } from '../perception/detectors/oracle.ts';
import type { CameraFrame, Detection } from '../perception/detectors/types.ts';
import type { EgoPose } from '../perception/fusion/lidarPoints.ts';
import { FusionPipeline } from '../perception/fusion/pipeline.ts';
import { LidarSensor as LidarSpecSchema } from '../scenarios/schema.ts';
import { make } from '../sim/env/registry.ts';
import { Camera } from '../sim/sensors/camera/Camera.ts';
import { LidarSensor } from '../sim/sensors/LidarSensor.ts';
import { Rng } from '../sim/rng.ts';
import { TRACKING_LIDAR } from '../src/trackingEval.ts';

interface Recorded {
  frame: CameraFrame & { instance: Int32Array; semantic: Uint8Array };
  detections: Detection[];
  ranges: Float32Array;
  ego: EgoPose;
}

export interface FusionSpeed {
  /** Frames per second through cluster, project, fuse and track */
  framesPerSecond: number;
  /** 99th percentile of one frame's wall time, and of its CPU time [ms] */
  p99Ms: number;
  p99CpuMs: number;
  /** The same with the oracle's detect step timed as well */
  withOracleFps: number;
  withOracleP99Ms: number;
  withOracleP99CpuMs: number;
  /** Detections and confirmed tracks per frame */
  detections: number;
  tracks: number;
}

async function record(seeds: number[], frames: number): Promise<Recorded[][]> {
  const env = await make('highway');
  const expert = createExpert(env);
  const camera = new Camera({ type: 'camera', id: 'front' });
  const spec = LidarSpecSchema.parse(TRACKING_LIDAR);
  const lidar = new LidarSensor(spec, 10);
  const readings: Record<string, Float32Array> = {};
  const episodes: Recorded[][] = [];
  for (const seed of seeds) {
    let { observation } = env.reset({ seed });
    const world = env.unwrapped.world;
    lidar.reset(world, Rng.seeded(seed));
    const out: Recorded[] = [];
    for (let k = 0; k < frames; k++) {
      const f = camera.render(world, env.unwrapped.scene);
      lidar.observe({ world, scene: () => env.unwrapped.scene }, readings);
      const frame = { ...f, instance: f.instance.slice(), semantic: f.semantic.slice() };
      const ego = world.egoActor;
      out.push({ frame, detections: groundTruthDetections(frame), ranges: readings[spec.id], ego: { x: ego.x, y: ego.y, heading: ego.heading } });
      const r = env.step(expert.act(observation));
      observation = r.observation;
      if (r.terminated || r.truncated) break;
    }
    episodes.push(out);
  }
  env.close();
  return episodes;
}

/** This process's CPU time [ms]: unlike the wall clock, it stands still while other processes run */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Runs every recorded frame `passes` times; returns each timed frame's wall and CPU milliseconds,
 * and detections and tracks per frame.
 */
function replay(episodes: Recorded[][], passes: number, withOracle: boolean, intrinsics: CameraFrame['intrinsics']): { times: Float64Array; cpu: Float64Array; detections: number; tracks: number } {
  const n = episodes.reduce((a, e) => a + e.length, 0);
  const times = new Float64Array(n * passes), cpu = new Float64Array(n * passes);
  const pipeline = new FusionPipeline({ camera: { intrinsics, mount: new Camera({ type: 'camera' }).spec.mount }, lidar: TRACKING_LIDAR });
  let t = 0, detections = 0, tracks = 0;
  for (let p = 0; p < passes; p++) {
    for (const episode of episodes) {
      pipeline.reset();
      for (let k = 0; k < episode.length; k++) {
        const r = episode[k];
        const startCpu = cpuMs(), start = performance.now();
        const found = withOracle ? groundTruthDetections(r.frame) : r.detections;
        const out = pipeline.step({ timestamp: k * 0.1, detections: found, ranges: r.ranges, ego: r.ego });
        times[t] = performance.now() - start;
        cpu[t++] = cpuMs() - startCpu;
        detections += found.length;
        tracks += out.length;
      }
    }
  }
  return { times, cpu, detections: detections / t, tracks: tracks / t };
}

const p99 = (times: Float64Array) => times.slice().sort()[Math.min(times.length - 1, Math.floor(0.99 * times.length))];

export async function fusionSpeed(seeds = [0, 1], frames = 300, passes = 6): Promise<FusionSpeed> {
  const episodes = await record(seeds, frames);
  const intrinsics = episodes[0][0].frame.intrinsics;
  // Warm-up: the JIT settles over the first thousand frames or so.
  replay(episodes, 3, true, intrinsics);
  // The two variants take turns, so a change in the machine's load falls on both alike.
  const runs = { core: [] as ReturnType<typeof replay>[], oracle: [] as ReturnType<typeof replay>[] };
  for (let p = 0; p < passes; p++) {
    runs.core.push(replay(episodes, 1, false, intrinsics));
    runs.oracle.push(replay(episodes, 1, true, intrinsics));
  }
  const join = (rs: ReturnType<typeof replay>[], key: 'times' | 'cpu') => Float64Array.from(rs.flatMap((r) => Array.from(r[key])));
  const fps = (times: Float64Array) => (times.length / times.reduce((a, b) => a + b, 0)) * 1000;
  const core = join(runs.core, 'times'), oracle = join(runs.oracle, 'times');
  return {
    framesPerSecond: fps(core),
    p99Ms: p99(core),
    p99CpuMs: p99(join(runs.core, 'cpu')),
    withOracleFps: fps(oracle),
    withOracleP99Ms: p99(oracle),
    withOracleP99CpuMs: p99(join(runs.oracle, 'cpu')),
    detections: runs.core.reduce((a, r) => a + r.detections, 0) / passes,
    tracks: runs.core.reduce((a, r) => a + r.tracks, 0) / passes,
  };
}
