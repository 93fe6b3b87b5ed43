import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveScenario } from '../../sim/env/registry.ts';
import { DrivingScene } from '../../sim/scene/DrivingScene.ts';
import { Camera } from '../../sim/sensors/camera/Camera.ts';
import type { CameraFrame as SimFrame } from '../../sim/sensors/camera/CameraFrame.ts';
import { initPhysics } from '../../sim/world/physics.ts';
import { World } from '../../sim/world/World.ts';
import { loadDetector } from '../../perception/detectors/loader.ts';
import { groundTruthDetections, loadNoisyOracle, loadOracle } from '../../perception/detectors/oracle.ts';
import type { CameraFrame, Detector } from '../../perception/detectors/types.ts';
import { detectChecked, DetectorError } from '../../perception/detectors/validate.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'drivelab-detectors-'));
const INTRINSICS = { fx: 100, fy: 100, cx: 64, cy: 48, width: 128, height: 96, near: 0.1, far: 200 };
const FRAME: CameraFrame = { width: 128, height: 96, data: new Uint8Array(128 * 96 * 3), timestamp: 1.5, cameraId: 'front', intrinsics: INTRINSICS };

/** A detector whose detect() returns `out` (or runs it, when a function) */
const fake = (out: unknown): Detector => ({
  name: 'fake',
  classes: ['vehicle', 'pedestrian'],
  detect: async () => (typeof out === 'function' ? (out as () => unknown)() : out) as never,
  dispose: () => {},
});

/** The rendered frame of a highway after a few steps, copied out of the camera's buffers */
function highwayFrame(seed: number): SimFrame {
  const world = new World(resolveScenario('highway', { traffic: { vehicles: 12 } }), seed);
  const scene = new DrivingScene(world);
  for (let i = 0; i < 5; i++) world.step({ steer: 0, throttle: 0.3, brake: 0 });
  scene.sync(world);
  const f = new Camera({ type: 'camera', width: 128, height: 96 }).render(world, scene);
  const frame = { ...f, data: f.data.slice(), instance: f.instance.slice(), semantic: f.semantic.slice(), depth: f.depth.slice() };
  scene.dispose();
  world.free();
  return frame;
}

beforeAll(async () => {
  await initPhysics();
});

describe('detector output at the boundary', () => {
  const good = [{ bbox: [1, 2, 30, 20], label: 'vehicle', score: 0.9 }];

  it('passes good detections through, and names the frame and the field of a bad one', async () => {
    expect(await detectChecked(fake(good), FRAME, 1000)).toEqual(good);
    // A box of no width is degenerate but not wrong: sizes may be 0.
    const flat = [{ bbox: [1, 2, 0, 4], label: 'pedestrian', score: 0 }];
    expect(await detectChecked(fake(flat), FRAME, 1000)).toEqual(flat);
    const cases: [unknown, string][] = [
      [[{ bbox: [1, NaN, 3, 4], label: 'vehicle', score: 1 }], '[0].bbox[1]: expected a finite number, got NaN'],
      [[good[0], { bbox: [1, 2, -3, 4], label: 'vehicle', score: 1 }], '[1].bbox[2]: expected a size ≥ 0, got -3'],
      [[{ bbox: [1, 2, 3, 4], label: 'cat', score: 1 }], '[0].label: expected one of its classes (vehicle, pedestrian), got "cat"'],
      [[{ bbox: [1, 2, 3, 4], label: 'vehicle', score: 7 }], '[0].score: expected a score from 0 to 1, got 7'],
      [[{ bbox: [1, 2, 3, 4], label: 'vehicle', score: -0.5 }], '[0].score: expected a score from 0 to 1, got -0.5'],
      [[{ bbox: [1, 2, 3], label: 'vehicle', score: 1 }], '[0].bbox: expected [x, y, w, h], got [1,2,3]'],
      [{ boxes: [] }, 'detections: expected an array of detections, got {"boxes":[]}'],
      [[{ bbox: [1n, 2, 3, 4], label: 'vehicle', score: 1 }], '[0].bbox[0]: expected a finite number, got 1n'],
      [Array.from({ length: 10_001 }, () => good[0]), 'detections: expected at most 10,000 per frame, got 10,001'],
      [() => { throw new Error('out of memory\nat somewhere'); }, 'detect() threw: out of memory'],
    ];
    for (const [out, message] of cases) {
      const err = await detectChecked(fake(out), FRAME, 1000).catch((e: unknown) => e);
      expect(err, message).toBeInstanceOf(DetectorError);
      expect((err as Error).message).toBe(`detector "fake", frame front@1.50s: ${message}`);
    }
  });

  it('gives up on a detect() that hangs past the timeout', async () => {
    const hung = fake(() => new Promise(() => {}));
    const t0 = performance.now();
    await expect(detectChecked(hung, FRAME, 50)).rejects.toThrow('detector "fake", frame front@1.50s: detect() gave no answer within 50 ms');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
  });
});

