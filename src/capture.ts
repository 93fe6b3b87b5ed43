/**
 * Dataset capture: drive episodes with an agent and save camera frames with exact ground truth,
 * in COCO format, for training and testing detectors.
 *
 * Layout of the output directory:
 *   images/<seed>_<n>.png     RGB, 8 bits per channel
 *   depth/<seed>_<n>.png      depth along the optical axis in millimetres, 16-bit grey; 0 where nothing is hit
 *   semantic/<seed>_<n>.png   semantic class ids (sim/scene/semantics.ts), 8-bit grey
 *   instance/<seed>_<n>.png   actor id + 1, 16-bit grey; 0 for the static world
 *   annotations.json          COCO: images, annotations (bbox, area, RLE mask, visible fraction), categories
 * The annotations file is rewritten after every episode, so an interrupted capture keeps what it saved.
 *
 * `frames` is an upper bound per seed: an episode that ends early (goal, collision, off-road) gives
 * fewer. Driving extra seeds to make up the count would make the dataset depend on more than the
 * seeds it lists, so the shortfall is reported instead: per seed in `info.seeds` of the annotations
 * and through `onSeed`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'fast-png';
import type { Scenario } from '../scenarios/schema.ts';
import { DrivingEnv } from '../sim/env/DrivingEnv.ts';
import { TimeLimit } from '../sim/env/wrappers.ts';
import { Camera, type CameraSpecInput } from '../sim/sensors/camera/Camera.ts';
import type { CameraFrame } from '../sim/sensors/camera/CameraFrame.ts';
import type { GroundTruthBox } from '../sim/sensors/camera/groundTruth.ts';
import { SemanticClass } from '../sim/scene/semantics.ts';
import { initPhysics } from '../sim/world/physics.ts';
import type { Outcome } from '../sim/env/DrivingEnv.ts';
import { loadAgent } from './agents.ts';
import { createOutputDir } from './outputDir.ts';
import { VERSION } from './version.ts';

/** COCO categories, by the semantic class of the object's pixels. */
export const CATEGORIES = [
  { id: 1, name: 'vehicle', supercategory: 'road-user', semantic: SemanticClass.vehicle },
  { id: 2, name: 'pedestrian', supercategory: 'road-user', semantic: SemanticClass.pedestrian },
  { id: 3, name: 'obstacle', supercategory: 'static', semantic: SemanticClass.obstacle },
] as const;

export interface CaptureOptions {
  scenario: Scenario;
  seeds: number[];
  /** Frames per seed */
  frames: number;
  /** Env steps between frames */
  every: number;
  agent: string;
  out: string;
  camera: CameraSpecInput;
  onFrame?: (written: number) => void;
  /** Called when a seed is done, with what it gave */
  onSeed?: (seed: SeedCapture) => void;
}

/** What one seed gave. */
export interface SeedCapture {
  seed: number;
  frames: number;
  /** Env steps driven */
  steps: number;
  /** How the episode ended before all frames were taken, or null when it gave them all */
  ended: Outcome | null;
}

export interface CaptureResult {
  images: number;
  annotations: number;
  /** Frames asked for: frames per seed × seeds */
  requested: number;
  seeds: SeedCapture[];
}

/** The most frames one episode can give: one every `every` steps until the time limit. */
export function maxFramesPerEpisode(scenario: Scenario, every: number): number {
  return Math.ceil(Math.round(scenario.limits.duration / scenario.sim.stepDt) / every);
}

export interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
  seed: number;
  step: number;
  time: number;
  depth_file: string;
  semantic_file: string;
  instance_file: string;
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  /** [x, y, w, h] in pixels */
  bbox: [number, number, number, number];
  /** Visible pixels */
  area: number;
  iscrowd: 0;
  /** Uncompressed COCO RLE of the visible mask: column-major run lengths starting with background */
  segmentation: { size: [number, number]; counts: number[] };
  visible_fraction: number;
  actor_id: number;
}

/** Uncompressed COCO RLE of the pixels of `instance` equal to `id`. */
export function maskRle(instance: Int32Array, width: number, height: number, id: number): number[] {
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = instance[y * width + x] === id ? 1 : 0;
      if (v !== current) {
        counts.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
  }
  counts.push(run);
  return counts;
}

function png(width: number, height: number, data: Uint8Array | Uint16Array, channels: 1 | 3, depth: 8 | 16): Uint8Array {
  return encode({ width, height, data, channels, depth });
}

