/**
 * A camera mounted on the ego, usable without an env: `new Camera(spec).render(world, scene)`
 * returns the frame (buffers reused between renders), and `boxes()` its ground-truth boxes.
 */
import { Euler, Matrix4 } from 'three';
import type { z } from 'zod';
import { CameraSensor as CameraSpecSchema } from '../../../scenarios/schema.ts';
import type { Lighting } from '../../scene/lighting.ts';
import type { World } from '../../world/World.ts';
import type { CameraFrame } from './CameraFrame.ts';
import { groundTruthBoxes, type GroundTruthBox } from './groundTruth.ts';
import { Rasterizer } from './Rasterizer.ts';
import { rasterSceneFor, type RasterScene, type RasterSource } from './RasterScene.ts';

export type CameraSpec = z.infer<typeof CameraSpecSchema>;
export type CameraSpecInput = z.input<typeof CameraSpecSchema>;
export type CameraMount = CameraSpec['mount'];

export interface CameraOptions {
  /**
   * Draw the ego's own body (default false): from the default mount only its bonnet would show,
   * and a box around the camera's own car is no use as detector ground truth.
   */
  drawEgo?: boolean;
}

const DEG = Math.PI / 180;
const _euler = new Euler();
const _m = new Matrix4();
const _body = new Matrix4();

/**
 * Camera-to-body transform of a mount (body axes as in actorMeshes: +X forward, +Y up, +Z right;
 * mount: x forward, y left, z up [m], yaw left, pitch nose-up, roll [deg]), into `out`.
 */
export function mountMatrix(mount: CameraMount, out: Matrix4): Matrix4 {
  // Body rotation Ry(yaw)·Rz(pitch)·Rx(roll), then three's camera axes (looking down −Z) turned
  // to look along +X: Ry(−90°) sends camera −Z to +X and camera +X (right) to +Z (right).
  _euler.set(mount.roll * DEG, mount.yaw * DEG, mount.pitch * DEG, 'YZX');
  out.makeRotationFromEuler(_euler).multiply(_m.makeRotationY(-Math.PI / 2));
  return out.setPosition(mount.x, mount.z, -mount.y);
}

/** Camera-to-world of a camera with mount matrix `mount` on a body at ground (x, y), heading [rad]. */
export function cameraPose(x: number, y: number, heading: number, mount: Matrix4, out: Matrix4): Matrix4 {
  _body.makeRotationY(heading).setPosition(x, 0, -y);
  return out.multiplyMatrices(_body, mount);
}

export class Camera {
  readonly spec: CameraSpec;
  readonly rasterizer: Rasterizer;
  /** The last render; its arrays are the rasteriser's and are overwritten by the next one */
  readonly frame: CameraFrame;
  private readonly drawEgo: boolean;
  private readonly mount = new Matrix4();
  private readonly pose = new Matrix4();

  constructor(spec: CameraSpecInput = { type: 'camera' }, options: CameraOptions = {}) {
    this.spec = CameraSpecSchema.parse(spec);
    const s = this.spec;
    this.rasterizer = new Rasterizer(s.width, s.height, s.fov, s.near, s.far);
    this.drawEgo = options.drawEgo ?? false;
    mountMatrix(s.mount, this.mount);
    const r = this.rasterizer;
    this.frame = {
      width: s.width,
      height: s.height,
      data: r.rgb,
      depth: r.depth,
      semantic: r.semantic,
      instance: r.instance,
      timestamp: 0,
      cameraId: s.id,
      intrinsics: r.intrinsics,
      pose: r.pose,
    };
  }

  /** Renders from the ego of `world` (scene, e.g. a DrivingScene, in sync with it), lit by `lighting` (default: the scene's). */
  render(world: World, scene: RasterSource, lighting: Lighting = scene.lighting): CameraFrame {
    const ego = world.egoActor;
    cameraPose(ego.x, ego.y, ego.heading, this.mount, this.pose);
    return this.draw(rasterSceneFor(scene, lighting), this.pose.elements, world.time, this.drawEgo ? -1 : ego.id + 1);
  }

  /** Renders a RasterScene from any camera-to-world pose (column-major 4×4), every actor drawn. */
  renderFrom(rs: RasterScene, cameraToWorld: ArrayLike<number>, timestamp: number): CameraFrame {
    return this.draw(rs, cameraToWorld, timestamp, -1);
  }

  private draw(rs: RasterScene, cameraToWorld: ArrayLike<number>, timestamp: number, hiddenInstance: number): CameraFrame {
    this.rasterizer.hiddenInstance = hiddenInstance;
    this.rasterizer.setPose(cameraToWorld);
    this.rasterizer.render(rs);
    this.frame.timestamp = timestamp;
    return this.frame;
  }

  /** Ground-truth boxes of the last render (a new array each call). */
  boxes(): GroundTruthBox[] {
    const r = this.rasterizer;
    return groundTruthBoxes(r.instance, r.semantic, r.width, r.coverCount);
  }
}

/**
 * One frame from the ego's camera, for one-off captures: builds a Camera (and its buffers) per
 * call, so loops should keep a Camera instead.
 */
export function renderCamera(world: World, scene: RasterSource, spec: CameraSpecInput = { type: 'camera' }, lighting?: Lighting, options?: CameraOptions): CameraFrame {
  return new Camera(spec, options).render(world, scene, lighting);
}
