/**
 * Time to collision under constant velocities, between oriented boxes on the ground (as nuPlan
 * measures it): the first time within the horizon at which the two footprints overlap.
 */

export interface MovingBox {
  x: number;
  y: number;
  heading: number;
  /** Velocity on the ground [m/s] */
  vx: number;
  vy: number;
  length: number;
  width: number;
}

/** TTC is looked for up to this far ahead [s]; beyond it, it is reported as the horizon. */
export const TTC_HORIZON = 5;
const COARSE_STEP = 0.1;

/** Separating-axis test of two oriented rectangles displaced by the motion over time t. */
function overlapAt(a: MovingBox, b: MovingBox, t: number): boolean {
  const dx = b.x + b.vx * t - (a.x + a.vx * t);
  const dy = b.y + b.vy * t - (a.y + a.vy * t);
  const ca = Math.cos(a.heading), sa = Math.sin(a.heading);
  const cb = Math.cos(b.heading), sb = Math.sin(b.heading);
  const axes = [ca, sa, -sa, ca, cb, sb, -sb, cb];
  for (let k = 0; k < 8; k += 2) {
    const ux = axes[k], uy = axes[k + 1];
    const ra = (a.length / 2) * Math.abs(ca * ux + sa * uy) + (a.width / 2) * Math.abs(-sa * ux + ca * uy);
    const rb = (b.length / 2) * Math.abs(cb * ux + sb * uy) + (b.width / 2) * Math.abs(-sb * ux + cb * uy);
    if (Math.abs(dx * ux + dy * uy) > ra + rb) return false;
  }
  return true;
}

/** Time until the boxes first overlap [s], or Infinity when they do not within the horizon. */
export function timeToCollision(a: MovingBox, b: MovingBox, horizon = TTC_HORIZON): number {
  // Cheap rejection: bounding circles never come close enough.
  const rx = b.x - a.x, ry = b.y - a.y;
  const vx = b.vx - a.vx, vy = b.vy - a.vy;
  const reach = Math.hypot(a.length, a.width) / 2 + Math.hypot(b.length, b.width) / 2;
  const v2 = vx * vx + vy * vy;
  const tClosest = v2 > 1e-12 ? Math.min(Math.max(-(rx * vx + ry * vy) / v2, 0), horizon) : 0;
  if (Math.hypot(rx + vx * tClosest, ry + vy * tClosest) > reach) return Infinity;
  if (overlapAt(a, b, 0)) return 0;
  for (let t = COARSE_STEP; t <= horizon + 1e-9; t += COARSE_STEP) {
    if (!overlapAt(a, b, t)) continue;
    // Refine the contact time between the last free sample and this one.
    let lo = t - COARSE_STEP, hi = t;
    for (let i = 0; i < 20; i++) {
      const mid = (lo + hi) / 2;
      if (overlapAt(a, b, mid)) hi = mid;
      else lo = mid;
    }
    return hi;
  }
  return Infinity;
}
