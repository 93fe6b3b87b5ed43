import { describe, expect, it } from 'vitest';
import { LidarClusters } from '../../../perception/fusion/lidarClusters.ts';
import { LidarPoints, lidarGeometry } from '../../../perception/fusion/lidarPoints.ts';
import { make } from '../../../sim/env/registry.ts';
import { Rng } from '../../../sim/rng.ts';

const DEG = Math.PI / 180;

describe('lidar sweep to points', () => {
  it('puts each return where the ray went, by mount and ego pose, worked out by hand', () => {
    // Four azimuths (ahead, left, behind, right), one level channel; mounted 2 m ahead, 1 m up, yawed 90° left.
    const g = lidarGeometry({ type: 'lidar', rays: 4, range: 40, height: 1, mount: { x: 2, yaw: 90 } });
    const points = new LidarPoints().fromScan([0.25, 0.5, 1, 0.125], g, { x: 100, y: 50, heading: 90 * DEG });
    // Ray 0 points along the mount's +x: the ego's left, 10 m; ray 1 the ego's back, 20 m; ray 2 no return; ray 3 the ego's front, 5 m.
    expect(points.count).toBe(3);
    expect(Array.from(points.ray.subarray(0, 3))).toEqual([0, 1, 3]);
    const ego = Array.from(points.ego.subarray(0, 9));
    [2, 10, 1, -18, 0, 1, 7, 0, 1].forEach((v, i) => expect(ego[i]).toBeCloseTo(v, 9));
    // Heading 90°: ego x is world +y, ego y is world −x.
    const world = Array.from(points.world.subarray(0, 9));
    [90, 52, 1, 100, 32, 1, 100, 57, 1].forEach((v, i) => expect(world[i]).toBeCloseTo(v, 9));
  });

  it('drops ground returns and keeps what stands on the road, matching the sensor in the simulator', async () => {
    // Two channels 0.8 m up: 30° down sees the road 1.6 m away, level sees a barrier 1 m high (0.6 m deep, its face 19.7 m ahead of the ego's centre).
    const spec = { type: 'lidar' as const, rays: 360, channels: 2, verticalFov: [-30, 0] as [number, number], range: 60, height: 0.8 };
    const env = await make('highway', { traffic: { vehicles: 0 }, ego: { lane: 1, position: 20, speed: 0 }, obstacles: [{ lane: 1, position: 40, kind: 'barrier' }], sensors: [spec] });
    const reading = env.reset({ seed: 0 }).observation.lidar;
    const ego = env.unwrapped.world.egoActor;
    const points = new LidarPoints().fromScan(reading, lidarGeometry(spec), { x: ego.x, y: ego.y, heading: ego.heading });
    env.close();
    expect(points.ground).toBe(360);
    // The barrier is 2.6 m wide: atan(1.3 / 19.7) = 3.8°, so the level rays from −3° to 3° hit its face (the rest see buildings).
    const onRoad: number[] = [];
    for (let i = 0; i < points.count; i++) if (Math.abs(points.ego[i * 3 + 1]) < 5 && points.ego[i * 3] > 0) onRoad.push(i);
    expect(onRoad.map((i) => points.ray[i])).toEqual([360, 361, 362, 363, 717, 718, 719]);
    for (const i of onRoad) {
      expect(points.world[i * 3] - ego.x).toBeCloseTo(19.7, 3);
      expect(points.ego[i * 3]).toBeCloseTo(19.7, 3);
      expect(points.world[i * 3 + 1] - ego.y).toBeCloseTo(points.ego[i * 3 + 1], 9);
      expect(points.world[i * 3 + 2]).toBeCloseTo(0.8, 6);
      expect(Math.abs(points.ego[i * 3 + 1])).toBeLessThanOrEqual(1.3);
    }
  });

  it('refuses a reading of the wrong size', () => {
    const g = lidarGeometry({ type: 'lidar', rays: 8, channels: 2 });
    expect(() => new LidarPoints().fromScan(new Float32Array(8), g, { x: 0, y: 0, heading: 0 })).toThrow('lidar points: expected 16 ranges (2 channels × 8 rays), got 8');
  });
});

