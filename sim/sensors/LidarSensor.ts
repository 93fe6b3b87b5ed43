/**
 * A horizontal lidar sweep by Rapier ray casts from the ego's roof: one range per ray, as a
 * fraction of the maximum range (1 when nothing is hit). Ray 0 points forward; rays go anticlockwise.
 */
import type { z } from 'zod';
import type { LidarSensor as LidarSpec } from '../../scenarios/schema.ts';
import { Box } from '../env/spaces.ts';
import { RAPIER } from '../world/physics.ts';
import type { World } from '../world/World.ts';
import type { Sensor } from './types.ts';

export class LidarSensor implements Sensor {
  readonly type = 'lidar';
  readonly id: string;
  readonly rate: number;
  readonly space: Box;
  private readonly range: number;
  private readonly height: number;
  private readonly ray = new RAPIER.Ray({ x: 0, y: 0, z: 0 }, { x: 1, y: 0, z: 0 });
  /** Ray directions in the ego frame, cos and sin of the azimuth */
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(spec: z.infer<typeof LidarSpec>, stepRate: number) {
    this.id = spec.id;
    this.rate = stepRate;
    this.range = spec.range;
    this.height = spec.height;
    this.space = new Box(0, 1, [spec.rays]);
    this.cos = new Float64Array(spec.rays);
    this.sin = new Float64Array(spec.rays);
    for (let i = 0; i < spec.rays; i++) {
      const az = (2 * Math.PI * i) / spec.rays;
      this.cos[i] = Math.cos(az);
      this.sin[i] = Math.sin(az);
    }
  }

  observe(world: World): Float32Array {
    const out = new Float32Array(this.space.size);
    const ego = world.egoActor;
    const ray = this.ray;
    const c = Math.cos(ego.heading), s = Math.sin(ego.heading);
    ray.origin.x = ego.x;
    ray.origin.y = this.height;
    ray.origin.z = -ego.y;
    const exclude = world.ego.collider;
    for (let i = 0; i < out.length; i++) {
      // Ground (x, y) direction → 3D (X, −Z).
      const gx = c * this.cos[i] - s * this.sin[i];
      const gy = s * this.cos[i] + c * this.sin[i];
      ray.dir.x = gx;
      ray.dir.y = 0;
      ray.dir.z = -gy;
      const hit = world.physics.castRay(ray, this.range, true, undefined, undefined, exclude);
      out[i] = hit ? hit.timeOfImpact / this.range : 1;
    }
    return out;
  }
}
