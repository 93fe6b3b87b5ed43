/**
 * `PerceivedEnv`: the env as the agent sees it through perception. After every reset and step of
 * the wrapped env, the camera renders, a lidar of perception's own sweeps, the detector runs on the
 * frame and the fusion pipeline (fusion/pipeline.ts) updates its world-frame tracks. The object
 * slots of the `features` observation and its leader entries (16, 17) are then rewritten from the
 * confirmed tracks, in FeatureSensor's layout, scaling, range and nearest-first order. Every other
 * entry and every other key of the observation, the reward, termination and info are the wrapped
 * env's: they come from the true world. `reset` and `step` are async because detection is.
 *
 * Assumptions:
 * - the ego knows its own pose, speed, lane and route exactly (perfect localisation, as the fusion
 *   pipeline assumes), and the road network (an HD map); ego entries 0–15 are left as they are;
 * - camera: `options.camera`, else the scenario's camera, else the default 128×96 front camera;
 *   lidar: `options.lidar`, else TRACKING_LIDAR (720 rays, 80 m), not the scenario's lidar; nothing
 *   beyond the lidar's range is measured (fusion holds its flat-road estimates to it too), where
 *   ground truth lists objects up to the features sensor's range (100 m by default);
 * - only confirmed tracks count (DEFAULT_TRACKER: 3 hits), so an object shows up two frames after
 *   it is first detected, and the observations of reset and of the first step list none; a track
 *   outlives its last detection by `maxMisses` frames, so what leaves the camera's view (e.g. a car
 *   passed) soon vanishes, where ground truth lists every actor within range all round;
 * - an object's position is its track's centre estimate [m] (fusion takes every object to head the
 *   way the ego does, so on tight bends it can be a metre off sideways, and an oncoming car can
 *   read as the leader for a few frames), its relative velocity the track's velocity less the
 *   ego's [m/s]; its relative heading is that of the track's velocity when it is faster than
 *   MOVING [m/s], else the ego's (cos 1, sin 0); class one-hots come from the label (any other
 *   label: all three 0);
 * - leader: the nearest track not labelled pedestrian whose body overlaps the ego's lane (or the
 *   lane it straddles) or a lane after it, ahead along those lanes and within range, as ground truth
 *   counts a body over a lane line in both lanes; a track's body is the fusion's typical footprint
 *   for its label (length × width [m]), taken to lie along the lane; the gap is bumper to bumper;
 *   the speed is the track's velocity along the lane; no leader reads as ground truth's "none
 *   within range": gap 1, relative speed 0;
 * - perception runs at every env step; when the features sensor is slower than the step, its
 *   perceived reading repeats between its own readings, as the wrapped env repeats its reading;
 * - only with `groundTruthFrames` does the detector get the simulator's full frame (the oracles
 *   need its instance and semantic images); otherwise it gets the contract's frame (detectors/types.ts).
 * The detector is the caller's, who may share it between envs: `close()` leaves it loaded.
 */
import type { z } from 'zod';
import { LidarSensor as LidarSpecSchema, type FeaturesSensor } from '../scenarios/schema.ts';
import type { Action, DrivingEnv, Observation } from '../sim/env/DrivingEnv.ts';
import type { Env, Info, ResetArgs, ResetResult, RgbFrame, StepResult } from '../sim/env/Env.ts';
import type { Space } from '../sim/env/spaces.ts';
import { newProjection } from '../sim/road/Path.ts';
import { NO_LANE } from '../sim/road/RoadNetwork.ts';
import { Rng } from '../sim/rng.ts';
import { Camera, type CameraSpecInput } from '../sim/sensors/camera/Camera.ts';
import { EGO_FEATURES, OBJECT_FEATURES, SPEED_SCALE as V } from '../sim/sensors/FeatureSensor.ts';
import { LidarSensor } from '../sim/sensors/LidarSensor.ts';
import { lanesFrom } from '../sim/world/egoPlan.ts';
import type { World } from '../sim/world/World.ts';
import type { CameraFrame, Detection, Detector } from './detectors/types.ts';
import { detectChecked } from './detectors/validate.ts';
import type { EgoPose, LidarSpecInput } from './fusion/lidarPoints.ts';
import { FusionPipeline, TRACKING_LIDAR, type FusionConfig } from './fusion/pipeline.ts';
import type { Track } from './fusion/tracker.ts';
import { NearestList } from '../sim/sensors/nearestList.ts';

/** Tracks slower than this are taken to face the way the ego does [m/s] */
export const MOVING = 1;

