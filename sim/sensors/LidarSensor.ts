/**
 * Lidar by Rapier ray casts: `channels` rings of `rays` azimuth steps each, from a mount on the
 * ego. Each return is the range as a fraction of the maximum (1 when nothing is hit), with
 * optional Gaussian range noise, and optionally the semantic class of what was hit.
 *
 * Layout: [channels × rays], channel 0 lowest, azimuth 0 straight ahead, anticlockwise.
 */
import type { z } from 'zod';
import type { LidarSensor as LidarSpec } from '../../scenarios/schema.ts';
import { Box } from '../env/spaces.ts';
import type { Rng } from '../rng.ts';
import { SemanticClass, SEMANTIC_CLASS_COUNT, semanticOf } from '../scene/semantics.ts';
import type { World } from '../world/World.ts';
import { mountPose, newSensorPose, type MountSpec } from './mount.ts';
import type { Sensor, SensorContext } from './types.ts';

const DEG = Math.PI / 180;

/** The mount of a lidar spec, its `height` standing in for a z the mount leaves out. */
export function lidarMount(spec: z.infer<typeof LidarSpec>): MountSpec {
  return { x: 0, y: 0, yaw: 0, pitch: 0, roll: 0, ...spec.mount, z: spec.mount?.z ?? spec.height };
}

/**
 * Unit ray directions in the sensor frame (x forward, y left, z up), [channels × rays × 3], in
 * the layout of the readings. The sensor pitches them by its mount pitch, then yaws them; it
 * ignores the mount roll.
 */
export function lidarDirections(spec: Pick<z.infer<typeof LidarSpec>, 'channels' | 'rays' | 'verticalFov'>): Float64Array {
  const dirs = new Float64Array(spec.channels * spec.rays * 3);
  const [lo, hi] = spec.verticalFov;
  for (let c = 0; c < spec.channels; c++) {
    const el = (spec.channels === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * c) / (spec.channels - 1)) * DEG;
    for (let r = 0; r < spec.rays; r++) {
      const az = (2 * Math.PI * r) / spec.rays;
      const k = (c * spec.rays + r) * 3;
      dirs[k] = Math.cos(el) * Math.cos(az);
      dirs[k + 1] = Math.cos(el) * Math.sin(az);
      dirs[k + 2] = Math.sin(el);
    }
  }
  return dirs;
}

export class LidarSensor implements Sensor {
  readonly type = 'lidar';
  readonly id: string;
  readonly rate: number;
  readonly spaces: Readonly<Record<string, Box>>;
  private readonly spec: z.infer<typeof LidarSpec>;
  private readonly mount: MountSpec;
  private readonly size: number;
  /** Ray directions in the sensor frame (x forward, y left, z up), per ray */
  private readonly dirs: Float64Array;
  private readonly pose = newSensorPose();
  private rng: Rng | null = null;

  constructor(spec: z.infer<typeof LidarSpec>, stepRate: number) {
    this.spec = spec;
    this.id = spec.id;
    this.rate = spec.rate ?? stepRate;
    this.mount = lidarMount(spec);
    this.size = spec.channels * spec.rays;
    const spaces: Record<string, Box> = { [spec.id]: new Box(0, 1, [spec.channels, spec.rays]) };
    if (spec.classes) spaces[`${spec.id}.classes`] = new Box(0, SEMANTIC_CLASS_COUNT - 1, [spec.channels, spec.rays]);
    this.spaces = spaces;
    this.dirs = lidarDirections(spec);
  }

  reset(_world: World, rng: Rng): void {
    this.rng = rng;
  }

  observe(ctx: SensorContext, readings: Record<string, Float32Array>): void {
    const world = ctx.world;
    const ranges = new Float32Array(this.size);
    const classes = this.spec.classes ? new Float32Array(this.size) : null;
    const p = mountPose(world.egoActor, this.mount, this.pose);
    const cy = Math.cos(p.yaw), sy = Math.sin(p.yaw), cp = Math.cos(p.pitch), sp = Math.sin(p.pitch);
    const rays = world.rays;
    rays.setOrigin(p.x, p.y, p.z);
    const max = this.spec.range;
    const noise = this.spec.noise;
    for (let i = 0; i < this.size; i++) {
      const k = i * 3;
      // Sensor frame → ground frame: pitch about the sensor's y axis, then yaw.
      const fx = this.dirs[k] * cp - this.dirs[k + 2] * sp;
      const fz = this.dirs[k] * sp + this.dirs[k + 2] * cp;
      const fy = this.dirs[k + 1];
      const gx = cy * fx - sy * fy, gy = sy * fx + cy * fy;
      const toi = rays.cast(gx, gy, fz, max);
      if (toi < 0) {
        ranges[i] = 1;
        continue;
      }
      let range = toi;
      if (noise > 0 && this.rng) range = Math.max(0, range + this.rng.normal(0, noise));
      ranges[i] = Math.min(range / max, 1);
      if (classes) classes[i] = this.classify(world, rays.collider, p.x + gx * toi, p.y + gy * toi);
    }
    readings[this.id] = ranges;
    if (classes) readings[`${this.id}.classes`] = classes;
  }

  private classify(world: World, handle: number, x: number, y: number): number {
    const actor = world.actorOfCollider(handle);
    if (actor) return semanticOf(actor);
    if (world.isBuilding(handle)) return SemanticClass.building;
    return world.network.isDrivable(x, y) ? SemanticClass.road : SemanticClass.terrain;
  }
}
