/**
 * Loading grid detectors from directories:
 *   - `cnn`, the built-in detector: models/detector-cnn/<precision>/ (float32, float16 or uint8);
 *   - a drivelab detector directory (model.json with `"format": "drivelab-detector"`), as
 *     `drivelab train-detector` writes it;
 *   - a tfjs model directory (model.json with `modelTopology`, a tf.layers or graph model, and its
 *     weight files). Its output convention, which the README's plug-in guide documents:
 *       input   [batch, H, W, 3] float32 RGB in 0..255 (the model scales it itself);
 *       output  [batch, H/s, W/s, K + 4]: K class heatmap logits (sigmoid gives the score), then
 *               dx, dy (the centre's offset in the cell, in cells) and ln(w/s), ln(h/s);
 *       classes `userDefinedMetadata.classes` in model.json, else vehicle, pedestrian, obstacle.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initTf, type BackendChoice } from '../../runtime/tfjs.ts';
import { DETECTION_CLASSES } from '../types.ts';
import { DetectorError } from '../validate.ts';
import { gridDetector, type BatchDetector, type GridDetectorOptions } from './detector.ts';
import { loadModelDir } from './modelDir.ts';
import { MODEL_FORMAT, PRECISIONS, type Precision } from './modelFile.ts';

/** Where the shipped weights live, one directory per precision */
export const SHIPPED_CNN = fileURLToPath(new URL('../../../models/detector-cnn/', import.meta.url));

export interface CnnLoadOptions extends GridDetectorOptions {
  /** Shipped weights to use (default float32) */
  precision?: Precision;
  backend?: BackendChoice;
}

function readJson(file: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected a JSON object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new DetectorError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `not valid JSON (${(err as Error).message})`}`);
  }
}

/** The built-in `cnn` detector */
export async function loadBuiltinCnn(options: CnnLoadOptions = {}): Promise<BatchDetector> {
  const precision = options.precision ?? 'float32';
  if (!PRECISIONS.includes(precision)) throw new DetectorError(`cnn: precision: expected one of ${PRECISIONS.join(', ')}, got ${JSON.stringify(precision)}`);
  return loadModelDirectory(join(SHIPPED_CNN, precision), options, 'cnn');
}

/** A drivelab or tfjs model directory as a detector */
export async function loadModelDirectory(dir: string, options: CnnLoadOptions = {}, name = dir): Promise<BatchDetector> {
  await initTf(options.backend);
  const json = readJson(join(dir, 'model.json'));
  const settings = { threshold: options.threshold, maxDetections: options.maxDetections };
  try {
    if (json.format === MODEL_FORMAT) {
      const { net } = loadModelDir(dir);
      return gridDetector({ name, classes: net.config.classes, input: net.config.input, predict: net.apply, dispose: () => net.dispose() }, settings);
    }
    if (!('modelTopology' in json)) throw new DetectorError(`${join(dir, 'model.json')}: expected a drivelab detector ("format": "${MODEL_FORMAT}") or a tfjs model (modelTopology), found neither`);
    return await loadTfjsModel(dir, json, name, settings);
  } catch (err) {
    if (err instanceof DetectorError) throw err;
    throw new DetectorError(String((err as Error).message ?? err).split('\n')[0]);
  }
}

async function loadTfjsModel(dir: string, json: Record<string, unknown>, name: string, settings: GridDetectorOptions): Promise<BatchDetector> {
  const file = join(dir, 'model.json');
  const manifest = json.weightsManifest as { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] | undefined;
  if (!Array.isArray(manifest)) throw new DetectorError(`${file}: weightsManifest: expected a list of weight groups`);
  const buffers: Buffer[] = [];
  for (const group of manifest) {
    for (const path of group.paths ?? []) {
      if (path.includes('/') || path.includes('\\') || path.startsWith('.') || !existsSync(join(dir, path))) throw new DetectorError(`${file}: weightsManifest: expected weight files in the model directory, "${path}" is not one`);
      buffers.push(readFileSync(join(dir, path)));
    }
  }
  const data = Buffer.concat(buffers);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    format: json.format as string | undefined,
    weightSpecs: manifest.flatMap((g) => g.weights),
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
    userDefinedMetadata: json.userDefinedMetadata as Record<string, {}> | undefined,
  };
  const graph = json.format === 'graph-model';
  const model = graph ? await tf.loadGraphModel(tf.io.fromMemory(artifacts)) : await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const shape = (graph ? (model as tf.GraphModel).inputs[0].shape : (model as tf.LayersModel).inputs[0].shape) ?? [];
  const [h, w, c] = [shape[1], shape[2], shape[3]];
  if (!(Number.isInteger(h) && Number.isInteger(w) && c === 3)) {
    model.dispose?.();
    throw new DetectorError(`${file}: expected a model input of shape [batch, H, W, 3] with H and W fixed, got [${shape.map((d) => d ?? 'null')}]`);
  }
  const meta = (json.userDefinedMetadata as { classes?: unknown } | undefined)?.classes;
  if (meta !== undefined && !(Array.isArray(meta) && meta.length > 0 && meta.every((x) => typeof x === 'string' && x.length > 0))) {
    model.dispose?.();
    throw new DetectorError(`${file}: userDefinedMetadata.classes: expected a list of class names, got ${JSON.stringify(meta)}`);
  }
  const classes = (meta as string[] | undefined) ?? [...DETECTION_CLASSES];
  return gridDetector({
    name,
    classes,
    input: [h as number, w as number],
    predict: (x) => model.predict(x) as tf.Tensor4D,
    dispose: () => model.dispose?.(),
  }, settings);
}
