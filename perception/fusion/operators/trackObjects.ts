/** Tracking as a stream stage: each frame's position measurements in, the confirmed tracks after it out. */
import { defer, map, type OperatorFunction } from 'rxjs';
import { Tracker, type Measurement, type Track, type TrackerOptions } from '../tracker.ts';

export interface MeasurementFrame {
  timestamp: number;
  measurements: Measurement[];
}

export function trackObjects(options: Partial<TrackerOptions> = {}): OperatorFunction<MeasurementFrame, { timestamp: number; tracks: Track[] }> {
  // A tracker per subscription: two subscribers never share track state.
  return (source$) =>
    defer(() => {
      const tracker = new Tracker(options);
      return source$.pipe(map((f) => ({ timestamp: f.timestamp, tracks: tracker.step(f.timestamp, f.measurements) })));
    });
}
