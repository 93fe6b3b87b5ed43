/** Inverse of the ego's drivetrain: the pedal positions that give a wanted acceleration. */
import { EGO_PARAMS, type EgoControls } from '../world/EgoVehicle.ts';

/** Deceleration at full brake on dry road [m/s²], measured on the ego model */
export const FULL_BRAKE_DECEL = 8.9;

/** Throttle and brake for acceleration `accel` [m/s²] at speed `speed` [m/s], written into `out`. */
export function pedalsFor(accel: number, speed: number, out: EgoControls): EgoControls {
  const p = EGO_PARAMS;
  const resistance = speed > 0.05 ? p.rollingResistance * p.mass * 9.81 + p.dragFactor * speed * speed : 0;
  const force = p.mass * accel + resistance;
  if (force >= 0) {
    out.throttle = Math.min(force / p.maxDriveForce, 1);
    out.brake = 0;
  } else {
    out.throttle = 0;
    out.brake = Math.min(-force / p.mass / FULL_BRAKE_DECEL, 1);
  }
  // Hold the car still rather than creep when the wanted speed is zero.
  if (speed < 0.3 && accel < 0) out.brake = Math.max(out.brake, 0.3);
  return out;
}
