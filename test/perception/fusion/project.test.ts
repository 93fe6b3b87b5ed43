import { describe, expect, it } from 'vitest';
import { cameraModel, groundPointOfPixel, projectEgoPoint, ProjectedClusters } from '../../../perception/fusion/project.ts';
import { LidarClusters } from '../../../perception/fusion/lidarClusters.ts';
import { LidarPoints } from '../../../perception/fusion/lidarPoints.ts';
import { make } from '../../../sim/env/registry.ts';
import { Camera } from '../../../sim/sensors/camera/Camera.ts';

const DEG = Math.PI / 180;
const INTRINSICS = { fx: 100, fy: 100, cx: 64, cy: 48, width: 128, height: 96, near: 0.1, far: 200 };
const LEVEL = { x: 1, y: 0, z: 1.4, yaw: 0, pitch: 0, roll: 0 };

describe('projection into the camera', () => {
  it('puts points where the pinhole model says, worked out by hand', () => {
    const camera = cameraModel(INTRINSICS, LEVEL);
    const out = [0, 0, 0];
    // Straight ahead of the lens (1 m ahead of the ego's centre, 1.4 m up), 10 m on: the principal point.
    expect(projectEgoPoint(camera, 11, 0, 1.4, out)).toBe(true);
    out.forEach((v, i) => expect(v).toBeCloseTo([64, 48, 10][i], 12));
    // 2 m to the right (y is left): u = cx + fx·X/Z = 64 + 100·2/10.
    projectEgoPoint(camera, 11, -2, 1.4, out);
    expect(out[0]).toBeCloseTo(84, 12);
    expect(out[1]).toBeCloseTo(48, 12);
    // 1 m up at 20 m: v = cy − fy·Y/Z = 48 − 5.
    projectEgoPoint(camera, 21, 0, 2.4, out);
    expect(out[1]).toBeCloseTo(43, 12);
    // Behind the lens, or closer than the near plane: not projected.
    expect(projectEgoPoint(camera, 0.5, 0, 1.4, out)).toBe(false);
    expect(projectEgoPoint(camera, 1.05, 0, 1.4, out)).toBe(false);
  });

  it('follows the mount: a camera pitched down 3° sees its own axis at the principal point, and one yawed left sees left', () => {
    const pitched = cameraModel(INTRINSICS, { ...LEVEL, pitch: -3 });
    const out = [0, 0, 0];
    projectEgoPoint(pitched, 1 + 10 * Math.cos(3 * DEG), 0, 1.4 - 10 * Math.sin(3 * DEG), out);
    out.forEach((v, i) => expect(v).toBeCloseTo([64, 48, 10][i], 12));
    const yawed = cameraModel(INTRINSICS, { ...LEVEL, yaw: 90, y: 0.5 });
    projectEgoPoint(yawed, 1, 10.5, 1.4, out);
    out.forEach((v, i) => expect(v).toBeCloseTo([64, 48, 10][i], 12));
  });

  it('takes a pixel back to the ground: the inverse of projecting a point on the road', () => {
    const camera = cameraModel(INTRINSICS, { ...LEVEL, pitch: -3 });
    const uv = [0, 0, 0], g = [0, 0, 0];
    projectEgoPoint(camera, 20, 3, 0, uv);
    expect(groundPointOfPixel(camera, uv[0], uv[1], g)).toBe(true);
    expect(g[0]).toBeCloseTo(20, 9);
    expect(g[1]).toBeCloseTo(3, 9);
    expect(g[2]).toBeCloseTo(Math.hypot(19, 3, 1.4), 9);
    // The horizon of a camera pitched 3° down is fy·tan 3° above the centre: rays at or above it never meet the road.
    expect(groundPointOfPixel(camera, 64, 48 - 100 * Math.tan(3 * DEG) - 1e-9, g)).toBe(false);
    expect(groundPointOfPixel(camera, 64, 48 - 100 * Math.tan(3 * DEG) + 0.5, g)).toBe(true);
  });

  it('agrees with the renderer: a barrier\'s corners project onto its ground-truth box', async () => {
    // A barrier (0.6 m deep, 2.6 m wide, 1 m high) in the next lane left, 25 m ahead; the scenario camera, pitched 3° down.
    const env = await make('highway', { traffic: { vehicles: 0 }, ego: { lane: 1, position: 20, speed: 0 }, obstacles: [{ lane: 2, position: 45, kind: 'barrier' }] });
    env.reset({ seed: 0 });
    const world = env.unwrapped.world;
    const cam = new Camera({ type: 'camera', width: 256, height: 192 });
    cam.render(world, env.unwrapped.scene);
    const [box] = cam.boxes();
    const barrier = world.actors[1], ego = world.egoActor;
    env.close();
    const camera = cameraModel(cam.frame.intrinsics, cam.spec.mount);
    const out = [0, 0, 0];
    let u0 = Infinity, v0 = Infinity, u1 = -Infinity, v1 = -Infinity;
    for (const dx of [-0.3, 0.3]) for (const dy of [-1.3, 1.3]) for (const z of [0, 1]) {
      expect(projectEgoPoint(camera, barrier.x - ego.x + dx, barrier.y - ego.y + dy, z, out)).toBe(true);
      [u0, v0, u1, v1] = [Math.min(u0, out[0]), Math.min(v0, out[1]), Math.max(u1, out[0]), Math.max(v1, out[1])];
    }
    // Pixel i covers [i, i + 1): the box's edges are the projected extremes to within a pixel.
    const [x, y, w, h] = box.bbox;
    for (const [a, b] of [[u0, x], [v0, y], [u1, x + w], [v1, y + h]]) expect(Math.abs(a - b)).toBeLessThanOrEqual(1);
    expect(u1).toBeLessThan(128);
  });

  it('projects each cluster\'s points, keeping only those in the image', () => {
    const camera = cameraModel(INTRINSICS, LEVEL);
    const p = new LidarPoints();
    // A cluster ahead (two points 10 m ahead, one 1 m left of the axis), and one behind the ego.
    p.count = 4;
    p.ego = Float64Array.of(11, 0, 1.4, 11, 1, 1.4, -10, 0, 1, -10, 0.5, 1);
    p.world = p.ego.slice();
    p.ray = new Int32Array(4);
    const clusters = new LidarClusters().compute(p, { eps: 1.5, minPoints: 2 });
    const projected = new ProjectedClusters().compute(camera, p, clusters);
    expect(Array.from(projected.inImage.subarray(0, 2))).toEqual([2, 0]);
    expect(Array.from(projected.bounds.subarray(0, 4))).toEqual([expect.closeTo(54, 9), 48, 64, 48]);
    expect(Array.from(projected.uv.subarray(0, 4))).toEqual([64, 48, expect.closeTo(54, 9), 48]);
    expect(projected.uv[4]).toBeNaN();
  });
});
