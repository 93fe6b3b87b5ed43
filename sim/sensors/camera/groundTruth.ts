/**
 * Exact 2D boxes from a rendered frame: per actor seen, the tight box of its visible pixels and
 * the fraction of it that is visible, from the instance image and the rasteriser's unoccluded
 * coverage counts (each actor's pixels counted with no depth test, in the same pass).
 */

/** One actor as it appears in a frame. */
export interface GroundTruthBox {
  /** The actor's id (instance − 1) */
  actorId: number;
  /** The id in the instance image */
  instance: number;
  /** Semantic class id of its pixels */
  semantic: number;
  /** [x, y, w, h] [px], COCO style: top-left corner and extents, so one pixel at (3, 4) is [3, 4, 1, 1] */
  bbox: [number, number, number, number];
  /** Pixels where it is the nearest surface */
  pixels: number;
  /** Pixels it would cover with nothing in front of it */
  unoccludedPixels: number;
  /** pixels / unoccludedPixels, in (0, 1] */
  visibleFraction: number;
}

/** Per-instance scratch, grown to the largest instance seen and reused. */
let count = new Int32Array(0);
let minX = new Int32Array(0);
let minY = new Int32Array(0);
let maxX = new Int32Array(0);
let maxY = new Int32Array(0);
let firstPixel = new Int32Array(0);

/**
 * The boxes of every instance > 0 in `instance` ([H·W], row-major), in increasing instance
 * order. `coverCount[i]` is instance i's unoccluded pixel count from the same render.
 */
export function groundTruthBoxes(instance: Int32Array, semantic: Uint8Array, width: number, coverCount: Int32Array): GroundTruthBox[] {
  let top = 0;
  for (let p = 0; p < instance.length; p++) if (instance[p] > top) top = instance[p];
  if (count.length < top + 1) {
    const n = Math.max(top + 1, count.length * 2);
    count = new Int32Array(n); minX = new Int32Array(n); minY = new Int32Array(n);
    maxX = new Int32Array(n); maxY = new Int32Array(n); firstPixel = new Int32Array(n);
  }
  count.fill(0, 0, top + 1);
  for (let p = 0; p < instance.length; p++) {
    const i = instance[p];
    if (i <= 0) continue;
    const x = p % width, y = (p - x) / width;
    if (count[i]++ === 0) {
      minX[i] = maxX[i] = x; minY[i] = maxY[i] = y; firstPixel[i] = p;
      continue;
    }
    if (x < minX[i]) minX[i] = x; else if (x > maxX[i]) maxX[i] = x;
    // Rows are scanned in order, so y only grows.
    maxY[i] = y;
  }
  const boxes: GroundTruthBox[] = [];
  for (let i = 1; i <= top; i++) {
    const n = count[i];
    if (n === 0) continue;
    const unoccluded = Math.max(n, i < coverCount.length ? coverCount[i] : 0);
    boxes.push({
      actorId: i - 1,
      instance: i,
      semantic: semantic[firstPixel[i]],
      bbox: [minX[i], minY[i], maxX[i] - minX[i] + 1, maxY[i] - minY[i] + 1],
      pixels: n,
      unoccludedPixels: unoccluded,
      visibleFraction: n / unoccluded,
    });
  }
  return boxes;
}
