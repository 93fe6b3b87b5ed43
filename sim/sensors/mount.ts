/**
 * Sensor mounts: where a sensor sits on the ego and where it points, as a pose in the ground
 * frame. The ego's pitch and roll are small and ignored; its heading is not.
 */
import type { z } from 'zod';
import type { Mount } from '../../scenarios/schema.ts';
import type { Actor } from '../world/actors.ts';

export type MountSpec = z.infer<typeof Mount>;

const DEG = Math.PI / 180;

/** A sensor pose: position on the ground [m] and height, and yaw/pitch [rad] in the ground frame. */
export interface SensorPose {
  x: number;
  y: number;
  z: number;
  yaw: number;
  pitch: number;
  roll: number;
}

export function newSensorPose(): SensorPose {
  return { x: 0, y: 0, z: 0, yaw: 0, pitch: 0, roll: 0 };
}

/** The pose of a sensor mounted on `ego`, written into `out`. */
export function mountPose(ego: Actor, mount: MountSpec, out: SensorPose): SensorPose {
  const c = Math.cos(ego.heading), s = Math.sin(ego.heading);
  out.x = ego.x + c * mount.x - s * mount.y;
  out.y = ego.y + s * mount.x + c * mount.y;
  out.z = mount.z;
  out.yaw = ego.heading + mount.yaw * DEG;
  out.pitch = mount.pitch * DEG;
  out.roll = mount.roll * DEG;
  return out;
}