function writeFrame(out: string, name: string, f: CameraFrame): void {
  writeFileSync(join(out, 'images', name), png(f.width, f.height, f.data, 3, 8));
  const mm = new Uint16Array(f.width * f.height);
  for (let i = 0; i < mm.length; i++) mm[i] = Number.isFinite(f.depth[i]) ? Math.min(Math.round(f.depth[i] * 1000), 65535) : 0;
  writeFileSync(join(out, 'depth', name), png(f.width, f.height, mm, 1, 16));
  writeFileSync(join(out, 'semantic', name), png(f.width, f.height, f.semantic, 1, 8));
  const inst = new Uint16Array(f.width * f.height);
  for (let i = 0; i < inst.length; i++) inst[i] = Math.min(f.instance[i], 65535);
  writeFileSync(join(out, 'instance', name), png(f.width, f.height, inst, 1, 16));
}

export async function capture(opts: CaptureOptions): Promise<CaptureResult> {
  await initPhysics();
  const env = new TimeLimit(new DrivingEnv(opts.scenario), Math.round(opts.scenario.limits.duration / opts.scenario.sim.stepDt));
  const policy = await loadAgent(opts.agent, env);
  const camera = new Camera(opts.camera);
  createOutputDir('--out', opts.out);
  for (const dir of ['images', 'depth', 'semantic', 'instance']) mkdirSync(join(opts.out, dir), { recursive: true });
  const images: CocoImage[] = [];
  const annotations: CocoAnnotation[] = [];
  const seeds: SeedCapture[] = [];
  const requested = opts.frames * opts.seeds.length;
  const category = new Map<number, number>(CATEGORIES.map((c) => [c.semantic, c.id]));
  const save = () =>
    writeFileSync(
      join(opts.out, 'annotations.json'),
      JSON.stringify({
        info: {
          description: `drivelab capture of ${opts.scenario.id}`,
          version: VERSION,
          date_created: new Date().toISOString(),
          scenario: opts.scenario.id,
          agent: opts.agent,
          camera: { ...camera.spec, buffers: ['rgb', 'depth', 'semantic', 'instance'] },
          every: opts.every,
          frames_per_seed: opts.frames,
          frames_requested: requested,
          frames_written: images.length,
          seeds,
        },
        licenses: [],
        images,
        annotations,
        categories: CATEGORIES.map(({ id, name, supercategory }) => ({ id, name, supercategory })),
      }) + '\n',
    );

  for (const seed of opts.seeds) {
    let { observation } = env.reset({ seed });
    policy.reset(seed);
    let n = 0, step = 0;
    let ended: Outcome | null = null;
    for (; n < opts.frames; step++) {
      if (step % opts.every === 0) {
        const world = env.unwrapped.world;
        const frame = camera.render(world, env.unwrapped.scene);
        const name = `${seed}_${String(n).padStart(4, '0')}.png`;
        writeFrame(opts.out, name, frame);
        const imageId = images.length + 1;
        images.push({ id: imageId, file_name: `images/${name}`, width: frame.width, height: frame.height, seed, step, time: world.time, depth_file: `depth/${name}`, semantic_file: `semantic/${name}`, instance_file: `instance/${name}` });
        for (const box of camera.boxes()) addAnnotation(annotations, category, box, frame, imageId);
        n++;
        opts.onFrame?.(images.length);
        if (n === opts.frames) break;
      }
      const r = env.step(policy.act(observation, { deterministic: true }));
      observation = r.observation;
      if (r.terminated || r.truncated) {
        step++;
        ended = (r.info.outcome as Outcome | undefined) ?? 'time-limit';
        break;
      }
    }
    const done: SeedCapture = { seed, frames: n, steps: step, ended: n < opts.frames ? ended : null };
    seeds.push(done);
    opts.onSeed?.(done);
    save();
  }
  env.close();
  save();
  return { images: images.length, annotations: annotations.length, requested, seeds };
}

function addAnnotation(list: CocoAnnotation[], category: Map<number, number>, box: GroundTruthBox, f: CameraFrame, imageId: number): void {
  const categoryId = category.get(box.semantic);
  if (categoryId === undefined) return;
  list.push({
    id: list.length + 1,
    image_id: imageId,
    category_id: categoryId,
    bbox: box.bbox,
    area: box.pixels,
    iscrowd: 0,
    segmentation: { size: [f.height, f.width], counts: maskRle(f.instance, f.width, f.height, box.instance) },
    visible_fraction: box.visibleFraction,
    actor_id: box.actorId,
  });
}
