/**
 * Camera–lidar fusion into world-frame measurements. Each camera detection is paired with at most
 * one lidar cluster and each cluster with at most one detection (Hungarian method). A pair's cost
 * is the sum of
 * - the share of the cluster's in-image points that fall outside the box (pairs where fewer than
 *   `minOverlap` fall inside are never made);
 * - `rangeWeight`·|ln(r_cluster / r_box)|, where r_box is the range the box's bottom edge gives on
 *   the flat road: that tells a near car from the farther one showing round it, whose points may
 *   both fall in either box;
 * - `coverWeight`·(1 − the share of the box's width that the cluster's points in it span): of two
 *   clusters inside one box, the object's body is the one across it, not a stray return beside.
 *
 * A paired detection is placed by its cluster. The lidar hits the near faces of an object, so
 * its centre is taken to be the label's typical footprint (length × width) laid behind the
 * cluster's nearest edges, with the object assumed to be headed as the ego is (lane traffic): a
 * car seen from behind is half its length beyond its rear face, one alongside half its width
 * beyond its side. Along a side, of which any part may be showing, the centroid is used.
 *
 * A detection no cluster explains (beyond the lidar's reach, hidden from it, or too small to leave
 * points) falls back to the flat-road estimate: the camera ray through the middle of the box's
 * bottom edge meets the ground where the object stands, and the centre is half a footprint beyond
 * along the line of sight (for a vehicle, whose lowest point is its nearest wheels, `groundInset`
 * less). That range grows as 1/(rows below the horizon), so its error grows as r²; the covariance
 * says so. Estimates beyond `maxRange`, and boxes whose bottom edge lies in a nearer box (the
 * lowest pixels seen are then the top of the thing in front), give no measurement.
 */
import type { Detection } from '../detectors/types.ts';
import { associate } from './associate.ts';
import type { LidarClusters } from './lidarClusters.ts';
import type { EgoPose } from './lidarPoints.ts';
import { groundPointOfPixel, type CameraModel, type ProjectedClusters } from './project.ts';
import type { Measurement } from './tracker.ts';

export interface FusionOptions {
  /** Detections scoring lower are ignored */
  minScore: number;
  /** Least share of a cluster's in-image points inside a box for the two to be paired */
  minOverlap: number;
  /** Cost per unit of |ln(cluster range / box-bottom range)| */
  rangeWeight: number;
  /** Cost per unit of the box's width that the cluster leaves uncovered */
  coverWeight: number;
  /** Margin added round each box when counting points in it [px] */
  boxMargin: number;
  /** Flat-road estimates farther than this from the camera are dropped [m] */
  maxRange: number;
  /** Typical footprint by label, [length, width] [m]; other labels get `defaultSize` */
  sizes: Record<string, [number, number]>;
  defaultSize: [number, number];
  /** Least spread of a cluster across an axis that shows the face square to that axis was hit [m] */
  faceSpread: number;
  /** How far behind its near end an object of the label meets the road (a vehicle's overhang) [m] */
  groundInset: Record<string, number>;
  /** σ of a lidar-placed position along the line of sight and across it [m] */
  lidarStd: [number, number];
  /** σ of a box edge in the flat-road estimate [px], and of the half-depth guess [m] */
  pixelStd: number;
  depthStd: number;
}

export const DEFAULT_FUSION: FusionOptions = {
  minScore: 0.5,
  minOverlap: 0.5,
  rangeWeight: 0.5,
  coverWeight: 0.5,
  boxMargin: 1,
  maxRange: 60,
  sizes: { vehicle: [4.6, 1.9], pedestrian: [0.5, 0.6], obstacle: [0.6, 1.5] },
  defaultSize: [1, 1],
  faceSpread: 0.4,
  groundInset: { vehicle: 0.9 },
  lidarStd: [0.5, 0.3],
  pixelStd: 1,
  depthStd: 0.5,
};

/** A world-frame measurement made from one detection */
export interface FusedMeasurement extends Measurement {
  label: string;
  score: number;
  /** Where the range came from */
  source: 'lidar' | 'ground';
  /** Index of its detection in the frame's list, and of its cluster (−1 for `ground`) */
  detection: number;
  cluster: number;
}

