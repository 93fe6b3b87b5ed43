/**
 * The fusion pipeline as one synchronous call per frame, for an env wrapper to run each step:
 * (camera detections, lidar sweep, ego pose, time) in, world-frame tracks out. No RxJS here; the
 * stream stages in ./operators/ run the same parts. One frame:
 *
 * 1. the sweep's returns become points, ground returns dropped (lidarPoints.ts);
 * 2. the points are clustered in the ground plane (lidarClusters.ts);
 * 3. the clusters are projected into the image (project.ts);
 * 4. each detection is paired with a cluster, or placed on the flat road, as a world measurement
 *    with a covariance (fuseDetections.ts);
 * 5. the measurements update constant-velocity Kalman tracks (tracker.ts).
 *
 * Points, clusters and projections live in buffers reused from frame to frame: read them before
 * the next `step`.
 */
import type { CameraMount } from '../../sim/sensors/camera/Camera.ts';
import type { CameraIntrinsics, Detection } from '../detectors/types.ts';
import { fuseDetections, DEFAULT_FUSION, type FusedMeasurement, type FusionOptions } from './fuseDetections.ts';
import { LidarClusters, DEFAULT_CLUSTERS, type ClusterOptions } from './lidarClusters.ts';
import { LidarPoints, lidarGeometry, DEFAULT_POINTS, type EgoPose, type LidarGeometry, type LidarSpecInput, type PointOptions } from './lidarPoints.ts';
import { cameraModel, ProjectedClusters, type CameraModel } from './project.ts';
import { Tracker, DEFAULT_TRACKER, type Track, type TrackerOptions } from './tracker.ts';

/**
 * The lidar fusion is meant for: one level ring of 720 rays (0.5° apart) at 1 m, reaching 80 m.
 * The scenarios' default lidar has 64 rays, 5.6° apart: a car beyond 20 m falls between them.
 */
export const TRACKING_LIDAR: LidarSpecInput = { type: 'lidar', id: 'fusion-lidar', rays: 720, channels: 1, verticalFov: [0, 0], range: 80, height: 1 };

export interface FusionConfig {
  /** The camera's intrinsics and its mount on the ego (x forward, y left, z up [m]; yaw, pitch, roll [deg]) */
  camera: { intrinsics: CameraIntrinsics; mount: CameraMount };
  /** The lidar, as in a scenario file, or its geometry */
  lidar: LidarSpecInput | LidarGeometry;
  points?: Partial<PointOptions>;
  clusters?: Partial<ClusterOptions>;
  fusion?: Partial<FusionOptions>;
  tracker?: Partial<TrackerOptions>;
}

/** What one frame brings: the camera's detections and the lidar sweep taken with it, with the ego's pose then */
export interface FusionInput {
  /** [s] */
  timestamp: number;
  detections: readonly Detection[];
  /** The lidar reading: [channels × rays] ranges as fractions of its range, 1 for no return */
  ranges: ArrayLike<number>;
  ego: EgoPose;
}

/** The parts of the pipeline that do not change from frame to frame */
export interface FusionParts {
  camera: CameraModel;
  lidar: LidarGeometry;
  points: PointOptions;
  clusters: ClusterOptions;
  fusion: FusionOptions;
  tracker: TrackerOptions;
}

export function fusionParts(config: FusionConfig): FusionParts {
  const lidar = 'dirs' in config.lidar ? config.lidar : lidarGeometry(config.lidar);
  return {
    camera: cameraModel(config.camera.intrinsics, config.camera.mount),
    lidar,
    points: { ...DEFAULT_POINTS, ...config.points },
    clusters: { ...DEFAULT_CLUSTERS, ...config.clusters },
    // Flat-road estimates are kept to the lidar's reach unless told otherwise.
    fusion: { ...DEFAULT_FUSION, maxRange: lidar.range, ...config.fusion },
    tracker: { ...DEFAULT_TRACKER, ...config.tracker },
  };
}

export class FusionPipeline {
  readonly parts: FusionParts;
  /** The last frame's points, clusters, their image positions and the measurements made */
  readonly points = new LidarPoints();
  readonly clusters = new LidarClusters();
  readonly projected = new ProjectedClusters();
  measurements: FusedMeasurement[] = [];
  private tracker: Tracker;

  constructor(config: FusionConfig) {
    this.parts = fusionParts(config);
    this.tracker = new Tracker(this.parts.tracker);
  }

  /** Runs one frame; returns the confirmed tracks after it, in world coordinates */
  step(input: FusionInput): Track[] {
    this.measurements = this.measure(input);
    return this.tracker.step(input.timestamp, this.measurements);
  }

  /** Steps 1–4 alone: the frame's world measurements, tracks untouched */
  measure(input: FusionInput): FusedMeasurement[] {
    const p = this.parts;
    this.points.fromScan(input.ranges, p.lidar, input.ego, p.points);
    this.clusters.compute(this.points, p.clusters);
    this.projected.compute(p.camera, this.points, this.clusters);
    return fuseDetections(input.detections, p.camera, this.clusters, this.projected, input.ego, p.lidar.origin, p.fusion);
  }

  /** Forgets every track, as at the start of an episode */
  reset(): void {
    this.tracker = new Tracker(this.parts.tracker);
    this.measurements = [];
  }
}