/** Points at the given ego-frame (x, y), 1 m up; world = ego shifted by (1000, −500). */
function pointsAt(xy: readonly (readonly [number, number])[]): LidarPoints {
  const p = new LidarPoints();
  p.count = xy.length;
  p.ego = new Float64Array(xy.flatMap(([x, y]) => [x, y, 1]));
  p.world = new Float64Array(xy.flatMap(([x, y]) => [x + 1000, y - 500, 1]));
  p.ray = new Int32Array(xy.length);
  return p;
}

/** Connected components of "within eps" by checking every pair: the reference for the grid. */
function bruteForce(xy: readonly (readonly [number, number])[], eps: number): number[] {
  const label = xy.map((_, i) => i);
  const root = (i: number): number => (label[i] === i ? i : root(label[i]));
  for (let i = 0; i < xy.length; i++) for (let j = 0; j < i; j++) {
    if (Math.hypot(xy[i][0] - xy[j][0], xy[i][1] - xy[j][1]) <= eps) label[Math.max(root(i), root(j))] = Math.min(root(i), root(j));
  }
  return xy.map((_, i) => root(i));
}

describe('lidar clusters', () => {
  it('chains points across cells, splits at gaps wider than eps, and drops lone points', () => {
    // A: a 3.6 m row of points 0.9 m apart, across several cells and both signs; B starts 1.2 m past A's end; C is alone.
    const A = [-1.8, -0.9, 0, 0.9, 1.8].map((y) => [10, y] as const);
    const B = [[10, 3.0], [10.5, 3.4], [11, 3.0]] as const;
    const c = new LidarClusters().compute(pointsAt([...A, ...B, [-20, -20]]), { eps: 1, minPoints: 2 });
    expect(c.count).toBe(2);
    expect(Array.from(c.size.subarray(0, 2))).toEqual([5, 3]);
    expect(Array.from(c.clusterOf.subarray(0, 9))).toEqual([0, 0, 0, 0, 0, 1, 1, 1, -1]);
    expect(Array.from(c.egoCentroid.subarray(0, 6))).toEqual([10, expect.closeTo(0, 12), 1, 10.5, expect.closeTo(3.1333, 3), 1]);
    expect(Array.from(c.egoMin.subarray(0, 3))).toEqual([10, -1.8, 1]);
    expect(Array.from(c.egoMax.subarray(3, 6))).toEqual([11, 3.4, 1]);
    expect(Array.from(c.worldCentroid.subarray(0, 3))).toEqual([1010, -500, 1]);
    expect(Array.from(c.members.subarray(c.start[1], c.start[2]))).toEqual([5, 6, 7]);
    expect(c.toList()[1]).toEqual({ points: 3, egoCentroid: [10.5, expect.closeTo(3.1333, 3), 1], egoMin: [10, 3, 1], egoMax: [11, 3.4, 1], worldCentroid: [1010.5, expect.closeTo(-496.8667, 3), 1] });
  });

  it('finds the same clusters as comparing every pair, sweep after sweep in reused buffers', () => {
    const rng = Rng.seeded(11);
    const clusters = new LidarClusters();
    for (const [n, eps] of [[400, 1], [60, 2.5], [900, 0.7]] as const) {
      // Blobs of points round random centres, some close enough to merge, plus scatter.
      const centres = Array.from({ length: 12 }, () => [rng.uniform(-40, 40), rng.uniform(-40, 40)] as const);
      const xy = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? [rng.uniform(-50, 50), rng.uniform(-50, 50)] : [centres[i % 12][0] + rng.normal(0, 1.5), centres[i % 12][1] + rng.normal(0, 1.5)]) as [number, number]);
      clusters.compute(pointsAt(xy), { eps, minPoints: 1 });
      const reference = bruteForce(xy, eps);
      // Same partition: two points share a cluster exactly when they share a reference component.
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) {
        if ((clusters.clusterOf[i] === clusters.clusterOf[j]) !== (reference[i] === reference[j])) throw new Error(`points ${i} and ${j} (n ${n}, eps ${eps})`);
      }
      expect(clusters.count).toBe(new Set(reference).size);
    }
  });

  it('refuses a grid too large to hold, naming the way out', () => {
    expect(() => new LidarClusters().compute(pointsAt([[0, 0], [3000, 3000]]), { eps: 0.5, minPoints: 1 })).toThrow(/^lidar clusters: points spread over 3000 × 3000 m need \d+ cells of 0.35 m; expected at most 16777216: raise eps$/);
  });
});