const _g = new Float64Array(3);
/** The range term stops growing at a factor e² between the two ranges: the flat-road range is only a hint */
const LOG_RANGE_CAP = 2;

/**
 * The world measurement of ego-frame point (ex, ey), seen along a line of sight at `bearing` [rad]
 * from the ego's heading: covariance σr² along that line and σt² across it.
 */
function toWorld(pose: EgoPose, ex: number, ey: number, bearing: number, sr: number, st: number): Pick<Measurement, 'position' | 'covariance'> {
  const c = Math.cos(pose.heading), s = Math.sin(pose.heading);
  // R = U diag(σr², σt²) Uᵀ with U = [los, los⊥] in the world.
  const a = pose.heading + bearing, lc = Math.cos(a), ls = Math.sin(a), r2 = sr * sr, t2 = st * st;
  const xy = (r2 - t2) * lc * ls;
  return {
    position: [pose.x + c * ex - s * ey, pose.y + s * ex + c * ey],
    covariance: [r2 * lc * lc + t2 * ls * ls, xy, xy, r2 * ls * ls + t2 * lc * lc],
  };
}

/**
 * The centre of cluster k, in the ego frame, written into `out`. Along each axis: when the cluster
 * spreads across that axis by `faceSpread` or more, or more than along it, the face square to it
 * was hit, so the centre is half the label's footprint beyond the cluster's edge nearest the lidar
 * at (ox, oy); otherwise only a side was hit, of which any part may be showing, and the centroid
 * is used.
 */
function clusterCentre(clusters: LidarClusters, k: number, size: readonly [number, number], faceSpread: number, ox: number, oy: number, out: Float64Array): void {
  const lo = clusters.egoMin, hi = clusters.egoMax, c = clusters.egoCentroid;
  for (let a = 0; a < 2; a++) {
    const i = k * 3 + a, across = k * 3 + 1 - a;
    const spread = hi[across] - lo[across];
    if (spread < faceSpread && spread < hi[i] - lo[i]) {
      out[a] = c[i];
      continue;
    }
    // Half the footprint beyond the near edge, or half the extent when the cluster is longer than the footprint.
    const half = Math.max(size[a] / 2, (hi[i] - lo[i]) / 2);
    out[a] = c[i] > (a === 0 ? ox : oy) ? lo[i] + half : hi[i] - half;
  }
}

/**
 * Whether the bottom edge of box r (of `kept` detections) is hidden: its middle lies in a box
 * that stands nearer on the road, so the lowest pixels seen are the top of the thing in front.
 */
function bottomHidden(detections: readonly Detection[], kept: readonly number[], r: number, boxRange: readonly number[]): boolean {
  const [x, y, w, h] = detections[kept[r]].bbox, u = x + w / 2, v = y + h;
  for (let q = 0; q < kept.length; q++) {
    if (q === r || !(boxRange[q] < boxRange[r])) continue;
    const [bx, by, bw, bh] = detections[kept[q]].bbox;
    if (u >= bx && u <= bx + bw && v >= by && v <= by + bh) return true;
  }
  return false;
}

/**
 * The measurements of one frame: `detections` of the camera `camera`, the sweep's `clusters` and
 * their image positions `projected`, the ego at `pose`, the lidar at `lidarOrigin` in the ego frame.
 */
