/**
 * Ground (x, y) ↔ 3D world (X, Y, Z) with Y up, shared by Rapier and three.js: X = x, Z = −y.
 * This map keeps handedness, so a heading θ on the ground is a rotation of θ about +Y.
 */

export interface Quat {
  x: number;
  y: number;
  z: number;
  w: number;
}

/** Rotation of `heading` [rad] about +Y, written into `out`. */
export function yawQuat(heading: number, out: Quat): Quat {
  out.x = 0;
  out.y = Math.sin(heading / 2);
  out.z = 0;
  out.w = Math.cos(heading / 2);
  return out;
}

/** Ground heading of a body's +X axis under rotation q [rad]. */
export function headingOfQuat(q: Quat): number {
  const fx = 1 - 2 * (q.y * q.y + q.z * q.z);
  const fz = 2 * (q.x * q.z - q.w * q.y);
  return Math.atan2(-fz, fx);
}
