/**
 * The Intelligent Driver Model (Treiber, Hennecke & Helbing, 2000): a car-following acceleration
 * that is collision-free for a leader braking at up to the comfortable deceleration.
 */

export interface IdmParams {
  /** Maximum acceleration a [m/s²] */
  readonly accel: number;
  /** Comfortable deceleration b [m/s²] */
  readonly decel: number;
  /** Desired time headway T [s] */
  readonly timeHeadway: number;
  /** Jam distance s0 [m] */
  readonly minGap: number;
  /** Acceleration exponent δ */
  readonly delta: number;
}

export const DEFAULT_IDM: IdmParams = { accel: 1.5, decel: 3, timeHeadway: 1.5, minGap: 2.5, delta: 4 };

/** Hardest braking the model may ask for [m/s²] */
export const MAX_BRAKE = 9;

/**
 * IDM acceleration [m/s²]. `gap` is bumper to bumper [m] and `leaderSpeed` [m/s]; pass
 * gap = Infinity for free road.
 */
export function idmAccel(p: IdmParams, speed: number, desiredSpeed: number, gap: number, leaderSpeed: number): number {
  const v0 = Math.max(desiredSpeed, 0.1);
  const v = Math.max(speed, 0);
  // Above the desired speed, slow down at up to b as in the improved IDM (Treiber & Kesting 2013),
  // rather than by the plain IDM's (v/v0)^δ, which brakes violently for a small excess.
  const free = v <= v0 ? p.accel * (1 - Math.pow(v / v0, p.delta)) : -p.decel * (1 - Math.pow(v0 / v, (p.accel * p.delta) / p.decel));
  if (gap === Infinity) return Math.max(free, -MAX_BRAKE);
  const dv = v - leaderSpeed;
  const sStar = p.minGap + Math.max(0, v * p.timeHeadway + (v * dv) / (2 * Math.sqrt(p.accel * p.decel)));
  const g = Math.max(gap, 0.05);
  return Math.max(free - p.accel * (sStar / g) * (sStar / g), -MAX_BRAKE);
}