export interface PerceivedEnvOptions {
  camera?: CameraSpecInput;
  lidar?: LidarSpecInput;
  /** Give the detector the simulator's full frame with its ground-truth images (the oracles need it) */
  groundTruthFrames?: boolean;
  /** Longest a detect() call may take [ms] (default 10,000) */
  timeoutMs?: number;
  /** Settings of the fusion stages, as FusionPipeline takes them */
  fusion?: Omit<FusionConfig, 'camera' | 'lidar'>;
}

export class PerceivedEnv {
  readonly camera: Camera;
  readonly pipeline: FusionPipeline;
  /** The confirmed tracks after the last reset or step, in world coordinates */
  tracks: readonly Track[] = [];
  /** The detector's answer for the last frame, in camera pixels */
  detections: readonly Detection[] = [];
  private readonly lidar: LidarSensor;
  private readonly lidarId: string;
  private readonly readings: Record<string, Float32Array> = {};
  /** The features observation's key, object count and range [m] */
  private readonly key: string;
  private readonly objects: number;
  private readonly range: number;
  private readonly groundTruthFrames: boolean;
  private readonly timeoutMs: number;
  /** The last perceived features reading, repeated while the features sensor is not due */
  private last: Float32Array | null = null;
  private readonly pose: EgoPose = { x: 0, y: 0, heading: 0 };
  /** The frame of the contract, over the camera's buffers */
  private readonly contractFrame: CameraFrame;
  private readonly sensorContext = { world: null as unknown as World, scene: () => this.env.unwrapped.scene };
  private readonly nearest: NearestList;
  private readonly proj = newProjection();

  constructor(readonly env: Env<Observation, Action>, readonly detector: Detector, options: PerceivedEnvOptions = {}) {
    const scenario = env.unwrapped.scenario;
    const features = scenario.sensors.find((s): s is z.infer<typeof FeaturesSensor> => s.type === 'features');
    const space = env.observationSpace;
    if (!features || space.type !== 'dict' || !(features.id in space.spaces)) {
      throw new Error(`PerceivedEnv: scenario ${scenario.id}: the observation has no features entry (a features sensor), where the perceived objects go`);
    }
    this.key = features.id;
    this.objects = features.objects;
    this.range = features.range;
    this.nearest = new NearestList(features.objects);
    this.camera = new Camera(options.camera ?? scenario.sensors.find((s) => s.type === 'camera') ?? { type: 'camera' });
    const lidarSpec = LidarSpecSchema.parse(options.lidar ?? TRACKING_LIDAR);
    this.lidar = new LidarSensor(lidarSpec, 1 / scenario.sim.stepDt);
    this.lidarId = lidarSpec.id;
    this.pipeline = new FusionPipeline({ ...options.fusion, camera: { intrinsics: this.camera.frame.intrinsics, mount: this.camera.spec.mount }, lidar: lidarSpec });
    this.groundTruthFrames = options.groundTruthFrames ?? false;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const f = this.camera.frame;
    this.contractFrame = { width: f.width, height: f.height, data: f.data, timestamp: 0, cameraId: f.cameraId, intrinsics: f.intrinsics };
  }

  get observationSpace(): Space {
    return this.env.observationSpace;
  }

  get actionSpace(): Space {
    return this.env.actionSpace;
  }

  get unwrapped(): DrivingEnv {
    return this.env.unwrapped;
  }

  async reset(args?: ResetArgs): Promise<ResetResult<Observation>> {
    const r = this.env.reset(args);
    const world = this.env.unwrapped.world;
    this.lidar.reset(world, Rng.seeded(world.seed));
    this.pipeline.reset();
    this.last = null;
    return { observation: await this.perceive(r.observation, r.info), info: r.info };
  }

  async step(action: Action): Promise<StepResult<Observation>> {
    const r = this.env.step(action);
    r.observation = await this.perceive(r.observation, r.info);
    return r;
  }

  render(): RgbFrame | null {
    return this.env.render();
  }

  close(): void {
    this.env.close();
  }

  /** Runs perception on the current world and returns `observation` with the perceived features */
  private async perceive(observation: Observation, info: Info): Promise<Observation> {
    const world = this.env.unwrapped.world;
    const frame = this.camera.render(world, this.env.unwrapped.scene);
    this.sensorContext.world = world;
    this.lidar.observe(this.sensorContext, this.readings);
    this.contractFrame.timestamp = frame.timestamp;
    const detections = (this.detections = await detectChecked(this.detector, this.groundTruthFrames ? frame : this.contractFrame, this.timeoutMs));
    const ego = world.egoActor;
    this.pose.x = ego.x;
    this.pose.y = ego.y;
    this.pose.heading = ego.heading;
    this.tracks = this.pipeline.step({ timestamp: world.time, detections, ranges: this.readings[this.lidarId], ego: this.pose });

    const taken = (info.sensors as Record<string, { timestamp: number }> | undefined)?.[this.key]?.timestamp;
    if (this.last && taken !== undefined && taken < world.time - 1e-9) return { ...observation, [this.key]: this.last };
    const out = observation[this.key].slice();
    this.writeLeader(world, out);
    this.writeObjects(world, out);
    this.last = out;
    return { ...observation, [this.key]: out };
  }

