/**
 * Between boxes and the detector's output grid (net.ts): training targets from ground-truth boxes,
 * and detections from the network's output. Plain arrays, no tfjs, so both are cheap and testable.
 *
 * Targets follow TTFNet (Liu et al. 2020): each object puts an elliptical Gaussian on its class's
 * heatmap, peaking at exactly 1 in the cell that holds its centre, with standard deviations
 * α·w/6 and α·h/6 (α = 0.54) in cells; where Gaussians overlap the larger value stays. The centre
 * cell gets the regression target (dx, dy, ln(w/stride), ln(h/stride)) at weight 1, and so do its
 * eight neighbours at weight ½, with the offset measured from each: a peak one cell off the centre,
 * common for objects a few pixels wide, then still gives a good box (TTFNet trains its regression
 * over the Gaussian's area for the same reason).
 */
import type { Detection } from '../types.ts';

export interface LabelledBox {
  /** [x, y, w, h] in input pixels */
  bbox: readonly [number, number, number, number] | readonly number[];
  /** Index into the detector's classes */
  classIndex: number;
}

export interface GridShape {
  gridH: number;
  gridW: number;
  classes: number;
  /** Pixels between cells */
  stride: number;
}

/** Buffers for one image's targets, laid out row-major like the output ([gridH, gridW, …]) */
export interface Targets {
  /** [gridH·gridW·classes]: Gaussian heatmap, 1 at centres */
  heat: Float32Array;
  /** [gridH·gridW·4]: dx, dy, ln w, ln h around centre cells, 0 elsewhere */
  regression: Float32Array;
  /** [gridH·gridW]: weight of the regression: 1 at cells holding an object's centre, ½ beside them */
  regressionWeight: Float32Array;
}

const ALPHA = 0.54;

export function allocTargets(g: GridShape): Targets {
  const cells = g.gridH * g.gridW;
  return { heat: new Float32Array(cells * g.classes), regression: new Float32Array(cells * 4), regressionWeight: new Float32Array(cells) };
}

/**
 * Writes the targets of `boxes` into `out` (cleared first). Boxes are drawn largest first, so that
 * where two objects' cells meet the smaller (usually farther, less occluded) object keeps the
 * regression target, and a centre keeps it over a neighbour; heatmap peaks of both stay. Boxes
 * without area are skipped.
 */
export function encodeTargets(boxes: readonly LabelledBox[], g: GridShape, out: Targets): Targets {
  out.heat.fill(0);
  out.regression.fill(0);
  out.regressionWeight.fill(0);
  const order = boxes.filter((b) => b.bbox[2] > 0 && b.bbox[3] > 0).sort((a, b) => b.bbox[2] * b.bbox[3] - a.bbox[2] * a.bbox[3]);
  for (const { bbox: [x, y, w, h], classIndex } of order) {
    const cx = (x + w / 2) / g.stride, cy = (y + h / 2) / g.stride;
    const ix = Math.min(g.gridW - 1, Math.max(0, Math.floor(cx)));
    const iy = Math.min(g.gridH - 1, Math.max(0, Math.floor(cy)));
    const sx = (ALPHA * w) / (6 * g.stride), sy = (ALPHA * h) / (6 * g.stride);
    // Beyond 3σ the Gaussian is below 0.011: not worth drawing.
    const rx = Math.ceil(3 * sx), ry = Math.ceil(3 * sy);
    for (let j = Math.max(0, iy - ry); j <= Math.min(g.gridH - 1, iy + ry); j++) {
      for (let i = Math.max(0, ix - rx); i <= Math.min(g.gridW - 1, ix + rx); i++) {
        const di = i - ix, dj = j - iy;
        const v = di === 0 && dj === 0 ? 1 : Math.exp(-(sx > 0 ? (di * di) / (2 * sx * sx) : Infinity) - (sy > 0 ? (dj * dj) / (2 * sy * sy) : Infinity));
        const k = (j * g.gridW + i) * g.classes + classIndex;
        if (v > out.heat[k]) out.heat[k] = v;
      }
    }
    for (let j = Math.max(0, iy - 1); j <= Math.min(g.gridH - 1, iy + 1); j++) {
      for (let i = Math.max(0, ix - 1); i <= Math.min(g.gridW - 1, ix + 1); i++) {
        const cell = j * g.gridW + i;
        const weight = i === ix && j === iy ? 1 : 0.5;
        // A neighbour never takes a cell from another object's centre.
        if (weight < 1 && out.regressionWeight[cell] === 1) continue;
        out.regressionWeight[cell] = weight;
        out.regression.set([cx - i, cy - j, Math.log(w / g.stride), Math.log(h / g.stride)], cell * 4);
      }
    }
  }
  return out;
}

export interface DecodeOptions {
  /** Lowest score kept (sigmoid of the heatmap logit) */
  threshold: number;
  /** Most detections per image, best first */
  maxDetections: number;
  /** [width, height] of the image boxes are clipped to [px] */
  imageSize: [number, number];
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * Detections from one image's output (`[gridH·gridW·(classes + 4)]`, row-major): every cell whose
 * heatmap logit is a local maximum of its class over the 3×3 neighbourhood (CenterNet's max-pool
 * in place of NMS) and scores at least the threshold becomes a box.
 */
export function decodeDetections(output: Float32Array, offset: number, g: GridShape, classes: readonly string[], opts: DecodeOptions): Detection[] {
  const C = g.classes + 4;
  const peaks: { cell: number; c: number; logit: number }[] = [];
  const minLogit = Math.log(opts.threshold / (1 - opts.threshold));
  for (let j = 0; j < g.gridH; j++) {
    for (let i = 0; i < g.gridW; i++) {
      const base = offset + (j * g.gridW + i) * C;
      for (let c = 0; c < g.classes; c++) {
        const z = output[base + c];
        if (!(z >= minLogit)) continue;
        let peak = true;
        for (let dj = -1; dj <= 1 && peak; dj++) {
          for (let di = -1; di <= 1; di++) {
            const jj = j + dj, ii = i + di;
            if ((di === 0 && dj === 0) || jj < 0 || ii < 0 || jj >= g.gridH || ii >= g.gridW) continue;
            if (output[offset + (jj * g.gridW + ii) * C + c] > z) { peak = false; break; }
          }
        }
        if (peak) peaks.push({ cell: j * g.gridW + i, c, logit: z });
      }
    }
  }
  peaks.sort((a, b) => b.logit - a.logit);
  const [imgW, imgH] = opts.imageSize;
  const out: Detection[] = [];
  for (const { cell, c, logit } of peaks.slice(0, opts.maxDetections)) {
    const base = offset + cell * C + g.classes;
    const cx = ((cell % g.gridW) + output[base]) * g.stride;
    const cy = (Math.floor(cell / g.gridW) + output[base + 1]) * g.stride;
    // Sizes beyond e^6 cells are no box of this image; the clamp keeps exp finite.
    const w = Math.exp(Math.min(6, output[base + 2])) * g.stride, h = Math.exp(Math.min(6, output[base + 3])) * g.stride;
    const x0 = Math.max(0, cx - w / 2), y0 = Math.max(0, cy - h / 2);
    const x1 = Math.min(imgW, cx + w / 2), y1 = Math.min(imgH, cy + h / 2);
    if (!(x1 > x0 && y1 > y0)) continue;
    out.push({ bbox: [x0, y0, x1 - x0, y1 - y0], label: classes[c], score: sigmoid(logit) });
  }
  return out;
}
