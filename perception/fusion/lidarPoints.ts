/**
 * A lidar sweep as points. Each return of a `LidarSensor` reading ([channels × rays] ranges as
 * fractions of the maximum, 1 for no return) is turned back into the point the ray hit, along the
 * ray the sensor cast: in the ego frame (x forward, y left, z up, from the ground under the ego's
 * centre [m]) and in the world (ground x, y and height z [m]).
 *
 * Ground and road returns are dropped by height: drivelab's ground is the plane z = 0, so a point
 * below `groundHeight` is the road, a kerb or a marking, never an object worth tracking.
 */
import type { z } from 'zod';
import { LidarSensor as LidarSpecSchema } from '../../scenarios/schema.ts';
import { lidarDirections, lidarMount } from '../../sim/sensors/LidarSensor.ts';

export type LidarSpec = z.infer<typeof LidarSpecSchema>;
export type LidarSpecInput = z.input<typeof LidarSpecSchema>;

/** The ego's pose in the world: ground position of the body centre [m] and heading [rad, anticlockwise from +x] */
export interface EgoPose {
  x: number;
  y: number;
  heading: number;
}

/** One lidar reading with the ego's pose when it was taken */
export interface LidarScan {
  /** [s] */
  timestamp: number;
  /** [channels × rays] ranges as fractions of the lidar's range, 1 for no return */
  ranges: ArrayLike<number>;
  ego: EgoPose;
}

/** Where a lidar's rays start and point, in the ego frame; fixed for a mounted sensor. */
export interface LidarGeometry {
  channels: number;
  rays: number;
  /** Maximum range [m] */
  range: number;
  /** The sensor's origin in the ego frame [m] */
  origin: [number, number, number];
  /** Unit ray directions in the ego frame, [channels × rays × 3], mount pitch and yaw applied as the sensor applies them */
  dirs: Float64Array;
}

/** The geometry of a lidar spec (as in a scenario file; defaults filled in). */
export function lidarGeometry(input: LidarSpecInput | LidarSpec): LidarGeometry {
  const spec = LidarSpecSchema.parse(input);
  const mount = lidarMount(spec);
  const sensorDirs = lidarDirections(spec);
  const DEG = Math.PI / 180;
  const cp = Math.cos(mount.pitch * DEG), sp = Math.sin(mount.pitch * DEG), cy = Math.cos(mount.yaw * DEG), sy = Math.sin(mount.yaw * DEG);
  const dirs = new Float64Array(sensorDirs.length);
  for (let k = 0; k < dirs.length; k += 3) {
    // Pitch about the sensor's y axis, then the mount's yaw (as LidarSensor.observe; roll is ignored there too).
    const fx = sensorDirs[k] * cp - sensorDirs[k + 2] * sp, fz = sensorDirs[k] * sp + sensorDirs[k + 2] * cp, fy = sensorDirs[k + 1];
    dirs[k] = cy * fx - sy * fy;
    dirs[k + 1] = sy * fx + cy * fy;
    dirs[k + 2] = fz;
  }
  return { channels: spec.channels, rays: spec.rays, range: spec.range, origin: [mount.x, mount.y, mount.z], dirs };
}

export interface PointOptions {
  /** Returns lower than this above the ground are road, not objects [m] */
  groundHeight: number;
}

export const DEFAULT_POINTS: PointOptions = { groundHeight: 0.25 };

/** The kept returns of one sweep, struct of arrays; buffers grow and are reused from sweep to sweep. */
export class LidarPoints {
  /** Points kept */
  count = 0;
  /** Returns dropped as ground */
  ground = 0;
  /** [count × 3] ego frame [m] */
  ego = new Float64Array(0);
  /** [count × 3] world: ground x, y and height z [m] */
  world = new Float64Array(0);
  /** [count] index of the reading each point came from (channel · rays + ray) */
  ray = new Int32Array(0);

  /** Fills the points from one reading `ranges` of a lidar with geometry `g`, taken with the ego at `pose`. */
  fromScan(ranges: ArrayLike<number>, g: LidarGeometry, pose: EgoPose, options: PointOptions = DEFAULT_POINTS): this {
    const n = g.channels * g.rays;
    if (ranges.length !== n) throw new Error(`lidar points: expected ${n} ranges (${g.channels} channels × ${g.rays} rays), got ${ranges.length}`);
    if (this.ray.length < n) {
      this.ego = new Float64Array(n * 3);
      this.world = new Float64Array(n * 3);
      this.ray = new Int32Array(n);
    }
    const [ox, oy, oz] = g.origin, dirs = g.dirs, max = g.range, minZ = options.groundHeight;
    const c = Math.cos(pose.heading), s = Math.sin(pose.heading);
    const ego = this.ego, world = this.world, ray = this.ray;
    let m = 0, ground = 0;
    for (let i = 0; i < n; i++) {
      const f = ranges[i];
      // 1 is "no return" (a hit at exactly the maximum range reads 1 as well).
      if (!(f < 1)) continue;
      const r = f * max, k = i * 3;
      const z = oz + r * dirs[k + 2];
      if (z < minZ) {
        ground++;
        continue;
      }
      const x = ox + r * dirs[k], y = oy + r * dirs[k + 1], o = m * 3;
      ego[o] = x; ego[o + 1] = y; ego[o + 2] = z;
      world[o] = pose.x + c * x - s * y;
      world[o + 1] = pose.y + s * x + c * y;
      world[o + 2] = z;
      ray[m++] = i;
    }
    this.count = m;
    this.ground = ground;
    return this;
  }
}
