import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTf, tf } from '../../../perception/runtime/tfjs.ts';
import { createDetectorNet, weightSpecs } from '../../../perception/detectors/cnn/net.ts';
import { gridDetector } from '../../../perception/detectors/cnn/detector.ts';
import { loadModelDir, saveModelDir } from '../../../perception/detectors/cnn/modelDir.ts';
import { loadDetectorFromUrl } from '../../../perception/detectors/cnn/browser.ts';
import { toHalf } from '../../../perception/detectors/cnn/modelFile.ts';
import { loadDetector } from '../../../perception/detectors/loader.ts';
import type { CameraFrame } from '../../../perception/detectors/types.ts';
import { DetectorError } from '../../../perception/detectors/validate.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'drivelab-cnn-'));
const INTRINSICS = { fx: 91, fy: 91, cx: 64, cy: 48, width: 128, height: 96, near: 0.1, far: 200 };
const frame = (w = 128, h = 96, fill = 90): CameraFrame => ({ width: w, height: h, data: new Uint8Array(w * h * 3).fill(fill), timestamp: 0, cameraId: 'front', intrinsics: INTRINSICS });

beforeAll(async () => {
  await initTf('wasm');
});

describe('half precision', () => {
  it('rounds as IEEE 754 binary16 does', () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(1e6)).toBe(0x7c00); // overflow → infinity
    expect(toHalf(0.1)).toBe(0x2e66);
    expect(toHalf(2 ** -24)).toBe(0x0001); // the smallest subnormal
    expect(toHalf(2 ** -26)).toBe(0); // below half of it → 0
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // a tie rounds to even
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });
});

describe('the detector network', () => {
  it('maps [batch, 96, 128, 3] to the [batch, 24, 32, 3 + 4] grid, the same weights from the same seed', () => {
    const a = createDetectorNet({}, 7), b = createDetectorNet({}, 7), c = createDetectorNet({}, 8);
    const x = tf.randomUniform([2, 96, 128, 3], 0, 255, 'float32', 1) as tf.Tensor4D;
    const ya = a.apply(x), yb = b.apply(x), yc = c.apply(x);
    expect(ya.shape).toEqual([2, 24, 32, 7]);
    expect(ya.arraySync()).toEqual(yb.arraySync());
    expect(tf.max(tf.abs(tf.sub(ya, yc))).arraySync()).toBeGreaterThan(1e-3);
    tf.dispose([x, ya, yb, yc]);
    [a, b, c].forEach((n) => n.dispose());
  });

  it('starts every heatmap at the focal prior, about 0.01', () => {
    const net = createDetectorNet({}, 1);
    const y = net.apply(tf.zeros([1, 96, 128, 3]) as tf.Tensor4D);
    const heat = tf.sigmoid(tf.slice(y, [0, 0, 0, 0], [1, 24, 32, 3]));
    expect(tf.mean(heat).arraySync()).toBeCloseTo(0.01, 3);
    tf.dispose([y, heat]);
    net.dispose();
  });

  it('detect() and detectBatch() leave no tensors behind, and agree', async () => {
    const net = createDetectorNet({}, 3);
    const detector = gridDetector({ name: 'test', classes: net.config.classes, input: net.config.input, predict: net.apply, dispose: () => net.dispose() }, { threshold: 0.005 });
    await detector.detect(frame());
    const before = tf.memory().numTensors;
    const frames = [frame(128, 96, 10), frame(128, 96, 200), frame(128, 96, 90)];
    const one = await detector.detect(frames[2]);
    const batch = await detector.detectBatch(frames);
    expect(tf.memory().numTensors).toBe(before);
    expect(one.length).toBeGreaterThan(0);
    expect(batch[2]).toEqual(one);
    // A frame of another size is resized to the input and its boxes scaled back to it.
    const big = await detector.detect(frame(256, 192, 90));
    expect(big.length).toBe(one.length);
    big.forEach((d, k) => d.bbox.forEach((v, i) => expect(v).toBeCloseTo(2 * one[k].bbox[i], 3)));
    detector.dispose();
  });
});

