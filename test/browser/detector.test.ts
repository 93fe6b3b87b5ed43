import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTf } from '../../perception/runtime/tfjs.ts';
import { createDetectorNet } from '../../perception/detectors/cnn/net.ts';
import { saveModelDir } from '../../perception/detectors/cnn/modelDir.ts';
import { loadDetector } from '../../perception/detectors/loader.ts';
import { CHROMIUM, launchChromium } from './chromium.ts';

const root = join(import.meta.dirname, '../..');
let server: Server;
let base = '';
let modelDir = '';

beforeAll(async () => {
  if (!CHROMIUM) return;
  await initTf('wasm');
  modelDir = mkdtempSync(join(tmpdir(), 'drivelab-browser-model-'));
  const net = createDetectorNet({}, 11);
  await saveModelDir(net, modelDir, 'float16');
  net.dispose();
  // The page's code: tfjs and the detector loader, bundled as a browser app bundles them.
  const bundle = await build({
    stdin: { contents: "import * as tf from '@tensorflow/tfjs'; import { loadDetectorFromUrl } from './perception/detectors/cnn/browser.ts'; Object.assign(globalThis, { tf, loadDetectorFromUrl });", resolveDir: root, loader: 'ts' },
    bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'silent',
  });
  const files: Record<string, Buffer | string> = {
    '/': '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>detector</title><script src="/app.js"></script>',
    '/app.js': Buffer.from(bundle.outputFiles[0].contents),
    '/model/model.json': readFileSync(join(modelDir, 'model.json')),
    '/model/weights.bin': readFileSync(join(modelDir, 'weights.bin')),
  };
  const types: Record<string, string> = { '.js': 'text/javascript', '.json': 'application/json', '.bin': 'application/octet-stream' };
  server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': types[extname(req.url!)] ?? 'text/html' }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}, 120_000);

afterAll(() => server?.close());

describe.skipIf(!CHROMIUM)('the detector in a browser', () => {
  it('loads from model.json over HTTP on webgl and finds what Node finds in the same frame', async () => {
    const pixels = Array.from({ length: 128 * 96 * 3 }, (_, i) => (i * 37 + (i >> 7) * 11) % 256);
    const frame = { width: 128, height: 96, data: Uint8Array.from(pixels), timestamp: 0, cameraId: 'front', intrinsics: { fx: 91, fy: 91, cx: 64, cy: 48, width: 128, height: 96, near: 0.1, far: 200 } };
    const node = await loadDetector(modelDir, { threshold: 0.005 });
    const expected = await node.detect(frame);
    node.dispose();
    expect(expected.length).toBeGreaterThan(0);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(`${base}/`);
      const got = await page.evaluate(async (data) => {
        const g = globalThis as unknown as { tf: typeof import('@tensorflow/tfjs'); loadDetectorFromUrl: typeof import('../../perception/detectors/cnn/browser.ts').loadDetectorFromUrl };
        await g.tf.setBackend('webgl');
        await g.tf.ready();
        const detector = await g.loadDetectorFromUrl('/model/', { threshold: 0.005 });
        const detections = await detector.detect({ width: 128, height: 96, data: Uint8Array.from(data), timestamp: 0, cameraId: 'front', intrinsics: { fx: 91, fy: 91, cx: 64, cy: 48, width: 128, height: 96, near: 0.1, far: 200 } });
        detector.dispose();
        return { backend: g.tf.getBackend(), detections };
      }, pixels);
      expect(errors).toEqual([]);
      expect(got.backend).toBe('webgl');
      // WebGL computes in float32 on another path; peaks and boxes agree to rounding.
      expect(got.detections.length).toBe(expected.length);
      for (const d of expected) {
        const match = got.detections.find((x) => x.label === d.label && Math.abs(x.bbox[0] - d.bbox[0]) < 0.5 && Math.abs(x.bbox[1] - d.bbox[1]) < 0.5);
        expect(match, JSON.stringify(d)).toBeDefined();
        match!.bbox.forEach((v, k) => expect(Math.abs(v - d.bbox[k])).toBeLessThan(0.5));
        expect(Math.abs(match!.score - d.score)).toBeLessThan(0.01);
      }
    } finally {
      await browser.close();
    }
  }, 120_000);
});
