/**
 * Camera–lidar association as a stream stage: each item's clusters are projected into the camera
 * and paired with its detections, giving the frame's world-frame measurements (fuseDetections.ts),
 * stamped with the item's time, ready for `trackObjects`.
 */
import { defer, map, type OperatorFunction } from 'rxjs';
import type { Detection } from '../../detectors/types.ts';
import { fuseDetections, type FusedMeasurement, type FusionOptions } from '../fuseDetections.ts';
import type { LidarGeometry, LidarScan } from '../lidarPoints.ts';
import { ProjectedClusters, type CameraModel } from '../project.ts';
import type { Clustered } from './clusterLidar.ts';

export interface ToFuse extends Clustered {
  /** [s] */
  timestamp: number;
  detections: readonly Detection[];
  scan: LidarScan;
}

export function fuseCameraLidar(camera: CameraModel, lidar: LidarGeometry, options: FusionOptions): OperatorFunction<ToFuse, { timestamp: number; measurements: FusedMeasurement[] }> {
  // Projections are read within the call that makes them, so one scratch per subscription will do.
  return (source$) =>
    defer(() => {
      const projected = new ProjectedClusters();
      return source$.pipe(
        map((f) => {
          projected.compute(camera, f.points, f.clusters);
          return { timestamp: f.timestamp, measurements: fuseDetections(f.detections, camera, f.clusters, projected, f.scan.ego, lidar.origin, options) };
        }),
      );
    });
}
