/** Ground footprints: the oriented rectangle an actor covers, seen from above. */

/** A rectangle on the ground: centre [m], heading [rad], length along the heading and width [m]. */
export interface Footprint {
  x: number;
  y: number;
  heading: number;
  length: number;
  width: number;
}

/**
 * Whether two footprints overlap, each grown by `margin` [m] on every side (separating-axis test
 * on the four edge directions).
 */
export function footprintsOverlap(a: Footprint, b: Footprint, margin = 0): boolean {
  const dx = b.x - a.x, dy = b.y - a.y;
  const aL = a.length / 2 + margin, aW = a.width / 2 + margin;
  const bL = b.length / 2 + margin, bW = b.width / 2 + margin;
  // Bounding circles apart: no need for the axes.
  const reach = Math.sqrt(aL * aL + aW * aW) + Math.sqrt(bL * bL + bW * bW);
  if (dx * dx + dy * dy > reach * reach) return false;
  const ca = Math.cos(a.heading), sa = Math.sin(a.heading);
  const cb = Math.cos(b.heading), sb = Math.sin(b.heading);
  for (let k = 0; k < 4; k++) {
    const ux = k === 0 ? ca : k === 1 ? -sa : k === 2 ? cb : -sb;
    const uy = k === 0 ? sa : k === 1 ? ca : k === 2 ? sb : cb;
    const ra = aL * Math.abs(ca * ux + sa * uy) + aW * Math.abs(-sa * ux + ca * uy);
    const rb = bL * Math.abs(cb * ux + sb * uy) + bW * Math.abs(-sb * ux + cb * uy);
    if (Math.abs(dx * ux + dy * uy) > ra + rb) return false;
  }
  return true;
}
