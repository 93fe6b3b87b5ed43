/**
 * Time to collision under constant velocities, between oriented boxes on the ground (as nuPlan
 * measures it): the first time within the horizon at which the two footprints overlap.
 *
 * The boxes keep their headings, so along each of the four separating axes the gap between their
 * projections changes linearly in time. The boxes overlap exactly while all four projections do:
 * the intersection of four time intervals. That is the exact contact time, with no time step a
 * thin or fast object could slip through.
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

/** TTC is looked for up to this far ahead [s]; beyond it, it is reported as Infinity. */
export const TTC_HORIZON = 5;

/** Time until the boxes first overlap [s]: 0 when they already do, Infinity when not within the horizon. */
export function timeToCollision(a: MovingBox, b: MovingBox, horizon = TTC_HORIZON): number {
  const px = b.x - a.x, py = b.y - a.y;
  const vx = b.vx - a.vx, vy = b.vy - a.vy;
  // Cheap rejection: the bounding circles never come within reach during the horizon.
  const reach = Math.hypot(a.length, a.width) / 2 + Math.hypot(b.length, b.width) / 2;
  const v2 = vx * vx + vy * vy;
  const tClosest = v2 > 0 ? Math.min(Math.max(-(px * vx + py * vy) / v2, 0), horizon) : 0;
  if (Math.hypot(px + vx * tClosest, py + vy * tClosest) > reach) return Infinity;

  const ca = Math.cos(a.heading), sa = Math.sin(a.heading);
  const cb = Math.cos(b.heading), sb = Math.sin(b.heading);
  let enter = 0, leave = horizon;
  for (let k = 0; k < 4; k++) {
    // Axes: a's length and width directions, then b's.
    const ux = k === 0 ? ca : k === 1 ? -sa : k === 2 ? cb : -sb;
    const uy = k === 0 ? sa : k === 1 ? ca : k === 2 ? sb : cb;
    const r =
      (a.length / 2) * Math.abs(ca * ux + sa * uy) + (a.width / 2) * Math.abs(-sa * ux + ca * uy) +
      (b.length / 2) * Math.abs(cb * ux + sb * uy) + (b.width / 2) * Math.abs(-sb * ux + cb * uy);
    const p = px * ux + py * uy;
    const q = vx * ux + vy * uy;
    // Projections overlap while |p + q t| ≤ r.
    if (q === 0) {
      if (Math.abs(p) > r) return Infinity;
      continue;
    }
    const t1 = (-r - p) / q, t2 = (r - p) / q;
    enter = Math.max(enter, Math.min(t1, t2));
    leave = Math.min(leave, Math.max(t1, t2));
    if (enter > leave) return Infinity;
  }
  return enter;
}