describe('model directories', () => {
  it('save and load in float32 exactly, float16 and uint8 within their precision', async () => {
    const net = createDetectorNet({}, 5);
    const x = tf.randomUniform([1, 96, 128, 3], 0, 255, 'float32', 2) as tf.Tensor4D;
    const ref = net.apply(x);
    const sizes: Record<string, number> = {};
    for (const [precision, tol] of [['float32', 0], ['float16', 0.02], ['uint8', 0.3]] as const) {
      const dir = join(tmp(), precision);
      await saveModelDir(net, dir, precision);
      sizes[precision] = readFileSync(join(dir, 'weights.bin')).length;
      const { net: back, json } = loadModelDir(dir);
      expect(json.precision).toBe(precision);
      for (const [i, v] of net.variables.entries()) {
        const err = tf.max(tf.abs(tf.sub(v, back.variables[i]))).arraySync() as number;
        if (precision === 'float32') expect(err).toBe(0);
        else expect(err).toBeLessThan(precision === 'float16' ? 1e-2 : ((tf.max(v).arraySync() as number) - (tf.min(v).arraySync() as number)) / 255 / 2 + 1e-6);
      }
      const y = back.apply(x);
      expect(tf.max(tf.abs(tf.sub(y, ref))).arraySync()).toBeLessThanOrEqual(tol);
      tf.dispose(y);
      back.dispose();
    }
    const params = weightSpecs(net.config).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    expect(sizes).toEqual({ float32: 4 * params, float16: 2 * params, uint8: params });
    tf.dispose([x, ref]);
    net.dispose();
  });

  it('refuse damaged files with the file and the field named', async () => {
    const net = createDetectorNet({}, 5);
    const dir = tmp();
    await saveModelDir(net, dir, 'float32');
    net.dispose();
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const bytes = readFileSync(join(dir, 'weights.bin'));
    const variant = (edit: (j: typeof json) => void, weights: Uint8Array = bytes) => {
      const d = tmp();
      const j = structuredClone(json);
      edit(j);
      writeFileSync(join(d, 'model.json'), JSON.stringify(j));
      writeFileSync(join(d, 'weights.bin'), weights);
      return d;
    };
    expect(() => loadModelDir(variant((j) => (j.config.channels = [16, 24])))).toThrow(/model\.json: config\.channels/);
    expect(() => loadModelDir(variant((j) => j.weightsManifest[0].weights.pop()))).toThrow(/no weight named out\/bias/);
    expect(() => loadModelDir(variant(() => {}, bytes.subarray(0, bytes.length - 4)))).toThrow(/weights\.bin: weights: expected \d+ bytes/);
    const nan = new Uint8Array(bytes);
    new Float32Array(nan.buffer)[3] = NaN;
    expect(() => loadModelDir(variant(() => {}, nan))).toThrow(/stem\/kernel holds a value that is not finite/);
    expect(() => loadModelDir(variant((j) => (j.weightsManifest[0].paths = ['../weights.bin'])))).toThrow(/expected file names in the model directory/);
    await expect(loadDetector(variant((j) => delete j.format))).rejects.toThrow(DetectorError);
  });
});

describe('loading over HTTP, as a page does', () => {
  it('gives the detector the directory gives, and names a missing file', async () => {
    const net = createDetectorNet({}, 9);
    const dir = tmp();
    await saveModelDir(net, dir, 'float16');
    net.dispose();
    const server = createServer((req, res) => {
      const file = join(dir, (req.url ?? '/').replace(/^\/model\//, ''));
      try {
        res.end(readFileSync(file));
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    try {
      const overHttp = await loadDetectorFromUrl(`http://127.0.0.1:${port}/model/`, { threshold: 0.005 });
      const fromDir = await loadDetector(dir, { threshold: 0.005 });
      const f = frame(128, 96, 77);
      expect(await overHttp.detect(f)).toEqual(await fromDir.detect(f));
      overHttp.dispose();
      fromDir.dispose();
      await expect(loadDetectorFromUrl(`http://127.0.0.1:${port}/nothing/`)).rejects.toThrow(/nothing\/model\.json: .*HTTP 404/);
    } finally {
      server.close();
    }
  });
});

describe('a tfjs model directory as --detector', () => {
  /** A tf.layers model that follows the output convention, saved as model.json + weights.bin */
  async function savedLayersModel(classes?: string[]): Promise<string> {
    const model = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [96, 128, 3], filters: (classes?.length ?? 3) + 4, kernelSize: 4, strides: 4 })] });
    const dir = tmp();
    await model.save(tf.io.withSaveHandler(async (a) => {
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
      writeFileSync(join(dir, 'model.json'), JSON.stringify({
        format: 'layers-model', modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
        ...(classes ? { userDefinedMetadata: { classes } } : {}),
      }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    model.dispose();
    return dir;
  }

  it('loads with its classes and detects through the contract', async () => {
    const detector = await loadDetector(await savedLayersModel(['car', 'bike']), { threshold: 0.01 });
    expect(detector.classes).toEqual(['car', 'bike']);
    const found = await detector.detect(frame(128, 96, 120));
    expect(Array.isArray(found)).toBe(true);
    for (const d of found) expect(['car', 'bike']).toContain(d.label);
    detector.dispose();
  });

  it('names what is wrong with a directory that is no model', async () => {
    await expect(loadDetector(tmp())).rejects.toThrow(/a directory without model\.json/);
    const d = tmp();
    writeFileSync(join(d, 'model.json'), '{"hello": 1}');
    await expect(loadDetector(d)).rejects.toThrow(/expected a drivelab detector .* or a tfjs model/);
    const bad = await savedLayersModel();
    const j = JSON.parse(readFileSync(join(bad, 'model.json'), 'utf8'));
    j.userDefinedMetadata = { classes: [] };
    writeFileSync(join(bad, 'model.json'), JSON.stringify(j));
    await expect(loadDetector(bad)).rejects.toThrow(/userDefinedMetadata\.classes: expected a list of class names/);
  });
});