describe('loading plug-ins', () => {
  const dir = tmp();
  const plugin = (name: string, body: string) => {
    const file = join(dir, name);
    writeFileSync(file, body);
    return file;
  };

  it('loads a plug-in module with its options and runs it', async () => {
    const file = plugin('good.mjs', `export async function load(options = {}) {
      return { name: 'stub', classes: ['vehicle'], detect: async (f) => [{ bbox: [0, 0, f.width / 2, options.h ?? 1], label: 'vehicle', score: 0.5 }], dispose() {} };
    }`);
    const d = await loadDetector(file, { h: 7 });
    expect(d.name).toBe('stub');
    expect(await detectChecked(d, FRAME, 1000)).toEqual([{ bbox: [0, 0, 64, 7], label: 'vehicle', score: 0.5 }]);
  });

  it('runs the example plug-in in examples/ on a rendered frame', async () => {
    const d = await loadDetector(join(import.meta.dirname, '../../examples/brightness-detector.mjs'), { threshold: 0.6 });
    const out = await detectChecked(d, highwayFrame(3), 1000);
    expect(out.length).toBeLessThanOrEqual(1);
    for (const det of out) expect(det.label).toBe('vehicle');
    d.dispose();
  });

  it('refuses a bad plug-in with one line naming the file and what was expected', async () => {
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.mjs'), /missing\.mjs: no such built-in detector or file; expected oracle, noisy-oracle, cnn, a model directory or the path of a plug-in module/],
      [dir, /a directory without model\.json; expected a model directory \(model\.json and weights\) or a plug-in module/],
      [plugin('syntax.mjs', 'export function load( {'), /syntax\.mjs: cannot be imported as an ES module: /],
      [plugin('noload.mjs', 'export const detect = 1;'), /noload\.mjs: load: expected an exported function load\(options\) returning a detector, got undefined/],
      [plugin('throws.mjs', 'export async function load() { throw new Error("no weights here"); }'), /throws\.mjs: load\(\) threw: no weights here/],
      [plugin('nodetect.mjs', 'export async function load() { return { name: "x", classes: ["vehicle"], dispose() {} }; }'), /nodetect\.mjs: load\(\) must resolve to a detector; detector\.detect: expected a function detect\(frame\)/],
      [plugin('noclasses.mjs', 'export async function load() { return { name: "x", classes: [], detect: async () => [], dispose() {} }; }'), /noclasses\.mjs: load\(\) must resolve to a detector; detector\.classes: /],
    ];
    for (const [spec, message] of cases) {
      const err = await loadDetector(spec).catch((e: unknown) => e);
      expect(err, spec).toBeInstanceOf(DetectorError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message.split('\n')).toHaveLength(1);
    }
  });
});

describe('oracles', () => {
  it('the oracle reports the ground-truth box of every vehicle in view, score 1', async () => {
    const frame = highwayFrame(3);
    const detections = await detectChecked(loadOracle(), frame, 1000);
    // By hand from the instance image: the tight box of each actor's pixels.
    const boxes = new Map<number, [number, number, number, number]>();
    for (let p = 0; p < frame.instance.length; p++) {
      const id = frame.instance[p];
      if (id === 0 || frame.semantic[p] !== 4) continue;
      const x = p % frame.width, y = Math.floor(p / frame.width);
      const b = boxes.get(id) ?? [x, y, x, y];
      boxes.set(id, [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)]);
    }
    expect(boxes.size).toBeGreaterThan(1);
    const byHand = [...boxes.values()].map(([x0, y0, x1, y1]) => [x0, y0, x1 - x0 + 1, y1 - y0 + 1]).sort();
    expect(detections.filter((d) => d.label === 'vehicle').map((d) => d.bbox).sort()).toEqual(byHand);
    expect(detections.every((d) => d.score === 1)).toBe(true);
  });

  it('the noisy oracle misses, jitters and invents at the rates asked, the same way every time for a frame', async () => {
    const frames = [3, 4, 5, 6, 7, 8].map(highwayFrame);
    const truth = frames.reduce((n, f) => n + groundTruthDetections(f).length, 0);
    const noisy = loadNoisyOracle({ missRate: 0.5, jitter: 0.1, falsePositives: 0, seed: 1 });
    let kept = 0;
    for (const f of frames) {
      const a = await detectChecked(noisy, f, 1000);
      expect(await noisy.detect(f)).toEqual(a);
      kept += a.length;
    }
    // Half missed: within 4 standard deviations of a binomial(truth, 0.5).
    expect(Math.abs(kept - truth / 2)).toBeLessThan(4 * Math.sqrt(truth / 4));
    const none = loadNoisyOracle({ missRate: 0, jitter: 0, falsePositives: 0 });
    expect(await none.detect(frames[0])).toEqual(groundTruthDetections(frames[0]).map((d) => ({ ...d, score: expect.any(Number) })));
    const invented = loadNoisyOracle({ missRate: 1, falsePositives: 3, seed: 2 });
    let fp = 0;
    for (let t = 0; t < 200; t++) fp += (await invented.detect({ ...frames[0], timestamp: t })).length;
    expect(fp / 200).toBeGreaterThan(2.5);
    expect(fp / 200).toBeLessThan(3.5);
  });

  it('the oracle says what it needs when a frame has no ground truth', async () => {
    await expect(loadOracle().detect(FRAME)).rejects.toThrow(/the oracle reads ground truth, which only drivelab's own camera frames carry/);
    expect(() => loadNoisyOracle({ missRate: 2 })).toThrow('noisy-oracle: missRate: expected a number from 0 to 1, got 2');
  });
});