export function fuseDetections(
  detections: readonly Detection[],
  camera: CameraModel,
  clusters: LidarClusters,
  projected: ProjectedClusters,
  pose: EgoPose,
  lidarOrigin: readonly [number, number, number],
  options: FusionOptions = DEFAULT_FUSION,
): FusedMeasurement[] {
  const o = options, K = clusters.count, uv = projected.uv, mg = o.boxMargin;
  const [cx, cy] = camera.centre;
  const kept: number[] = [];
  for (let d = 0; d < detections.length; d++) if (detections[d].score >= o.minScore) kept.push(d);
  // Range of each box by the flat road, NaN above the horizon.
  const boxRange = kept.map((d) => {
    const [x, y, w, h] = detections[d].bbox;
    return groundPointOfPixel(camera, x + w / 2, y + h - 0.5, _g) ? _g[2] : NaN;
  });
  const gate = 1 - o.minOverlap;
  const cost = kept.map((d, r) => {
    const [x, y, w, h] = detections[d].bbox;
    const x0 = x - mg, y0 = y - mg, x1 = x + w + mg, y1 = y + h + mg;
    const row = new Array<number>(K);
    for (let c = 0; c < K; c++) {
      const b = projected.bounds;
      row[c] = Infinity;
      if (projected.inImage[c] === 0 || b[c * 4] > x1 || b[c * 4 + 2] < x0 || b[c * 4 + 1] > y1 || b[c * 4 + 3] < y0) continue;
      let inside = 0, u0 = Infinity, u1 = -Infinity;
      for (let q = clusters.start[c]; q < clusters.start[c + 1]; q++) {
        const i = clusters.members[q], u = uv[i * 2], v = uv[i * 2 + 1];
        if (!(u >= x0 && u <= x1 && v >= y0 && v <= y1)) continue;
        inside++;
        if (u < u0) u0 = u;
        if (u > u1) u1 = u;
      }
      const miss = 1 - inside / projected.inImage[c];
      if (inside === 0 || miss > gate) continue;
      const k = c * 3, range = Math.hypot(clusters.egoCentroid[k] - cx, clusters.egoCentroid[k + 1] - cy);
      const cover = Math.min(1, (u1 - u0) / Math.max(w, 1));
      row[c] = miss + o.coverWeight * (1 - cover) + (Number.isFinite(boxRange[r]) ? o.rangeWeight * Math.min(LOG_RANGE_CAP, Math.abs(Math.log(range / boxRange[r]))) : 0);
    }
    return row;
  });
  // Only clusters some box could take go to the assignment: a few columns, not every cluster of the sweep.
  const columns: number[] = [];
  for (let c = 0; c < K; c++) if (cost.some((row) => row[c] < Infinity)) columns.push(c);
  const clusterOf = new Int32Array(kept.length).fill(-1);
  if (columns.length > 0) {
    const { matches } = associate(cost.map((row) => columns.map((c) => row[c])), gate + o.coverWeight + o.rangeWeight * LOG_RANGE_CAP, columns.length);
    for (const [r, c] of matches) clusterOf[r] = columns[c];
  }
  const out: FusedMeasurement[] = [];
  const [lx, ly] = lidarOrigin;
  const { fx, fy } = camera.intrinsics;
  for (let r = 0; r < kept.length; r++) {
    const det = detections[kept[r]], c = clusterOf[r];
    if (c >= 0) {
      clusterCentre(clusters, c, o.sizes[det.label] ?? o.defaultSize, o.faceSpread, lx, ly, _g);
      out.push({ ...toWorld(pose, _g[0], _g[1], Math.atan2(_g[1] - ly, _g[0] - lx), o.lidarStd[0], o.lidarStd[1]), label: det.label, score: det.score, source: 'lidar', detection: kept[r], cluster: c });
      continue;
    }
    const [x, y, w, h] = det.bbox;
    if (bottomHidden(detections, kept, r, boxRange) || !groundPointOfPixel(camera, x + w / 2, y + h - 0.5, _g) || _g[2] > o.maxRange) continue;
    // r = height·f / (rows below the horizon), so dr = r²/(height·f) per row.
    const range = _g[2], height = camera.centre[2];
    const sr = Math.hypot((range * range * o.pixelStd) / (height * fy), o.depthStd), st = Math.hypot((range * o.pixelStd) / fx, o.depthStd / 2);
    // The contact point is on the near side: half the footprint beyond it along the line of sight.
    const bearing = Math.atan2(_g[1] - cy, _g[0] - cx), [L, W] = o.sizes[det.label] ?? o.defaultSize;
    const d = (L / 2 - (o.groundInset[det.label] ?? 0)) * Math.abs(Math.cos(bearing)) + (W / 2) * Math.abs(Math.sin(bearing));
    out.push({ ...toWorld(pose, _g[0] + d * Math.cos(bearing), _g[1] + d * Math.sin(bearing), bearing, sr, st), label: det.label, score: det.score, source: 'ground', detection: kept[r], cluster: -1 });
  }
  return out;
}
