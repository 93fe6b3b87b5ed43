/**
 * COCO bounding-box evaluation, as pycocotools' COCOeval defines it (crowds aside): per image and
 * category, detections sorted by score (the first 100 kept) are matched greedily to the unmatched
 * ground truth of highest IoU ≥ t, for t in .50:.05:.95; per category, precision is made
 * monotone and read at 101 recall points; AP is the mean over categories (those with ground truth)
 * and thresholds. Size slices follow COCO: small < 32², medium < 96² ≤ large, by the ground
 * truth's `area` and the detection box's area; objects outside a slice are ignored, not missed.
 */

export interface CocoGroundTruth {
  images: { id: number }[];
  /**
   * `ignore` (or pycocotools' `iscrowd: 1`) marks an object too small or hidden to score: it is
   * neither missed when undetected nor a false positive when detected.
   */
  annotations: { image_id: number; category_id: number; bbox: [number, number, number, number]; area?: number; ignore?: boolean; iscrowd?: number }[];
  categories: { id: number; name: string }[];
}

export interface CocoDetection {
  image_id: number;
  category_id: number;
  bbox: [number, number, number, number];
  score: number;
}

/** numpy's linspace, value for value (pycocotools takes its thresholds from it): i·step + start, the last exactly `stop` */
const linspace = (start: number, stop: number, n: number) => Array.from({ length: n }, (_, i) => (i === n - 1 ? stop : i * ((stop - start) / (n - 1)) + start));
export const IOU_THRESHOLDS = linspace(0.5, 0.95, 10);
const RECALL_POINTS = linspace(0, 1, 101);
export const AREA_RANGES = { all: [0, 1e10], small: [0, 32 ** 2], medium: [32 ** 2, 96 ** 2], large: [96 ** 2, 1e10] } as const;
export type AreaRange = keyof typeof AREA_RANGES;

export interface ApSummary {
  /** AP@[.50:.95] */
  ap: number;
  ap50: number;
  ap75: number;
  /** AP@[.50:.95] by size; NaN where the slice has no ground truth */
  apSmall: number;
  apMedium: number;
  apLarge: number;
}

export interface CocoEvalResult extends ApSummary {
  /** The same figures per category name (NaN where it has no ground truth) */
  perClass: Record<string, ApSummary>;
}

export function iou(a: readonly number[], b: readonly number[]): number {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

type Annotation = CocoGroundTruth['annotations'][number];

/** Whether ground truth and detections fall in a slice; outside it they are ignored, not counted */
interface Slice {
  gt: (a: Annotation) => boolean;
  dt: (d: CocoDetection) => boolean;
}

const areaSlice = (range: readonly [number, number]): Slice => ({
  gt: (a) => (a.area ?? a.bbox[2] * a.bbox[3]) >= range[0] && (a.area ?? a.bbox[2] * a.bbox[3]) <= range[1],
  dt: (d) => d.bbox[2] * d.bbox[3] >= range[0] && d.bbox[2] * d.bbox[3] <= range[1],
});

function groupByImage<T extends { image_id: number }>(items: readonly T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const item of items) {
    const list = out.get(item.image_id);
    if (list) list.push(item);
    else out.set(item.image_id, [item]);
  }
  return out;
}

/** Precision at the 101 recall points, per IoU threshold, for one category and slice; null without ground truth */
function categoryPrecision(gt: Annotation[], dt: CocoDetection[], imageIds: number[], slice: Slice, maxDets: number): number[][] | null {
  const scores: number[] = [];
  const matched: boolean[][] = IOU_THRESHOLDS.map(() => []);
  const ignored: boolean[][] = IOU_THRESHOLDS.map(() => []);
  let counted = 0;
  const gtOf = groupByImage(gt), dtOf = groupByImage(dt);
  for (const image of imageIds) {
    // Ground truth out of the slice, or marked ignore, goes last and is ignored.
    const g = (gtOf.get(image) ?? []).map((a) => ({ bbox: a.bbox, ignore: !slice.gt(a) || a.ignore === true || a.iscrowd === 1 }));
    g.sort((x, y) => Number(x.ignore) - Number(y.ignore));
    counted += g.filter((x) => !x.ignore).length;
    const d = (dtOf.get(image) ?? []).sort((x, y) => y.score - x.score).slice(0, maxDets);
    IOU_THRESHOLDS.forEach((t, ti) => {
      const taken = new Array<boolean>(g.length).fill(false);
      for (const det of d) {
        let best = -1, bestIou = Math.min(t, 1 - 1e-10);
        for (let k = 0; k < g.length; k++) {
          if (taken[k]) continue;
          // Once a real match is found, ignored ground truth (sorted last) cannot replace it.
          if (best > -1 && !g[best].ignore && g[k].ignore) break;
          const o = iou(det.bbox, g[k].bbox);
          if (o < bestIou) continue;
          bestIou = o;
          best = k;
        }
        if (best >= 0) taken[best] = true;
        matched[ti].push(best >= 0);
        ignored[ti].push(best >= 0 ? g[best].ignore : !slice.dt(det));
      }
    });
    for (const det of d) scores.push(det.score);
  }
  if (counted === 0) return null;
  // All images' detections by score, stable as numpy's mergesort.
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, i]) => i);
  return IOU_THRESHOLDS.map((_, ti) => {
    const rc: number[] = [], pr: number[] = [];
    let tp = 0, fp = 0;
    for (const i of order) {
      if (ignored[ti][i]) continue;
      if (matched[ti][i]) tp++;
      else fp++;
      rc.push(tp / counted);
      pr.push(tp / (tp + fp));
    }
    for (let i = pr.length - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
    return RECALL_POINTS.map((r) => {
      let lo = 0, hi = rc.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (rc[mid] < r) lo = mid + 1;
        else hi = mid;
      }
      return lo < pr.length ? pr[lo] : 0;
    });
  });
}

