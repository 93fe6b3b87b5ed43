import { describe, expect, it } from 'vitest';
import { FusionPipeline } from '../../../perception/fusion/pipeline.ts';
import { CONFIG, roadAt } from './synthetic.ts';

describe('fusion pipeline, one call per frame', () => {
  it('tracks cars in world coordinates with their world velocities while the ego drives', () => {
    const pipeline = new FusionPipeline(CONFIG);
    let tracks = pipeline.step({ timestamp: 0, detections: [], ranges: roadAt(0).scan.ranges, ego: roadAt(0).scan.ego });
    expect(tracks).toEqual([]);
    for (let k = 0; k <= 20; k++) {
      const f = roadAt(k / 10);
      tracks = pipeline.step({ timestamp: k / 10, detections: f.detections, ranges: f.scan.ranges, ego: f.scan.ego });
      expect(pipeline.measurements.map((m) => m.source)).toEqual(['lidar', 'lidar']);
      // Confirmed at the third hit, with the same ids from then on.
      expect(tracks.map((t) => t.id)).toEqual(k < 2 ? [] : [1, 2]);
    }
    const f = roadAt(2);
    tracks.forEach((t, i) => {
      expect(t.label).toBe('vehicle');
      expect(t.age).toBeCloseTo(2, 9);
      expect(Math.hypot(t.position[0] - f.truth[i][0], t.position[1] - f.truth[i][1])).toBeLessThan(0.15);
      expect(Math.hypot(t.velocity[0] - f.velocity[i][0], t.velocity[1] - f.velocity[i][1])).toBeLessThan(0.3);
      expect(t.covariance).toHaveLength(16);
      expect(t.covariance[0]).toBeGreaterThan(0);
      expect(t.covariance[0] + t.covariance[5]).toBeLessThan(0.2);
    });
    expect(pipeline.clusters.count).toBe(2);
  });

  it('forgets its tracks on reset', () => {
    const pipeline = new FusionPipeline({ ...CONFIG, tracker: { confirmHits: 1 } });
    const f = roadAt(0);
    expect(pipeline.step({ timestamp: 0, detections: f.detections, ranges: f.scan.ranges, ego: f.scan.ego })).toHaveLength(2);
    pipeline.reset();
    // Time may start again from 0; no track is left over.
    expect(pipeline.step({ timestamp: 0, detections: [], ranges: f.scan.ranges, ego: f.scan.ego })).toEqual([]);
  });
});