  /** Entries 16, 17 from the tracks: the bumper gap to the leader and its speed relative to the ego's */
  private writeLeader(world: World, out: Float32Array): void {
    const ego = world.egoActor;
    const lanes = world.network.lanes;
    const sizes = this.pipeline.parts.fusion.sizes, defaultSize = this.pipeline.parts.fusion.defaultSize;
    const c = Math.cos(ego.heading), s = Math.sin(ego.heading);
    // A leader's centre is at most `range` ahead along the lanes, so no farther than this in a straight line.
    const reach = this.range + 10, reach2 = reach * reach;
    let gap = this.range, speed = ego.speed;
    if (Math.abs(world.egoState.headingError) < Math.PI / 2) {
      for (let k = 0; k < 2; k++) {
        const lane = k === 0 ? ego.lane : ego.lane2;
        if (lane === NO_LANE) continue;
        const plan = lanesFrom(world, lane);
        const s0 = k === 0 ? ego.s : ego.s2;
        for (const t of this.tracks) {
          if (t.label === 'pedestrian') continue;
          const [length, width] = sizes[t.label] ?? defaultSize;
          const dx = t.position[0] - ego.x, dy = t.position[1] - ego.y;
          if (dx * dx + dy * dy > reach2) continue;
          // Where the track lies along the plan's lanes, searched from its distance ahead of the ego.
          const forward = c * dx + s * dy;
          let offset = 0, ahead = -1;
          for (let p = 0; p < plan.length && offset - s0 <= this.range; p++) {
            const l = lanes[plan[p]];
            const pr = l.path.project(t.position[0], t.position[1], this.proj, Math.min(Math.max(s0 + forward - offset, 0), l.path.length));
            if (pr.s >= 0 && pr.s <= l.path.length && Math.abs(pr.d) < (l.width + width) / 2) {
              ahead = pr.s + offset - s0;
              break;
            }
            offset += l.path.length;
          }
          if (ahead < 0 || ahead > this.range) continue;
          const g = ahead - (ego.length + length) / 2;
          if (g < gap) {
            gap = Math.max(0, g);
            speed = t.velocity[0] * Math.cos(this.proj.heading) + t.velocity[1] * Math.sin(this.proj.heading);
          }
        }
      }
    }
    out[16] = clip(gap / this.range);
    out[17] = clip((speed - ego.speed) / V);
  }

  /** The object slots from the confirmed tracks within range, nearest first; the rest zero */
  private writeObjects(world: World, out: Float32Array): void {
    out.fill(0, EGO_FEATURES);
    const n = this.objects;
    if (n === 0) return;
    const ego = world.egoActor;
    const tracks = this.tracks;
    const r2 = this.range * this.range;
    const nearest = this.nearest;
    nearest.clear();
    for (let i = 0; i < tracks.length; i++) {
      const dx = tracks[i].position[0] - ego.x, dy = tracks[i].position[1] - ego.y;
      const d2 = dx * dx + dy * dy;
      if (d2 <= r2) nearest.offer(i, d2);
    }
    const found = nearest.count;
    const c = Math.cos(ego.heading), s = Math.sin(ego.heading);
    const evx = ego.speed * c, evy = ego.speed * s;
    for (let k = 0; k < found; k++) {
      const t = tracks[nearest.index[k]];
      const o = EGO_FEATURES + k * OBJECT_FEATURES;
      const dx = t.position[0] - ego.x, dy = t.position[1] - ego.y;
      const vx = t.velocity[0], vy = t.velocity[1];
      const dvx = vx - evx, dvy = vy - evy;
      const v = Math.hypot(vx, vy);
      out[o] = 1;
      out[o + 1] = clip((c * dx + s * dy) / this.range);
      out[o + 2] = clip((-s * dx + c * dy) / this.range);
      out[o + 3] = clip((c * dvx + s * dvy) / V);
      out[o + 4] = clip((-s * dvx + c * dvy) / V);
      // cos and sin of (velocity heading − ego heading), without trigonometry.
      out[o + 5] = v > MOVING ? (c * vx + s * vy) / v : 1;
      out[o + 6] = v > MOVING ? (-s * vx + c * vy) / v : 0;
      out[o + 7] = t.label === 'vehicle' ? 1 : 0;
      out[o + 8] = t.label === 'pedestrian' ? 1 : 0;
      out[o + 9] = t.label === 'obstacle' ? 1 : 0;
    }
  }
}

function clip(x: number): number {
  return x < -1 ? -1 : x > 1 ? 1 : x;
}
