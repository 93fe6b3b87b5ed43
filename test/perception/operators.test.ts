import { of, timer, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { detectLatest, type DetectStats } from '../../perception/fusion/operators/detectLatest.ts';
import { syncNearest } from '../../perception/fusion/operators/syncNearest.ts';
import { trackObjects, type MeasurementFrame } from '../../perception/fusion/operators/trackObjects.ts';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('fusion stages in virtual time', () => {
  it('syncNearest pairs each camera frame with the lidar sweep nearest in sensor time, within the tolerance', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      // Lidar at 10 Hz (sensor times 0.0, 0.1, 0.2), camera frames at 0.04, 0.16 and 0.5 s.
      const lidar = hot('  a-b-c------|', { a: { timestamp: 0.0, id: 'L0' }, b: { timestamp: 0.1, id: 'L1' }, c: { timestamp: 0.2, id: 'L2' } });
      const camera = cold('-x---y---z-|', { x: { timestamp: 0.04, id: 'C0' }, y: { timestamp: 0.16, id: 'C1' }, z: { timestamp: 0.5, id: 'C2' } });
      // C0 sees L0 only (L1 has not arrived); C1 sees all three and takes L2 (0.04 away, L1 is 0.06); C2 has none within 0.05.
      expectObservable(camera.pipe(syncNearest(lidar, 0.05), map(([c, l]) => `${c.id}+${l.id}`))).toBe('-x---y-----|', { x: 'C0+L0', y: 'C1+L2' });
    });
  });

  it('detectLatest runs at most `concurrency` detections and keeps only the newest waiting frame', () => {
    const stats: DetectStats = { dropped: 0 };
    scheduler().run(({ cold, expectObservable }) => {
      // Detection takes 3 frames of time; frames come every frame.
      const frames = cold('abcdef|');
      const detect = (f: string) => timer(3).pipe(map(() => f.toUpperCase()));
      const out = frames.pipe(detectLatest(detect, 1, stats), map((r) => r.detections));
      // a runs 0–3; b, then c, then d wait (b and c dropped); d runs 3–6; e waits, f replaces it, f runs 6–9.
      expectObservable(out).toBe('---A--D--(F|)');
    });
    expect(stats.dropped).toBe(3);
  });

  it('detectLatest stops its calls when unsubscribed: none in flight finishes and no waiting frame starts', () => {
    const started: string[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const frames = cold('abc|');
      const detect = (f: string) => {
        started.push(f);
        return timer(5).pipe(map(() => f.toUpperCase()));
      };
      // Unsubscribed at time 3, while a is detected and c waits.
      expectObservable(frames.pipe(detectLatest(detect, 1)), '---!').toBe('---');
    });
    expect(started).toEqual(['a']);
  });

  it('detectLatest with two workers keeps up with a detector twice as slow as the frames', () => {
    const stats: DetectStats = { dropped: 0 };
    scheduler().run(({ cold, expectObservable }) => {
      const frames = cold('a-b-c-d-|');
      const detect = (f: string) => timer(4).pipe(map(() => f.toUpperCase()));
      expectObservable(frames.pipe(detectLatest(detect, 2, stats), map((r) => r.detections))).toBe('----A-B-C-(D|)');
    });
    expect(stats.dropped).toBe(0);
  });

  it('trackObjects turns measurement frames into confirmed tracks, with fresh state per subscription', () => {
    const frames: MeasurementFrame[] = [0, 1, 2, 3].map((k) => ({ timestamp: k * 0.1, measurements: [{ position: [k, 0], covariance: [0.25, 0, 0, 0.25] }] }));
    const stage = of(...frames).pipe(trackObjects({ confirmHits: 3 }));
    const counts = (): number[] => {
      const out: number[] = [];
      stage.subscribe((r) => out.push(r.tracks.length));
      return out;
    };
    expect(counts()).toEqual([0, 0, 1, 1]);
    // A second subscription starts from no tracks, with the same ids.
    expect(counts()).toEqual([0, 0, 1, 1]);
  });
});
