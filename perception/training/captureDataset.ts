/**
 * A detector training set read from `drivelab capture` directories: every image decoded into one
 * RGB buffer, with its COCO boxes mapped to the detector's class indices. Errors name the file and
 * the field; nothing is resized, so frames must come at the detector's input size.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { z } from 'zod';
import type { LabelledBox } from '../detectors/cnn/boxes.ts';

export interface DetectionDataset {
  width: number;
  height: number;
  /** [n, height, width, 3] RGB */
  pixels: Uint8Array;
  boxes: LabelledBox[][];
  /** Where each image came from: `<dir>/<file_name>` */
  names: string[];
  /** Episode seed of each image (from the file name `<seed>_<n>.png`), for splits by episode */
  seeds: number[];
}

const Annotations = z.object({
  images: z.array(z.object({ id: z.number().int(), file_name: z.string().min(1), width: z.number().int().positive(), height: z.number().int().positive() })),
  annotations: z.array(z.object({
    image_id: z.number().int(),
    category_id: z.number().int(),
    bbox: z.tuple([z.number().finite(), z.number().finite(), z.number().finite().nonnegative(), z.number().finite().nonnegative()]),
  })),
  categories: z.array(z.object({ id: z.number().int(), name: z.string() })),
});

export class DatasetError extends Error {}

/** Loads `dirs` for a detector of `classes` at `[height, width]`; categories it does not know are left out */
export function loadCaptureDataset(dirs: readonly string[], classes: readonly string[], [height, width]: [number, number]): DetectionDataset {
  const frame = width * height * 3;
  const chunks: Uint8Array[] = [];
  const boxes: LabelledBox[][] = [];
  const names: string[] = [];
  const seeds: number[] = [];
  for (const dir of dirs) {
    const file = join(dir, 'annotations.json');
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new DatasetError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found (expected a drivelab capture directory)' : `not valid JSON (${(err as Error).message})`}`);
    }
    const parsed = Annotations.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new DatasetError(`${file}: ${issue.path.join('.')}: ${issue.message}`);
    }
    const coco = parsed.data;
    const classOf = new Map(coco.categories.map((c) => [c.id, classes.indexOf(c.name)]));
    const byImage = new Map<number, LabelledBox[]>(coco.images.map((i) => [i.id, []]));
    for (const [k, a] of coco.annotations.entries()) {
      const list = byImage.get(a.image_id);
      if (!list) throw new DatasetError(`${file}: annotations.${k}.image_id: expected the id of an image in the file, got ${a.image_id}`);
      const c = classOf.get(a.category_id);
      if (c === undefined) throw new DatasetError(`${file}: annotations.${k}.category_id: expected the id of a category in the file, got ${a.category_id}`);
      if (c >= 0) list.push({ bbox: a.bbox, classIndex: c });
    }
    for (const [k, image] of coco.images.entries()) {
      if (image.width !== width || image.height !== height) {
        throw new DatasetError(`${file}: images.${k}: expected ${width}×${height} frames (capture with --width ${width} --height ${height}), got ${image.width}×${image.height}`);
      }
      const path = join(dir, image.file_name);
      let png;
      try {
        png = decode(readFileSync(path));
      } catch (err) {
        throw new DatasetError(`${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found (named in annotations.json)' : `not a readable PNG (${(err as Error).message})`}`);
      }
      if (png.width !== width || png.height !== height || png.channels < 3 || png.depth !== 8) {
        throw new DatasetError(`${path}: expected an 8-bit RGB ${width}×${height} PNG, got ${png.width}×${png.height} with ${png.channels} channel(s) of ${png.depth} bits`);
      }
      const rgb = png.channels === 3 ? (png.data as Uint8Array) : Uint8Array.from({ length: frame }, (_, i) => (png.data as Uint8Array)[Math.floor(i / 3) * png.channels + (i % 3)]);
      chunks.push(rgb);
      boxes.push(byImage.get(image.id)!);
      names.push(`${dir}/${image.file_name}`);
      const seed = /(?:^|\/)(\d+)_[^/]*$/.exec(image.file_name);
      seeds.push(seed ? Number(seed[1]) : -1);
    }
  }
  if (chunks.length === 0) throw new DatasetError(`${dirs.join(', ')}: no images`);
  const pixels = new Uint8Array(chunks.length * frame);
  chunks.forEach((c, i) => pixels.set(c, i * frame));
  return { width, height, pixels, boxes, names, seeds };
}

/** The images at `indices`, in that order */
export function subsetDataset(d: DetectionDataset, indices: readonly number[]): DetectionDataset {
  const frame = d.width * d.height * 3;
  const pixels = new Uint8Array(indices.length * frame);
  indices.forEach((i, k) => pixels.set(d.pixels.subarray(i * frame, (i + 1) * frame), k * frame));
  return { ...d, pixels, boxes: indices.map((i) => d.boxes[i]), names: indices.map((i) => d.names[i]), seeds: indices.map((i) => d.seeds[i]) };
}

/**
 * Splits off whole episodes for validation: per capture directory, the images of its highest
 * `fraction` of seeds (at least one seed when it has two or more), so no episode feeds both sides.
 */
export function splitBySeed(d: DetectionDataset, fraction: number): [DetectionDataset, DetectionDataset | null] {
  const dirOf = (i: number) => d.names[i].slice(0, d.names[i].lastIndexOf('/images/'));
  const seedsByDir = new Map<string, Set<number>>();
  d.names.forEach((_, i) => {
    const set = seedsByDir.get(dirOf(i)) ?? new Set<number>();
    set.add(d.seeds[i]);
    seedsByDir.set(dirOf(i), set);
  });
  const held = new Map<string, Set<number>>();
  for (const [dir, set] of seedsByDir) {
    const sorted = [...set].sort((a, b) => a - b);
    const n = sorted.length < 2 ? 0 : Math.max(1, Math.round(sorted.length * fraction));
    held.set(dir, new Set(sorted.slice(sorted.length - n)));
  }
  const train: number[] = [], val: number[] = [];
  d.names.forEach((_, i) => (held.get(dirOf(i))!.has(d.seeds[i]) ? val : train).push(i));
  return [subsetDataset(d, train), val.length > 0 ? subsetDataset(d, val) : null];
}
