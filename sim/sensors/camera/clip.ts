/**
 * Sutherland–Hodgman clipping of a convex polygon in camera space (three's axes: looking down −Z)
 * against the near plane and a guard band around the frustum, before projection.
 */

/** Largest clipped polygon: a triangle cut by 5 planes gains at most one vertex per plane */
export const MAX_POLY = 9;

/**
 * Signed distance (inside ≥ 0) of a camera-space point to plane k: 0 is the near plane z = −near;
 * 1–4 are the guard band's sides |x| ≤ gx·(−z), |y| ≤ gy·(−z).
 */
function distance(k: number, x: number, y: number, z: number, near: number, gx: number, gy: number): number {
  switch (k) {
    case 0: return -z - near;
    case 1: return x - gx * z;
    case 2: return -x - gx * z;
    case 3: return y - gy * z;
    default: return -y - gy * z;
  }
}

/**
 * Clips the polygon `src` (n xyz vertices) against plane k into `dst`; returns its vertex count.
 * Vertices inside are copied exactly, and a crossing is computed from the inside end of its edge,
 * so an edge shared by two triangles is cut at the same point in both: no cracks.
 */
export function clipPolygon(src: Float64Array, n: number, dst: Float64Array, k: number, near: number, gx: number, gy: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const a = i * 3, b = ((i + 1) % n) * 3;
    const ax = src[a], ay = src[a + 1], az = src[a + 2], bx = src[b], by = src[b + 1], bz = src[b + 2];
    const da = distance(k, ax, ay, az, near, gx, gy), db = distance(k, bx, by, bz, near, gx, gy);
    if (da >= 0) {
      dst[m * 3] = ax; dst[m * 3 + 1] = ay; dst[m * 3 + 2] = az;
      m++;
    }
    if (da >= 0 !== db >= 0) {
      const inA = da >= 0;
      const ix = inA ? ax : bx, iy = inA ? ay : by, iz = inA ? az : bz, di = inA ? da : db;
      const ox = inA ? bx : ax, oy = inA ? by : ay, oz = inA ? bz : az, dout = inA ? db : da;
      const s = di / (di - dout);
      dst[m * 3] = ix + s * (ox - ix);
      dst[m * 3 + 1] = iy + s * (oy - iy);
      // On the near plane exactly, whatever the rounding, so 1/z stays finite.
      dst[m * 3 + 2] = k === 0 ? -near : iz + s * (oz - iz);
      m++;
    }
  }
  return m;
}
