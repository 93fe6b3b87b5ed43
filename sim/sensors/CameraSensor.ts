/**
 * The camera as an env sensor: renders the episode's scene from the ego each reading and puts
 * the buffers listed in the spec into the observation, scaled to [0, 1] where they are images:
 * - rgb → [H, W, 3] in [0, 1] (byte / 255);
 * - depth → [H, W] in [0, 1] (depth / far; 1 where nothing is hit);
 * - semantic → [H, W] class ids as floats;
 * - instance → [H, W] actor id + 1 as floats (0 = static world or sky).
 * Key `<id>` holds the first buffer listed, `<id>.<buffer>` each other one.
 */
import type { z } from 'zod';
import type { CameraSensor as CameraSpec } from '../../scenarios/schema.ts';
import { Box } from '../env/spaces.ts';
import type { Rng } from '../rng.ts';
import { lightingFor, type Lighting } from '../scene/lighting.ts';
import { SEMANTIC_CLASS_COUNT } from '../scene/semantics.ts';
import type { World } from '../world/World.ts';
import { Camera } from './camera/Camera.ts';
import type { CameraFrame } from './camera/CameraFrame.ts';
import type { GroundTruthBox } from './camera/groundTruth.ts';
import type { Sensor, SensorContext } from './types.ts';

type Buffer = z.infer<typeof CameraSpec>['buffers'][number];

/** Largest instance id an observation can carry */
export const MAX_INSTANCE = 65535;

export class CameraSensor implements Sensor {
  readonly type = 'camera';
  readonly id: string;
  readonly rate: number;
  readonly spaces: Readonly<Record<string, Box>>;
  readonly camera: Camera;
  private readonly buffers: readonly Buffer[];
  private readonly keys: readonly string[];
  private lighting: Lighting | null = null;
  private world: World | null = null;

  constructor(spec: z.infer<typeof CameraSpec>, stepRate: number) {
    this.id = spec.id;
    this.rate = spec.rate ?? stepRate;
    this.camera = new Camera(spec);
    this.buffers = spec.buffers;
    const H = spec.height, W = spec.width;
    this.keys = spec.buffers.map((b, i) => (i === 0 ? spec.id : `${spec.id}.${b}`));
    const spaces: Record<string, Box> = {};
    spec.buffers.forEach((b, i) => {
      spaces[this.keys[i]] =
        b === 'rgb' ? new Box(0, 1, [H, W, 3])
        : b === 'depth' ? new Box(0, 1, [H, W])
        : b === 'semantic' ? new Box(0, SEMANTIC_CLASS_COUNT - 1, [H, W])
        : new Box(0, MAX_INSTANCE, [H, W]);
    });
    this.spaces = spaces;
  }

  /** Takes the episode's light from its scenario environment. */
  reset(world: World, _rng: Rng): void {
    this.world = world;
    this.lighting = lightingFor(world.scenario.environment);
  }

  observe(ctx: SensorContext, out: Record<string, Float32Array>): void {
    if (ctx.world !== this.world || !this.lighting) {
      this.world = ctx.world;
      this.lighting = lightingFor(ctx.world.scenario.environment);
    }
    const frame = this.camera.render(ctx.world, ctx.scene(), this.lighting);
    const far = frame.intrinsics.far;
    for (let k = 0; k < this.buffers.length; k++) {
      const b = this.buffers[k];
      const o = new Float32Array(this.spaces[this.keys[k]].size);
      if (b === 'rgb') {
        const src = frame.data;
        for (let i = 0; i < o.length; i++) o[i] = src[i] / 255;
      } else if (b === 'depth') {
        const src = frame.depth;
        for (let i = 0; i < o.length; i++) o[i] = src[i] >= far ? 1 : src[i] / far;
      } else if (b === 'semantic') {
        const src = frame.semantic;
        for (let i = 0; i < o.length; i++) o[i] = src[i];
      } else {
        const src = frame.instance;
        for (let i = 0; i < o.length; i++) o[i] = src[i] > MAX_INSTANCE ? MAX_INSTANCE : src[i];
      }
      out[this.keys[k]] = o;
    }
  }

  /** The last frame rendered, with every buffer; overwritten by the next reading. */
  lastFrame(): CameraFrame {
    return this.camera.frame;
  }

  /** Ground-truth 2D boxes of the last frame. */
  boxes(): GroundTruthBox[] {
    return this.camera.boxes();
  }
}
