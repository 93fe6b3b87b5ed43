/**
 * `--detector`: a built-in name (`oracle`, `noisy-oracle`, `cnn`), the path of a model directory
 * (drivelab's or tfjs's, see cnn/load.ts), or the path of a plug-in module that exports
 * `load(options?) → Promise<Detector>`. What the module exports and what `load` resolves to
 * are checked at the boundary; a problem is a one-line DetectorError naming the file.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CnnLoadOptions } from './cnn/load.ts';
import type { IsolationOptions } from './isolated.ts';
import { loadNoisyOracle, loadOracle } from './oracle.ts';
import type { Detector } from './types.ts';
import { checkDetector, DetectorError } from './validate.ts';

export const BUILTIN_DETECTORS = ['oracle', 'noisy-oracle', 'cnn'] as const;
/** The built-ins that read the ground-truth buffers of a frame; every other detector gets the contract's frame only */
export const ORACLES: readonly string[] = ['oracle', 'noisy-oracle'];

/**
 * The detector `spec` names, loaded with `options`. With `isolation`, a plug-in module runs in its
 * own worker thread (isolated.ts); built-ins and model directories run here.
 */
export async function loadDetector(spec: string, options: Record<string, unknown> = {}, isolation?: IsolationOptions): Promise<Detector> {
  if (spec === 'oracle') return loadOracle(options);
  if (spec === 'noisy-oracle') return loadNoisyOracle(options);
  // tfjs loads only for the detectors that need it.
  if (spec === 'cnn') return checkDetector(await (await import('./cnn/load.ts')).loadBuiltinCnn(options as CnnLoadOptions), spec);
  const file = resolve(spec);
  if (!existsSync(file)) {
    throw new DetectorError(`--detector ${spec}: no such built-in detector or file; expected ${BUILTIN_DETECTORS.join(', ')}, a model directory or the path of a plug-in module`);
  }
  if (statSync(file).isDirectory()) {
    // A train-detector output directory stands for its float32 weights.
    if (!existsSync(resolve(file, 'model.json')) && existsSync(resolve(file, 'float32', 'model.json'))) return checkDetector(await (await import('./cnn/load.ts')).loadModelDirectory(resolve(file, 'float32'), options as CnnLoadOptions, spec), spec);
    if (!existsSync(resolve(file, 'model.json'))) throw new DetectorError(`--detector ${spec}: a directory without model.json; expected a model directory (model.json and weights) or a plug-in module`);
    return checkDetector(await (await import('./cnn/load.ts')).loadModelDirectory(file, options as CnnLoadOptions, spec), spec);
  }
  if (isolation) return (await import('./isolated.ts')).loadIsolated(spec, options, isolation);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new DetectorError(`${spec}: cannot be imported as an ES module: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
  }
  const load = module.load ?? (module.default as Record<string, unknown> | undefined)?.load;
  if (typeof load !== 'function') throw new DetectorError(`${spec}: load: expected an exported function load(options) returning a detector, got ${typeof load}`);
  let detector: unknown;
  try {
    detector = await load(options);
  } catch (err) {
    throw new DetectorError(`${spec}: load() threw: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
  }
  return checkDetector(detector, spec);
}
