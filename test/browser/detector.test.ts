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
import { resolveScenario } from '../../sim/env/registry.ts';
import { DrivingScene } from '../../sim/scene/DrivingScene.ts';
import { Camera } from '../../sim/sensors/camera/Camera.ts';
import { initPhysics } from '../../sim/world/physics.ts';
import { World } from '../../sim/world/World.ts';

const root = join(import.meta.dirname, '../..');

/** A rendered highway frame with traffic ahead */
function highwayPixels(): Uint8Array {
  const world = new World(resolveScenario('highway', { traffic: { vehicles: 30 } }), 1000002);
  const scene = new DrivingScene(world);
  for (let i = 0; i < 40; i++) world.step({ steer: 0, throttle: 0.4, brake: 0 });
  scene.sync(world);
  const data = new Camera({ type: 'camera', width: 128, height: 96 }).render(world, scene).data.slice();
  scene.dispose();
  world.free();
  return data;
}
let server: Server;
let base = '';
let modelDir = '';

beforeAll(async () => {
  if (!CHROMIUM) return;
  await Promise.all([initTf('wasm'), initPhysics()]);
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
    '/shipped/model.json': readFileSync(join(root, 'models/detector-cnn/uint8/model.json')),
    '/shipped/weights.bin': readFileSync(join(root, 'models/detector-cnn/uint8/weights.bin')),
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
  it('loads from model.json over HTTP on webgl and finds what Node finds in the same frame, the shipped weights included', async () => {
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
      const inPage = (url: string, data: number[], threshold: number) => page.evaluate(async ({ url, data, threshold }) => {
        const g = globalThis as unknown as { tf: typeof import('@tensorflow/tfjs'); loadDetectorFromUrl: typeof import('../../perception/detectors/cnn/browser.ts').loadDetectorFromUrl };
        await g.tf.setBackend('webgl');
        await g.tf.ready();
        const detector = await g.loadDetectorFromUrl(url, { threshold });
        const detections = await detector.detect({ width: 128, height: 96, data: Uint8Array.from(data), timestamp: 0, cameraId: 'front', intrinsics: { fx: 91, fy: 91, cx: 64, cy: 48, width: 128, height: 96, near: 0.1, far: 200 } });
        detector.dispose();
        return { backend: g.tf.getBackend(), detections };
      }, { url, data, threshold });
      const got = await inPage('/model/', pixels, 0.005);
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
      // The shipped weights (uint8) on a rendered highway frame: the vehicles Node finds, the page finds.
      const real = Array.from(highwayPixels());
      const shipped = await loadDetector(join(root, 'models/detector-cnn/uint8'), { threshold: 0.3 });
      const want = await shipped.detect({ ...frame, data: Uint8Array.from(real) });
      shipped.dispose();
      const seen = await inPage('/shipped/', real, 0.3);
      expect(want.length).toBeGreaterThan(0);
      for (const d of want.filter((x) => x.score > 0.35)) {
        expect(seen.detections.some((x) => x.label === d.label && x.bbox.every((v, k) => Math.abs(v - d.bbox[k]) < 0.5)), JSON.stringify(d)).toBe(true);
      }
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
