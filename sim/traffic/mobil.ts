/**
 * MOBIL lane-change decision (Kesting, Treiber & Helbing, 2007): change when the own advantage
 * plus the politeness-weighted change for the followers exceeds a threshold, and only when the
 * new follower need not brake harder than `safeDecel`.
 */

export interface MobilParams {
  /** Weight p of the followers' acceleration changes */
  readonly politeness: number;
  /** Δa_th [m/s²] */
  readonly threshold: number;
  /** b_safe: the hardest braking imposed on the new follower [m/s²] */
  readonly safeDecel: number;
  /** Extra incentive to move right, for keep-right rules [m/s²] */
  readonly keepRightBias: number;
}

export const DEFAULT_MOBIL: MobilParams = { politeness: 0.3, threshold: 0.2, safeDecel: 4, keepRightBias: 0.1 };

/** Accelerations before (a) and after (a') the candidate change, for the three drivers involved. */
export interface MobilInputs {
  /** Changing driver now and in the target lane */
  self: number;
  selfAfter: number;
  /** Follower in the target lane, before and after the change; 0 and 0 when there is none */
  newFollower: number;
  newFollowerAfter: number;
  /** Follower in the current lane, before and after the change */
  oldFollower: number;
  oldFollowerAfter: number;
}

/** The incentive [m/s²], or −Infinity when the change is unsafe. Change when it is > 0. */
export function mobilIncentive(p: MobilParams, a: MobilInputs, towardsRight: boolean): number {
  if (a.newFollowerAfter < -p.safeDecel || a.selfAfter < -p.safeDecel) return -Infinity;
  const gain = a.selfAfter - a.self + p.politeness * (a.newFollowerAfter - a.newFollower + a.oldFollowerAfter - a.oldFollower);
  return gain - p.threshold + (towardsRight ? p.keepRightBias : -p.keepRightBias);
}
