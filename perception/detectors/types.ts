/**
 * The detector plug-in contract (DESIGN §6). Plug-ins written elsewhere depend on it: change
 * nothing here that they can see.
 *
 * A plug-in is an ES module exporting `load(options?) → Promise<Detector>`. The frame it gets is
 * `{ width, height, data, timestamp, cameraId, intrinsics }`; the built-in oracles also read the
 * ground-truth buffers the simulator's frames carry besides.
 */
import type { CameraIntrinsics } from '../../sim/sensors/camera/CameraFrame.ts';

export type { CameraIntrinsics };

export interface CameraFrame {
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel, row-major from the top-left */
  data: Uint8Array;
  /** [s] */
  timestamp: number;
  cameraId: string;
  intrinsics: CameraIntrinsics;
}

export interface Detection {
  /** [x, y, w, h] in pixels: the top-left corner and the size, as COCO and tfjs-models' coco-ssd */
  bbox: [number, number, number, number];
  label: string;
  score: number;
}

export interface Detector {
  name: string;
  /** The labels its detections use */
  classes: string[];
  detect(frame: CameraFrame): Promise<Detection[]>;
  dispose(): void;
}

/** What a plug-in module exports */
export interface DetectorPlugin {
  load(options?: Record<string, unknown>): Promise<Detector>;
}

/** The classes drivelab's ground truth and built-in detectors use */
export const DETECTION_CLASSES = ['vehicle', 'pedestrian', 'obstacle'] as const;
