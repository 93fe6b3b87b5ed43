import { map, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { CameraFrame, Detection } from '../../../perception/detectors/types.ts';
import { clusterLidar, type Clustered } from '../../../perception/fusion/operators/clusterLidar.ts';
import { fuseAndTrack } from '../../../perception/fusion/operators/fuseAndTrack.ts';
import { fuseCameraLidar } from '../../../perception/fusion/operators/fuseCameraLidar.ts';
import type { DetectStats } from '../../../perception/fusion/operators/detectLatest.ts';
import { FusionPipeline, fusionParts } from '../../../perception/fusion/pipeline.ts';
import type { LidarScan } from '../../../perception/fusion/lidarPoints.ts';
import { CONFIG, INTRINSICS, roadAt } from './synthetic.ts';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const parts = fusionParts(CONFIG);

/** A camera frame of the synthetic road at time t; its detections travel with it for the fake detector */
const frameAt = (t: number): CameraFrame & { truth: Detection[] } => ({ width: 128, height: 96, data: new Uint8Array(0), timestamp: t, cameraId: 'front', intrinsics: INTRINSICS, truth: roadAt(t).detections });

describe('fusion stages in virtual time', () => {
  it('clusterLidar adds each sweep\'s clusters to its item, in buffers of the item\'s own', () => {
    const kept: Clustered[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      // An empty road, then the two cars.
      const empty: LidarScan = { ...roadAt(0).scan, ranges: new Float32Array(720).fill(1) };
      const items = cold('a-b|', { a: { scan: empty, tag: 'A' }, b: { scan: roadAt(0).scan, tag: 'B' } });
      const out = items.pipe(clusterLidar(parts.lidar, parts.points, parts.clusters), map((i) => (kept.push(i), `${i.tag}${i.clusters.count}`)));
      expectObservable(out).toBe('a-b|', { a: 'A0', b: 'B2' });
    });
    // The first item's (empty) result is still its own after the second came through.
    expect([kept[0].clusters.count, kept[0].points.count, kept[1].points.count]).toEqual([0, 0, expect.any(Number)]);
    expect(kept[1].clusters.egoCentroid[0]).toBeCloseTo(25 - 2.3, 5);
  });

  it('fuseCameraLidar turns clustered frames into world measurements stamped with the frame\'s time', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const item = (t: number) => ({ timestamp: t, detections: roadAt(t).detections, scan: roadAt(t).scan });
      const frames = cold('-a--b|', { a: item(0), b: { ...item(1), detections: roadAt(1).detections.slice(1) } });
      const out = frames.pipe(
        clusterLidar(parts.lidar, parts.points, parts.clusters),
        fuseCameraLidar(parts.camera, parts.lidar, parts.fusion),
        map((f) => `${f.timestamp}:${f.measurements.map((m) => `${m.source}${m.detection}`).join(',')}`),
      );
      expectObservable(out).toBe('-a--b|', { a: '0:lidar0,lidar1', b: '1:lidar0' });
    });
  });

  it('fuseAndTrack runs sync, detection, clustering, fusion and tracking to the same tracks as the one-call pipeline', () => {
    const reference = new FusionPipeline(CONFIG);
    const expected = [0, 1, 2, 3].map((k) => {
      const f = roadAt(k / 10);
      return { timestamp: k / 10, tracks: reference.step({ timestamp: k / 10, detections: f.detections, ranges: f.scan.ranges, ego: f.scan.ego }) };
    });
    const stats: DetectStats = { dropped: 0 };
    scheduler().run(({ cold, hot, expectObservable }) => {
      // Lidar sweeps at 0.0–0.3 s arrive a frame before the camera frames taken with them; detection takes 2 frames of time.
      const lidar = hot('a--b--c--d--|', { a: roadAt(0).scan, b: roadAt(0.1).scan, c: roadAt(0.2).scan, d: roadAt(0.3).scan });
      const camera = cold('-a--b--c--d--|', { a: frameAt(0), b: frameAt(0.1), c: frameAt(0.2), d: frameAt(0.3) });
      const detect = (f: ReturnType<typeof frameAt>) => timer(2).pipe(map(() => f.truth));
      const out = camera.pipe(fuseAndTrack(lidar, detect, CONFIG, { tolerance: 0.05, stats }));
      expectObservable(out).toBe('---a--b--c--d|', { a: expected[0], b: expected[1], c: expected[2], d: expected[3] });
    });
    expect(stats.dropped).toBe(0);
    expect(expected[3].tracks.map((t) => t.id)).toEqual([1, 2]);
  });
});
