/** Reading and writing the built-in detector's model directory (model.json + weights.bin) in Node. */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DetectorNet } from './net.ts';
import { decodeModel, encodeModel, ModelFileError, parseModelJson, type ModelJson, type Precision } from './modelFile.ts';

/** Writes `net` to `dir` at `precision`; each file goes to a temporary name first, so a crash leaves the old one whole */
export async function saveModelDir(net: DetectorNet, dir: string, precision: Precision = 'float32', training?: Record<string, unknown>): Promise<ModelJson> {
  const { json, bytes } = await encodeModel(net, precision, training);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'weights.bin.tmp'), bytes);
  renameSync(join(dir, 'weights.bin.tmp'), join(dir, 'weights.bin'));
  writeFileSync(join(dir, 'model.json.tmp'), JSON.stringify(json, null, 1) + '\n');
  renameSync(join(dir, 'model.json.tmp'), join(dir, 'model.json'));
  return json;
}

/** Reads model.json in `dir`; errors name the file and the field */
export function readModelJson(dir: string): ModelJson {
  const file = join(dir, 'model.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ModelFileError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `not valid JSON (${(err as Error).message})`}`);
  }
  try {
    return parseModelJson(raw);
  } catch (err) {
    throw new ModelFileError(`${file}: ${(err as Error).message}`);
  }
}

/** Loads the network saved in `dir` */
export function loadModelDir(dir: string): { net: DetectorNet; json: ModelJson } {
  const json = readModelJson(dir);
  const parts: Buffer[] = [];
  for (const path of json.weightsManifest[0].paths) {
    if (path.includes('/') || path.includes('\\') || path.startsWith('.')) throw new ModelFileError(`${join(dir, 'model.json')}: weightsManifest.0.paths: expected file names in the model directory, got "${path}"`);
    try {
      parts.push(readFileSync(join(dir, path)));
    } catch {
      throw new ModelFileError(`${join(dir, path)}: not found (named in model.json)`);
    }
  }
  try {
    return { net: decodeModel(json, new Uint8Array(Buffer.concat(parts))), json };
  } catch (err) {
    throw new ModelFileError(`${join(dir, json.weightsManifest[0].paths[0])}: ${(err as Error).message}`);
  }
}
