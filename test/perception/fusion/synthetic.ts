/** Synthetic scenes for the fusion tests: a level camera, cars as boxes, and where level lidar rays meet them. */
import type { Detection } from '../../../perception/detectors/types.ts';
import { DEFAULT_FUSION } from '../../../perception/fusion/fuseDetections.ts';
import { lidarGeometry, type EgoPose, type LidarScan } from '../../../perception/fusion/lidarPoints.ts';
import type { FusionConfig } from '../../../perception/fusion/pipeline.ts';
import { cameraModel, projectEgoPoint, type CameraModel } from '../../../perception/fusion/project.ts';

const DEG = Math.PI / 180;
export const [L, W] = DEFAULT_FUSION.sizes.vehicle;
export const INTRINSICS = { fx: 100, fy: 100, cx: 64, cy: 48, width: 128, height: 96, near: 0.1, far: 200 };
/** 1 m ahead of the ego's centre, 1.4 m up, level */
export const MOUNT = { x: 1, y: 0, z: 1.4, yaw: 0, pitch: 0, roll: 0 };
export const camera = cameraModel(INTRINSICS, MOUNT);

/** Distance along the unit direction (dx, dy) from `from` to the first of the L × W boxes centred at `centres` (axes as the ego's), or Infinity */
export function castToCars(from: readonly [number, number], dx: number, dy: number, centres: readonly (readonly [number, number])[]): number {
  let best = Infinity;
  for (const [cx, cy] of centres) {
    // Slab test on the box [cx ± L/2] × [cy ± W/2].
    const t1 = (cx - L / 2 - from[0]) / dx, t2 = (cx + L / 2 - from[0]) / dx, t3 = (cy - W / 2 - from[1]) / dy, t4 = (cy + W / 2 - from[1]) / dy;
    const tIn = Math.max(Math.min(t1, t2), Math.min(t3, t4)), tOut = Math.min(Math.max(t1, t2), Math.max(t3, t4));
    if (tIn <= tOut && tIn > 0) best = Math.min(best, tIn);
  }
  return best;
}

/** Where level rays from `from`, `step` degrees apart over the front half, first meet the cars at `centres` (ego frame) */
export function sweep(from: readonly [number, number], centres: readonly (readonly [number, number])[], step: number): [number, number][] {
  const hits: [number, number][] = [];
  for (let a = -90; a <= 90; a += step) {
    const dx = Math.cos(a * DEG), dy = Math.sin(a * DEG), t = castToCars(from, dx, dy, centres);
    if (t < Infinity) hits.push([from[0] + t * dx, from[1] + t * dy]);
  }
  return hits;
}

/** The image box of a car centred at ego (x, y), from the ground to 1.5 m */
export function carBox(cam: CameraModel, x: number, y: number, label = 'vehicle', score = 1): Detection {
  let u0 = Infinity, v0 = Infinity, u1 = -Infinity, v1 = -Infinity;
  const out = [0, 0, 0];
  for (const dx of [-L / 2, L / 2]) for (const dy of [-W / 2, W / 2]) for (const z of [0, 1.5]) {
    projectEgoPoint(cam, x + dx, y + dy, z, out);
    [u0, v0, u1, v1] = [Math.min(u0, out[0]), Math.min(v0, out[1]), Math.max(u1, out[0]), Math.max(v1, out[1])];
  }
  return { bbox: [u0, v0, u1 - u0, v1 - v0], label, score };
}

export const LIDAR = { type: 'lidar' as const, rays: 720, range: 80, height: 1 };
export const CONFIG: FusionConfig = { camera: { intrinsics: INTRINSICS, mount: MOUNT }, lidar: LIDAR };

/**
 * A straight road headed 30° north of east: the ego at 20 m/s, a car 25 m ahead at 25 m/s and one
 * 40 m ahead and a lane left at 15 m/s; all headed along the road. World truth and the frame's inputs at time t.
 */
export function roadAt(t: number): { truth: [number, number][]; velocity: [number, number][]; scan: LidarScan; detections: Detection[] } {
  const h = 30 * DEG, c = Math.cos(h), s = Math.sin(h);
  const along = (d: number, lateral: number): [number, number] => [100 + c * d - s * lateral, -40 + s * d + c * lateral];
  const ego: EgoPose = { ...((([x, y]) => ({ x, y }))(along(20 * t, 0))), heading: h };
  const cars = [[25 + 25 * t, 0, 25], [40 + 15 * t, 3.6, 15]] as const;
  const truth = cars.map(([d, lateral]) => along(d, lateral));
  // In the ego frame the cars are at (d − 20 t, lateral).
  const egoFrame = cars.map(([d, lateral]) => [d - 20 * t, lateral] as const);
  const g = lidarGeometry(LIDAR);
  const ranges = new Float32Array(g.rays);
  for (let r = 0; r < g.rays; r++) ranges[r] = Math.min(1, castToCars([0, 0], g.dirs[r * 3], g.dirs[r * 3 + 1], egoFrame) / g.range);
  return {
    truth,
    velocity: cars.map(([, , v]) => [v * c, v * s]),
    scan: { timestamp: t, ranges, ego },
    detections: egoFrame.map(([x, y]) => carBox(camera, x, y)),
  };
}
