/**
 * The built-in detector in a browser (or any runtime with `fetch`): `loadDetectorFromUrl(base)`
 * reads `<base>model.json` and its weight files and returns the same detector Node builds from the
 * directory. Nothing here touches Node's APIs; the page picks the tfjs backend (webgl on the
 * user's GPU) before loading.
 */
import type { BatchDetector, GridDetectorOptions } from './detector.ts';
import { gridDetector } from './detector.ts';
import { decodeModel, parseModelJson } from './modelFile.ts';

export async function loadDetectorFromUrl(base: string | URL, options: GridDetectorOptions = {}): Promise<BatchDetector> {
  const page = (globalThis as { location?: { href: string } }).location?.href;
  const root = new URL(base, page);
  const fetchOk = async (url: URL) => {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`${url.href}: HTTP ${r.status}`);
    return r;
  };
  const modelUrl = new URL('model.json', root);
  let json;
  try {
    json = parseModelJson(await (await fetchOk(modelUrl)).json());
  } catch (err) {
    throw new Error(`${modelUrl.href}: ${(err as Error).message}`);
  }
  const parts = await Promise.all(json.weightsManifest[0].paths.map(async (p) => new Uint8Array(await (await fetchOk(new URL(p, root))).arrayBuffer())));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { bytes.set(p, at); at += p.length; }
  const net = decodeModel(json, bytes);
  return gridDetector({ name: root.href, classes: net.config.classes, input: net.config.input, predict: net.apply, dispose: () => net.dispose() }, options);
}
