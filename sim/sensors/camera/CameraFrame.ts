/**
 * One camera image with its ground truth, as the rasteriser writes it and detectors read it
 * (DESIGN §6: `{ width, height, data, timestamp, cameraId, intrinsics }`, plus the other buffers).
 * The buffers belong to the camera and are overwritten by its next render: copy to keep.
 */

/** Pinhole model: u = cx + fx·x/(−z), v = cy − fy·y/(−z) in camera axes (three.js: −Z forward, +Y up) [px]; planes [m] */
export interface CameraIntrinsics {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  width: number;
  height: number;
  near: number;
  far: number;
}

export interface CameraFrame {
  width: number;
  height: number;
  /** [H·W·3] sRGB bytes, row-major from the top-left */
  data: Uint8Array;
  /** [H·W] distance along the optical axis (camera-space −z) [m]; +Infinity where nothing is hit within `far` */
  depth: Float32Array;
  /** [H·W] semantic class ids (sim/scene/semantics.ts); 0 is sky */
  semantic: Uint8Array;
  /** [H·W] actor id + 1; 0 for the static world and sky */
  instance: Int32Array;
  /** World time of the render [s] */
  timestamp: number;
  cameraId: string;
  intrinsics: CameraIntrinsics;
  /** Camera-to-world 4×4, column-major (three.js Matrix4.elements order) */
  pose: Float64Array;
}
