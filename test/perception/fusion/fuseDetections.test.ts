import { describe, expect, it } from 'vitest';
import type { Detection } from '../../../perception/detectors/types.ts';
import { DEFAULT_FUSION, fuseDetections } from '../../../perception/fusion/fuseDetections.ts';
import { LidarClusters } from '../../../perception/fusion/lidarClusters.ts';
import { LidarPoints, type EgoPose } from '../../../perception/fusion/lidarPoints.ts';
import { projectEgoPoint, ProjectedClusters } from '../../../perception/fusion/project.ts';
import { camera, carBox, sweep } from './synthetic.ts';

const DEG = Math.PI / 180;
const LIDAR: [number, number, number] = [0, 0, 1];
const [L] = DEFAULT_FUSION.sizes.vehicle;

/** Clusters and their image positions for points at ego (x, y), all at the lidar's height */
function scene(xy: readonly (readonly [number, number])[]): { clusters: LidarClusters; projected: ProjectedClusters } {
  const p = new LidarPoints();
  p.count = xy.length;
  p.ego = new Float64Array(xy.flatMap(([x, y]) => [x, y, 1]));
  p.world = p.ego.slice();
  p.ray = new Int32Array(xy.length);
  const clusters = new LidarClusters().compute(p, { eps: 1, minPoints: 1 });
  return { clusters, projected: new ProjectedClusters().compute(camera, p, clusters) };
}

describe('camera–lidar fusion', () => {
  it('places each detected car at its centre in the world, from the faces the lidar hit', () => {
    // Ahead, ahead and a lane left, and close by two lanes left (rear and side faces hit); the ego at (100, 50) heading north.
    const cars = [[20, 0], [30, 3.6], [9, 7.2]] as const;
    const { clusters, projected } = scene(sweep([0, 0], cars, 0.5));
    const pose: EgoPose = { x: 100, y: 50, heading: 90 * DEG };
    const m = fuseDetections(cars.map(([x, y]) => carBox(camera, x, y)), camera, clusters, projected, pose, LIDAR);
    expect(m.map((k) => [k.source, k.detection, k.label])).toEqual([['lidar', 0, 'vehicle'], ['lidar', 1, 'vehicle'], ['lidar', 2, 'vehicle']]);
    cars.forEach(([x, y], i) => {
      // Heading north: ego x is world +y, ego y is world −x; to within the rays' spacing (0.24 m at 28 m).
      expect(Math.abs(m[i].position[0] - (100 - y))).toBeLessThan(0.15);
      expect(Math.abs(m[i].position[1] - (50 + x))).toBeLessThan(0.15);
    });
    // Straight ahead the line of sight is world +y: σ² 0.3² across it (x) and 0.5² along it (y).
    m[0].covariance.forEach((v, i) => expect(v).toBeCloseTo([0.09, 0, 0, 0.25][i], 9));
  });

  it('tells a near car from the far one showing round it by the range of the box bottom', () => {
    // Both clusters fall inside both boxes, so by overlap alone any pairing will do (and the Hungarian method would take the first cluster, the far one, for the first box).
    // (The width covered would tell them apart too: it is switched off here to test the range alone.)
    const { clusters, projected } = scene([[36, -0.5], [36, 0.5], [7.4, -0.5], [7.4, 0.5]]);
    const near: Detection = { bbox: [40, 30, 50, 40], label: 'vehicle', score: 1 };
    const far: Detection = { bbox: [45, 40, 30, 16], label: 'vehicle', score: 1 };
    const m = fuseDetections([near, far], camera, clusters, projected, { x: 0, y: 0, heading: 0 }, LIDAR, { ...DEFAULT_FUSION, coverWeight: 0 });
    expect(m.map((k) => [k.detection, k.cluster])).toEqual([[0, 1], [1, 0]]);
    expect(m[0].position[0]).toBeCloseTo(7.4 + L / 2, 9);
    expect(m[1].position[0]).toBeCloseTo(36 + L / 2, 9);
  });

  it('falls back to the flat road under the box when no cluster explains it, with a covariance that grows with range', () => {
    // A car centred 30 m ahead: its rear wheels touch the road 0.9 m in from its end, at 28.6 m.
    // The fallback reads the middle of the box's last pixel row, half a pixel above its bottom edge.
    const { clusters, projected } = scene([]);
    const contact = [0, 0, 0];
    projectEgoPoint(camera, 30 - L / 2 + 0.9, 0, 0, contact);
    const det: Detection = { bbox: [60, 40, 8, contact[1] + 0.5 - 40], label: 'vehicle', score: 0.9 };
    const [m] = fuseDetections([det], camera, clusters, projected, { x: 0, y: 0, heading: 0 }, LIDAR);
    expect(m).toMatchObject({ source: 'ground', cluster: -1, label: 'vehicle', score: 0.9 });
    expect(m.position[0]).toBeCloseTo(30, 9);
    expect(m.position[1]).toBeCloseTo(0, 9);
    // Along the line of sight: one row is r²/(height·fy) metres at range r from the lens.
    const r = Math.hypot(27.6, 1.4), sr2 = ((r * r) / (1.4 * 100)) ** 2 + 0.5 ** 2;
    expect(m.covariance[0]).toBeCloseTo(sr2, 9);
    expect(m.covariance[3]).toBeCloseTo((r / 100) ** 2 + 0.25 ** 2, 9);
  });

  it('gives no measurement for a weak detection, one beyond range, or one whose bottom is hidden behind a nearer box', () => {
    const { clusters, projected } = scene([]);
    const pose = { x: 0, y: 0, heading: 0 };
    const near: Detection = { bbox: [40, 40, 40, 30], label: 'vehicle', score: 1 };
    const behind: Detection = { bbox: [50, 41, 10, 10], label: 'vehicle', score: 1 };
    const m = fuseDetections([near, behind, { ...near, score: 0.4 }, { bbox: [90, 48, 2, 8.6], label: 'vehicle', score: 1 }], camera, clusters, projected, pose, LIDAR, { ...DEFAULT_FUSION, maxRange: 60 });
    // 8.6 rows down is 1.4·100/8.1 = 17 m; with maxRange 15 it goes too.
    expect(m.map((k) => k.detection)).toEqual([0, 3]);
    expect(fuseDetections([near, { bbox: [90, 48, 2, 8.6], label: 'vehicle', score: 1 }], camera, clusters, projected, pose, LIDAR, { ...DEFAULT_FUSION, maxRange: 15 }).map((k) => k.detection)).toEqual([0]);
  });
});
