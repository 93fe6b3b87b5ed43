/**
 * Lidar points into the camera image. The camera is the pinhole of its intrinsics (u = cx + fx·x/(−z),
 * v = cy − fy·y/(−z) in three.js camera axes: x right, y up, z backward) at the pose its mount
 * gives it on the ego (the same `mountMatrix` the renderer uses), so the ego → camera transform is
 * fixed for a mounted camera and computed once. Pixel (i, j) covers [i, i + 1) × [j, j + 1), as
 * in the rasteriser and the COCO boxes it yields.
 */
import { Matrix4 } from 'three';
import { mountMatrix, type CameraMount } from '../../sim/sensors/camera/Camera.ts';
import type { CameraIntrinsics } from '../../sim/sensors/camera/CameraFrame.ts';
import type { LidarClusters } from './lidarClusters.ts';
import type { LidarPoints } from './lidarPoints.ts';

export interface CameraModel {
  intrinsics: CameraIntrinsics;
  /** Ego frame (x forward, y left, z up [m]) → camera axes, row-major 3×4 */
  egoToCamera: Float64Array;
  /** The camera's centre in the ego frame [m] */
  centre: [number, number, number];
}

const _mount = new Matrix4();

/** The model of a camera with `intrinsics` mounted on the ego at `mount` (x forward, y left, z up [m]; yaw, pitch, roll [deg]). */
export function cameraModel(intrinsics: CameraIntrinsics, mount: CameraMount): CameraModel {
  // Camera → body (three's body axes: X forward, Y up, Z right) is [R | t]; camera ← body is [Rᵀ | −Rᵀt].
  const e = mountMatrix(mount, _mount).elements;
  const R = (r: number, c: number) => e[c * 4 + r];
  const t = [e[12], e[13], e[14]];
  const m = new Float64Array(12);
  for (let r = 0; r < 3; r++) {
    // Body = (x, z, −y) of the ego frame, so column by column: Rᵀ's columns 0, −2 and 1.
    m[r * 4] = R(0, r);
    m[r * 4 + 1] = -R(2, r);
    m[r * 4 + 2] = R(1, r);
    m[r * 4 + 3] = -(R(0, r) * t[0] + R(1, r) * t[1] + R(2, r) * t[2]);
  }
  return { intrinsics: { ...intrinsics }, egoToCamera: m, centre: [t[0], -t[2], t[1]] };
}

/**
 * Projects the ego-frame point (x, y, z) into `out` as [u, v, depth along the optical axis];
 * false (and `out` untouched) when it is not in front of the near plane.
 */
export function projectEgoPoint(camera: CameraModel, x: number, y: number, z: number, out: Float64Array | number[]): boolean {
  const m = camera.egoToCamera, k = camera.intrinsics;
  const zc = m[8] * x + m[9] * y + m[10] * z + m[11];
  if (!(-zc >= k.near)) return false;
  const w = -1 / zc;
  out[0] = k.cx + k.fx * (m[0] * x + m[1] * y + m[2] * z + m[3]) * w;
  out[1] = k.cy - k.fy * (m[4] * x + m[5] * y + m[6] * z + m[7]) * w;
  out[2] = -zc;
  return true;
}

/**
 * Where the camera ray through pixel position (u, v) meets the ground (z = 0), in the ego frame,
 * written into `out` as [x, y, distance from the camera]; false when it points at or above the horizon.
 */
export function groundPointOfPixel(camera: CameraModel, u: number, v: number, out: Float64Array | number[]): boolean {
  const m = camera.egoToCamera, k = camera.intrinsics;
  // Direction in camera axes, then in the ego frame by Rᵀ (the rows of egoToCamera are R's columns).
  const dx = (u - k.cx) / k.fx, dy = -(v - k.cy) / k.fy, dz = -1;
  const ex = m[0] * dx + m[4] * dy + m[8] * dz, ey = m[1] * dx + m[5] * dy + m[9] * dz, ez = m[2] * dx + m[6] * dy + m[10] * dz;
  const [cx, cy, cz] = camera.centre;
  if (!(ez < 0)) return false;
  const s = -cz / ez;
  out[0] = cx + s * ex;
  out[1] = cy + s * ey;
  out[2] = s * Math.hypot(ex, ey, ez);
  return true;
}

/** Image positions of the clustered points of one sweep, struct of arrays, reused from sweep to sweep. */
export class ProjectedClusters {
  /** [points × 2] u, v [px] of each point, NaN when behind the camera or outside the image */
  uv = new Float64Array(0);
  /** [clusters] points of each cluster that land in the image */
  inImage = new Int32Array(0);
  /** [clusters × 4] image bounds of those points: u min, v min, u max, v max [px] */
  bounds = new Float64Array(0);

  /** Projects every clustered point of `points` with `camera`. */
  compute(camera: CameraModel, points: LidarPoints, clusters: LidarClusters): this {
    const n = points.count, K = clusters.count;
    if (this.uv.length < n * 2) this.uv = new Float64Array(Math.max(n, this.uv.length) * 2);
    if (this.inImage.length < K) {
      this.inImage = new Int32Array(Math.max(K, 2 * this.inImage.length));
      this.bounds = new Float64Array(this.inImage.length * 4);
    }
    const m = camera.egoToCamera, { fx, fy, cx, cy, near, width, height } = camera.intrinsics;
    const P = points.ego, uv = this.uv, inImage = this.inImage, b = this.bounds;
    for (let c = 0; c < K; c++) {
      let count = 0, u0 = Infinity, v0 = Infinity, u1 = -Infinity, v1 = -Infinity;
      for (let q = clusters.start[c]; q < clusters.start[c + 1]; q++) {
        const i = clusters.members[q], x = P[i * 3], y = P[i * 3 + 1], z = P[i * 3 + 2];
        const zc = m[8] * x + m[9] * y + m[10] * z + m[11];
        uv[i * 2] = uv[i * 2 + 1] = NaN;
        if (!(-zc >= near)) continue;
        const w = -1 / zc;
        const u = cx + fx * (m[0] * x + m[1] * y + m[2] * z + m[3]) * w, v = cy - fy * (m[4] * x + m[5] * y + m[6] * z + m[7]) * w;
        if (!(u >= 0 && u <= width && v >= 0 && v <= height)) continue;
        uv[i * 2] = u;
        uv[i * 2 + 1] = v;
        count++;
        if (u < u0) u0 = u;
        if (u > u1) u1 = u;
        if (v < v0) v0 = v;
        if (v > v1) v1 = v;
      }
      inImage[c] = count;
      b[c * 4] = u0; b[c * 4 + 1] = v0; b[c * 4 + 2] = u1; b[c * 4 + 3] = v1;
    }
    return this;
  }
}