const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/** AP over the categories in `categoryIds` that have ground truth, at the thresholds picked by `at` */
function summarise(table: Map<number, Record<AreaRange, number[][] | null>>, categoryIds: number[]): ApSummary {
  const ap = (range: AreaRange, thresholds: number[]) => mean(categoryIds.flatMap((c) => {
    const p = table.get(c)![range];
    return p ? [mean(thresholds.map((t) => mean(p[t])))] : [];
  }));
  const all = IOU_THRESHOLDS.map((_, i) => i);
  return { ap: ap('all', all), ap50: ap('all', [0]), ap75: ap('all', [5]), apSmall: ap('small', all), apMedium: ap('medium', all), apLarge: ap('large', all) };
}

/** The image ids as pycocotools takes them: unique and sorted, which orders detections of equal score */
const imageIdsOf = (gt: CocoGroundTruth) => [...new Set(gt.images.map((i) => i.id))].sort((a, b) => a - b);

export function cocoEvaluate(gt: CocoGroundTruth, dt: CocoDetection[], maxDets = 100): CocoEvalResult {
  const imageIds = imageIdsOf(gt);
  const table = new Map<number, Record<AreaRange, number[][] | null>>();
  for (const c of gt.categories) {
    const g = gt.annotations.filter((a) => a.category_id === c.id);
    const d = dt.filter((x) => x.category_id === c.id);
    const entry = {} as Record<AreaRange, number[][] | null>;
    for (const range of Object.keys(AREA_RANGES) as AreaRange[]) entry[range] = categoryPrecision(g, d, imageIds, areaSlice(AREA_RANGES[range]), maxDets);
    table.set(c.id, entry);
  }
  const perClass: Record<string, ApSummary> = {};
  for (const c of gt.categories) perClass[c.name] = summarise(table, [c.id]);
  return { ...summarise(table, gt.categories.map((c) => c.id)), perClass };
}

/**
 * AP@[.50:.95] over the categories, per slice of a value that ground truth and detections both
 * have (say, distance from the camera): `[lo, hi)` ranges by name, NaN for a slice without
 * ground truth. As with COCO's size slices, what falls outside a slice is ignored there.
 */
export function cocoEvaluateSlices<G extends Annotation, D extends CocoDetection>(gt: CocoGroundTruth & { annotations: G[] }, dt: D[], ranges: Record<string, readonly [number, number]>, gtValue: (a: G) => number, dtValue: (d: D) => number, maxDets = 100): Record<string, number> {
  const imageIds = imageIdsOf(gt);
  const out: Record<string, number> = {};
  for (const [name, [lo, hi]] of Object.entries(ranges)) {
    // An open-ended slice takes what has no finite value (a box on the sky is at no finite distance).
    const inside = (v: number) => v >= lo && (v < hi || hi === Infinity);
    const slice: Slice = { gt: (a) => inside(gtValue(a as G)), dt: (d) => inside(dtValue(d as D)) };
    const perCategory = gt.categories.flatMap((c) => {
      const p = categoryPrecision(gt.annotations.filter((a) => a.category_id === c.id), dt.filter((d) => d.category_id === c.id), imageIds, slice, maxDets);
      return p ? [mean(p.map(mean))] : [];
    });
    out[name] = mean(perCategory);
  }
  return out;
}
