/**
 * The fusion pipeline as streams (DESIGN §7), a `pipe()` of the stages: camera frames in, tracks
 * out, with the lidar sweeps as a second stream. Per camera frame:
 *
 * 1. `syncNearest`: pair it with the sweep nearest in sensor time, within `tolerance`;
 * 2. `detectLatest`: run the detector, one call at a time (tracks need frames in time order),
 *    a frame that comes while it is busy waiting in a one-place buffer;
 * 3. `clusterLidar`: the paired sweep's points and clusters;
 * 4. `fuseCameraLidar`: clusters projected and paired with detections: world measurements;
 * 5. `trackObjects`: Hungarian assignment and Kalman tracking.
 *
 * The same parts as `FusionPipeline.step`, which runs them in one call with no streams.
 */
import { map, type Observable, type ObservableInput, type OperatorFunction } from 'rxjs';
import type { CameraFrame, Detection } from '../../detectors/types.ts';
import type { LidarScan } from '../lidarPoints.ts';
import { fusionParts, type FusionConfig } from '../pipeline.ts';
import type { Track } from '../tracker.ts';
import { clusterLidar } from './clusterLidar.ts';
import { detectLatest, type DetectStats } from './detectLatest.ts';
import { fuseCameraLidar } from './fuseCameraLidar.ts';
import { syncNearest } from './syncNearest.ts';
import { trackObjects } from './trackObjects.ts';

export interface StreamOptions {
  /** Largest gap between a frame's and its sweep's sensor times [s] */
  tolerance: number;
  /** Frames dropped while the detector was busy are counted here */
  stats?: DetectStats;
}

export function fuseAndTrack<F extends CameraFrame>(
  lidar$: Observable<LidarScan>,
  detect: (frame: F) => ObservableInput<readonly Detection[]>,
  config: FusionConfig,
  options: StreamOptions,
): OperatorFunction<F, { timestamp: number; tracks: Track[] }> {
  const parts = fusionParts(config);
  return (camera$) =>
    camera$.pipe(
      syncNearest(lidar$, options.tolerance),
      detectLatest(([frame]: [F, LidarScan]) => detect(frame), 1, options.stats),
      map(({ frame: [frame, scan], detections }) => ({ timestamp: frame.timestamp, detections, scan })),
      clusterLidar(parts.lidar, parts.points, parts.clusters),
      fuseCameraLidar(parts.camera, parts.lidar, parts.fusion),
      trackObjects(parts.tracker),
    );
}
