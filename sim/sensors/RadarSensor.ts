/**
 * Radar: the objects in its field of view that a ray from the radar reaches first, nearest
 * first, each with range, azimuth and range rate (positive when moving apart), with Gaussian noise.
 *
 * Layout: [targets, 5]: present, range / max range, azimuth / half the field of view (positive
 * left), range rate / 50 m/s, semantic class id / 10.
 */
import type { z } from 'zod';
import type { RadarSensor as RadarSpec } from '../../scenarios/schema.ts';
import { Box } from '../env/spaces.ts';
import type { Rng } from '../rng.ts';
import type { World } from '../world/World.ts';
import { semanticOf } from '../scene/semantics.ts';
import { mountPose, newSensorPose } from './mount.ts';
import type { Sensor, SensorContext } from './types.ts';

export const RADAR_FIELDS = 5;
/** Range-rate scale [m/s] */
const RATE_SCALE = 50;
const DEG = Math.PI / 180;

export class RadarSensor implements Sensor {
  readonly type = 'radar';
  readonly id: string;
  readonly rate: number;
  readonly spaces: Readonly<Record<string, Box>>;
  private readonly spec: z.infer<typeof RadarSpec>;
  private readonly pose = newSensorPose();
  private readonly found: { range: number; azimuth: number; rate: number; cls: number }[] = [];
  private rng: Rng | null = null;

  constructor(spec: z.infer<typeof RadarSpec>, stepRate: number) {
    this.spec = spec;
    this.id = spec.id;
    this.rate = spec.rate ?? stepRate;
    this.spaces = { [spec.id]: new Box(-1, 1, [spec.targets, RADAR_FIELDS]) };
  }

  reset(_world: World, rng: Rng): void {
    this.rng = rng;
  }

  observe(ctx: SensorContext, readings: Record<string, Float32Array>): void {
    const world = ctx.world;
    const ego = world.egoActor;
    const p = mountPose(ego, this.spec.mount, this.pose);
    const half = (this.spec.fov / 2) * DEG;
    const max = this.spec.range;
    const found = this.found;
    found.length = 0;
    const evx = ego.speed * Math.cos(ego.heading), evy = ego.speed * Math.sin(ego.heading);
    for (let i = 1; i < world.actors.length; i++) {
      const a = world.actors[i];
      if (!a.active) continue;
      const dx = a.x - p.x, dy = a.y - p.y;
      const range = Math.hypot(dx, dy);
      if (range > max || range < 0.1) continue;
      const azimuth = Math.atan2(dy, dx) - p.yaw;
      const az = Math.atan2(Math.sin(azimuth), Math.cos(azimuth));
      if (Math.abs(az) > half) continue;
      if (!this.lineOfSight(world, p.x, p.y, p.z, a.x, a.y, Math.min(p.z, a.height / 2), range, i)) continue;
      const rvx = a.speed * Math.cos(a.heading) - evx, rvy = a.speed * Math.sin(a.heading) - evy;
      found.push({ range, azimuth: az, rate: (rvx * dx + rvy * dy) / range, cls: semanticOf(a) });
    }
    found.sort((a, b) => a.range - b.range);
    const out = new Float32Array(this.spec.targets * RADAR_FIELDS);
    const n = this.spec.noise;
    const rng = this.rng;
    for (let k = 0; k < Math.min(found.length, this.spec.targets); k++) {
      const t = found[k];
      const o = k * RADAR_FIELDS;
      const range = rng ? t.range + rng.normal(0, n.range) : t.range;
      const az = rng ? t.azimuth + rng.normal(0, n.azimuth * DEG) : t.azimuth;
      const rate = rng ? t.rate + rng.normal(0, n.rangeRate) : t.rate;
      out[o] = 1;
      out[o + 1] = clamp(range / max, 0, 1);
      out[o + 2] = clamp(az / half, -1, 1);
      out[o + 3] = clamp(rate / RATE_SCALE, -1, 1);
      out[o + 4] = t.cls / 10;
    }
    readings[this.id] = out;
  }

  /** The first thing a ray towards the target's centre meets is the target itself. */
  private lineOfSight(world: World, x: number, y: number, z: number, tx: number, ty: number, tz: number, range: number, index: number): boolean {
    const dz = tz - z;
    const len = Math.hypot(range, dz);
    const rays = world.rays;
    rays.setOrigin(x, y, z);
    const toi = rays.cast((tx - x) / len, (ty - y) / len, dz / len, len + 5);
    return toi >= 0 && world.actorOfCollider(rays.collider) === world.actors[index];
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
