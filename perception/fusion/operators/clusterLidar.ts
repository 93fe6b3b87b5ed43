/**
 * Lidar clustering as a stream stage: each item's sweep (`scan`) becomes points, ground returns
 * dropped, and clusters (lidarPoints.ts, lidarClusters.ts), added to the item. Every item gets
 * buffers of its own, so items may be held while later ones pass.
 */
import { map, type OperatorFunction } from 'rxjs';
import { LidarClusters, type ClusterOptions } from '../lidarClusters.ts';
import { LidarPoints, type LidarGeometry, type LidarScan, type PointOptions } from '../lidarPoints.ts';

export interface Clustered {
  points: LidarPoints;
  clusters: LidarClusters;
}

export function clusterLidar<T extends { scan: LidarScan }>(lidar: LidarGeometry, points: PointOptions, clusters: ClusterOptions): OperatorFunction<T, T & Clustered> {
  return map((item) => {
    const p = new LidarPoints().fromScan(item.scan.ranges, lidar, item.scan.ego, points);
    return { ...item, points: p, clusters: new LidarClusters().compute(p, clusters) };
  });
}
