/**
 * Scan conversion of one projected triangle into the visibility buffer.
 *
 * Vertices arrive snapped to 1/FILL_SUBPIXEL px (integers held in doubles), so edge functions are
 * exact integers: with the top-left rule, a pixel centre on an edge shared by two triangles is
 * drawn by exactly one of them. 1/z is affine in screen space, so interpolating it linearly is
 * perspective-correct.
 */

/** Sub-pixel steps per pixel of snapped vertex coordinates */
export const FILL_SUBPIXEL = 256;
const HALF = FILL_SUBPIXEL / 2;

/** The buffers a triangle writes. */
export interface RasterTargets {
  readonly width: number;
  readonly height: number;
  /** [H·W] nearest 1/depth so far */
  readonly invDepth: Float32Array;
  /** [H·W] triangle id seen */
  readonly triangle: Int32Array;
  /** [H·W] last instance stamped */
  readonly cover: Int32Array;
  /** [instance] pixels stamped */
  readonly coverCount: Int32Array;
  /** float32(1/far): fragments at or beyond it are not drawn */
  readonly invFar: number;
  /** Scratch [lo, hi] of a row's run of pixels */
  readonly span: Int32Array;
}

/**
 * Draws triangle `id` whose vertices are (fixed-point x, fixed-point y, w = 1/depth) triples at
 * offsets a, b, c of `v`; returns the pixels where it won the depth test. (Vertices come in an
 * array, not as arguments, so no double is boxed per call.) `cull`: skip it when back-facing
 * (counter-clockwise on screen, y down). `stamp` > 0: also marks the instance's coverage,
 * without the depth test, counting each pixel once per instance (an instance's triangles are
 * drawn together).
 */
export function rasterTriangle(target: RasterTargets, id: number, stamp: number, cull: number, v: Float64Array, a: number, b: number, c: number): number {
  const x0 = v[a], y0 = v[a + 1], w0 = v[a + 2];
  let x1 = v[b], y1 = v[b + 1], w1 = v[b + 2], x2 = v[c], y2 = v[c + 1], w2 = v[c + 2];
  // Pixels whose centres (i·S + S/2) lie within the bounding box; most distant triangles have none.
  const W = target.width, H = target.height;
  let xmin = Math.ceil(((x0 < x1 ? (x0 < x2 ? x0 : x2) : x1 < x2 ? x1 : x2) - HALF) / FILL_SUBPIXEL);
  let xmax = Math.floor(((x0 > x1 ? (x0 > x2 ? x0 : x2) : x1 > x2 ? x1 : x2) - HALF) / FILL_SUBPIXEL);
  if (xmin < 0) xmin = 0;
  if (xmax > W - 1) xmax = W - 1;
  if (xmin > xmax) return 0;
  let ymin = Math.ceil(((y0 < y1 ? (y0 < y2 ? y0 : y2) : y1 < y2 ? y1 : y2) - HALF) / FILL_SUBPIXEL);
  let ymax = Math.floor(((y0 > y1 ? (y0 > y2 ? y0 : y2) : y1 > y2 ? y1 : y2) - HALF) / FILL_SUBPIXEL);
  if (ymin < 0) ymin = 0;
  if (ymax > H - 1) ymax = H - 1;
  if (ymin > ymax) return 0;

  let area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
  if (area === 0) return 0;
  if (area < 0) {
    // Front-facing (counter-clockwise seen from the camera, y up): swap to the positive winding.
    let t = x1; x1 = x2; x2 = t;
    t = y1; y1 = y2; y2 = t;
    t = w1; w1 = w2; w2 = t;
    area = -area;
  } else if (cull !== 0) {
    return 0;
  }

  // Edge k is opposite vertex k: E(p) = (b − a) × (p − a), positive inside.
  // Top-left rule: a top edge runs rightwards level, a left edge runs upwards (y down);
  // other edges exclude their own pixels (E ≥ 1 instead of E ≥ 0).
  const px = xmin * FILL_SUBPIXEL + HALF, py = ymin * FILL_SUBPIXEL + HALF;
  const a0 = -(y2 - y1) * FILL_SUBPIXEL, b0 = (x2 - x1) * FILL_SUBPIXEL;
  const a1 = -(y0 - y2) * FILL_SUBPIXEL, b1 = (x0 - x2) * FILL_SUBPIXEL;
  const a2 = -(y1 - y0) * FILL_SUBPIXEL, b2 = (x1 - x0) * FILL_SUBPIXEL;
  let r0 = (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1) - ((y1 === y2 && x2 > x1) || y2 < y1 ? 0 : 1);
  let r1 = (x0 - x2) * (py - y2) - (y0 - y2) * (px - x2) - ((y2 === y0 && x0 > x2) || y0 < y2 ? 0 : 1);
  let r2 = (x1 - x0) * (py - y0) - (y1 - y0) * (px - x0) - ((y0 === y1 && x1 > x0) || y1 < y0 ? 0 : 1);

  // 1/z as a plane over the fixed-point screen.
  const dwdx = ((w1 - w0) * (y2 - y0) - (w2 - w0) * (y1 - y0)) / area;
  const dwdy = ((w2 - w0) * (x1 - x0) - (w1 - w0) * (x2 - x0)) / area;
  const stepW = dwdx * FILL_SUBPIXEL;
  const baseW = w0 + dwdx * (px - x0);

  const zb = target.invDepth, ids = target.triangle, cover = target.cover, zFar = target.invFar;
  const span = target.span;
  let written = 0, covered = 0;
  for (let y = ymin; y <= ymax; y++, r0 += b0, r1 += b1, r2 += b2) {
    // The row's run of inside pixels [xmin + lo, xmin + hi], from each edge's exact integer bound.
    span[0] = 0;
    span[1] = xmax - xmin;
    if (!clampSpan(r0, a0, span) || !clampSpan(r1, a1, span) || !clampSpan(r2, a2, span)) continue;
    const rowW = baseW + dwdy * (y * FILL_SUBPIXEL + HALF - y0);
    const row = y * W + xmin;
    for (let k = span[0], end = span[1]; k <= end; k++) {
      const w = rowW + stepW * k;
      if (w <= zFar) continue;
      const p = row + k;
      if (w > zb[p]) {
        zb[p] = w;
        ids[p] = id;
        written++;
      }
      if (stamp !== 0 && cover[p] !== stamp) {
        cover[p] = stamp;
        covered++;
      }
    }
  }
  if (covered > 0) target.coverCount[stamp] += covered;
  return written;
}

/**
 * Narrows span = [lo, hi] (pixel offsets in the row) to where e + a·k ≥ 0; false when empty.
 * e and a are integers below 2^53, so the bound is found exactly: a division proposes it and
 * integer checks correct any rounding.
 */
function clampSpan(e: number, a: number, span: Int32Array): boolean {
  if (a > 0) {
    if (e < 0) {
      let k = Math.ceil(-e / a);
      if (e + a * k < 0) k++;
      else if (k > 0 && e + a * (k - 1) >= 0) k--;
      if (k > span[0]) span[0] = k;
    }
  } else if (a < 0) {
    if (e < 0) return false;
    let k = Math.floor(e / -a);
    if (e + a * k < 0) k--;
    else if (e + a * (k + 1) >= 0) k++;
    if (k < span[1]) span[1] = k;
  } else if (e < 0) {
    return false;
  }
  return span[0] <= span[1];
}
