/**
 * `--detector`: a built-in name (`oracle`, `noisy-oracle`) or the path of a plug-in module that
 * exports `load(options?) → Promise<Detector>`. What the module exports and what `load` resolves to
 * are checked at the boundary; a problem is a one-line DetectorError naming the file.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadNoisyOracle, loadOracle } from './oracle.ts';
import type { Detector } from './types.ts';
import { checkDetector, DetectorError } from './validate.ts';

export const BUILTIN_DETECTORS = ['oracle', 'noisy-oracle'] as const;

/** The detector `spec` names, loaded with `options` */
export async function loadDetector(spec: string, options: Record<string, unknown> = {}): Promise<Detector> {
  if (spec === 'oracle') return loadOracle(options);
  if (spec === 'noisy-oracle') return loadNoisyOracle(options);
  const file = resolve(spec);
  if (!existsSync(file)) {
    throw new DetectorError(`--detector ${spec}: no such built-in detector or file; expected ${BUILTIN_DETECTORS.join(', ')} or the path of a plug-in module`);
  }
  if (statSync(file).isDirectory()) {
    throw new DetectorError(`--detector ${spec}: a directory; expected a plug-in module (.js or .mjs file exporting load); tfjs model directories are not supported yet`);
  }
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
