import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { capture } from '../../src/capture.ts';
import { resolveScenario } from '../../sim/env/registry.ts';
import { initTf, tf } from '../../perception/runtime/tfjs.ts';
import { createDetectorNet } from '../../perception/detectors/cnn/net.ts';
import { loadModelDir } from '../../perception/detectors/cnn/modelDir.ts';
import { loadCaptureDataset, splitBySeed } from '../../perception/training/captureDataset.ts';
import { BatchMaker, DEFAULT_AUGMENTATION, NO_AUGMENTATION } from '../../perception/training/detectorBatch.ts';
import { trainDetector } from '../../perception/training/detectorTrainer.ts';
import { Rng } from '../../sim/rng.ts';
import { drivelab, STACK_FRAME } from './drivelab.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'drivelab-train-detector-'));
const CLASSES = ['vehicle', 'pedestrian', 'obstacle'];
let data: string;

beforeAll(async () => {
  await initTf('wasm');
  data = tmp();
  await capture({ scenario: resolveScenario('highway', { traffic: { vehicles: 30 } }), seeds: [0, 1, 2, 3], frames: 6, every: 10, agent: 'expert', out: data, camera: { type: 'camera' } });
});

const curve = (out: string) => readFileSync(join(out, 'learning-curve.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));

describe('detector datasets', () => {
  it('hold out whole episodes: the highest seeds of each capture', () => {
    const all = loadCaptureDataset([data], CLASSES, [96, 128]);
    expect(all.boxes.length).toBe(24);
    const [train, val] = splitBySeed(all, 0.25);
    expect(new Set(val!.seeds)).toEqual(new Set([3]));
    expect(new Set(train.seeds)).toEqual(new Set([0, 1, 2]));
    expect(train.boxes.length + val!.boxes.length).toBe(24);
  });

  it('mirror boxes with the image when flipping', () => {
    const all = loadCaptureDataset([data], CLASSES, [96, 128]);
    const i = all.boxes.findIndex((b) => b.length > 0);
    const grid = { gridH: 24, gridW: 32, classes: 3, stride: 4 };
    const plain = new BatchMaker(all, grid, 1, NO_AUGMENTATION, Rng.seeded(1)).make([i]);
    const flipped = new BatchMaker(all, grid, 1, { ...NO_AUGMENTATION, flip: true }, Rng.seeded(1));
    // Draw until a flip happens (probability ½ per draw).
    let b = flipped.make([i]);
    for (let k = 0; k < 20 && b.pixels[0] === plain.pixels[0] && b.pixels[3 * 127] === plain.pixels[3 * 127]; k++) b = flipped.make([i]);
    for (let y = 0; y < 96; y += 17) for (let x = 0; x < 128; x += 13) expect(b.pixels[(y * 128 + x) * 3]).toBe(plain.pixels[(y * 128 + 127 - x) * 3]);
    // The centres mirror: a centre in column c moves to column 31 − c (or the next, for a centre on a cell boundary).
    const cols = (positive: Float32Array) => [...positive].flatMap((v, k) => (v ? [Math.floor(k / 3) % 32] : [])).sort((p, q) => p - q);
    const mirrored = cols(plain.positive).map((c) => 31 - c).sort((p, q) => p - q);
    const got = cols(b.positive);
    expect(got.length).toBe(mirrored.length);
    got.forEach((c, k) => expect(Math.abs(c - mirrored[k])).toBeLessThanOrEqual(1));
  });

  it('leave objects under ignoreBelow out of the loss: no centre, no negative weight where they are', () => {
    const d = { width: 128, height: 96, pixels: new Uint8Array(128 * 96 * 3), boxes: [[{ bbox: [40, 40, 3, 2], classIndex: 0 }, { bbox: [80, 40, 12, 8], classIndex: 0 }]], names: ['x'], seeds: [0] };
    const grid = { gridH: 24, gridW: 32, classes: 3, stride: 4 };
    const kept = new BatchMaker(d, grid, 1, NO_AUGMENTATION, Rng.seeded(0)).make([0]);
    const ignoring = new BatchMaker(d, grid, 1, NO_AUGMENTATION, Rng.seeded(0), 0, 4).make([0]);
    const cell = (i: number, j: number, c = 0) => (j * 32 + i) * 3 + c;
    // The 2-px box's centre (41.5, 41) px is in cell (10, 10).
    expect(kept.positive[cell(10, 10)]).toBe(1);
    expect(ignoring.positive[cell(10, 10)]).toBe(0);
    expect(ignoring.negativeWeight[cell(10, 10)]).toBe(0);
    expect(ignoring.negativeWeight[cell(10, 10, 1)]).toBe(1); // other classes still learn "nothing here"
    expect(ignoring.negativeWeight[cell(5, 5)]).toBe(1);
    expect(ignoring.objects).toBe(1);
    expect(ignoring.positive[cell(21, 11)]).toBe(1); // the 8-px box stays
  });

  it('name the file and field of a bad capture', () => {
    const d = tmp();
    writeFileSync(join(d, 'annotations.json'), JSON.stringify({ images: [{ id: 1, file_name: 'images/x.png', width: 128, height: 96 }], annotations: [{ image_id: 2, category_id: 1, bbox: [0, 0, 1, 1] }], categories: [{ id: 1, name: 'vehicle' }] }));
    expect(() => loadCaptureDataset([d], CLASSES, [96, 128])).toThrow(`${join(d, 'annotations.json')}: annotations.0.image_id: expected the id of an image in the file, got 2`);
    expect(() => loadCaptureDataset([data], CLASSES, [48, 64])).toThrow(/images\.0: expected 64×48 frames \(capture with --width 64 --height 48\), got 128×96/);
  });
});

describe('detector training', () => {
  it('reduces the loss on a tiny budget, with a constant tensor count from step to step', async () => {
    const all = loadCaptureDataset([data], CLASSES, [96, 128]);
    const net = createDetectorNet({}, 0);
    const counts: number[] = [];
    const out = tmp();
    const r = await trainDetector({
      net, train: all, validation: null, out, steps: 40, batchSize: 8, learningRate: 2e-3, weightDecay: 0.05, warmup: 5,
      augmentation: NO_AUGMENTATION, seed: 0, evalEvery: 10, checkpointEvery: 20, minHeight: 6, provenance: {},
      onProgress: (p) => counts.push(tf.memory().numTensors, p.step),
    });
    expect(r.steps).toBe(40);
    const rows = curve(out);
    expect(rows.map((row) => row[0])).toEqual([10, 20, 30, 40]);
    // The mean loss of the last ten steps is well under that of the first ten.
    expect(rows[3][1]).toBeLessThan(0.5 * rows[0][1]);
    expect(new Set(counts.filter((_, i) => i % 2 === 0)).size).toBe(1);
    expect(existsSync(join(out, 'checkpoint', 'optimizer.bin'))).toBe(true);
    net.dispose();
  });

  it('resumes from a checkpoint to the same weights as an uninterrupted run', async () => {
    const all = loadCaptureDataset([data], CLASSES, [96, 128]);
    const base = { train: all, validation: null, steps: 12, batchSize: 5, learningRate: 2e-3, weightDecay: 0.05, warmup: 2, augmentation: DEFAULT_AUGMENTATION, seed: 3, evalEvery: 3, checkpointEvery: 100, minHeight: 6, provenance: {} };
    const full = tmp(), cut = tmp();
    const a = createDetectorNet({}, 3);
    await trainDetector({ ...base, net: a, out: full });
    // Stopped after step 6, as Ctrl-C does: the checkpoint is written then.
    const abort = new AbortController();
    const b = createDetectorNet({}, 3);
    const first = await trainDetector({ ...base, net: b, out: cut, signal: abort.signal, onProgress: (p) => p.step >= 6 && abort.abort() });
    expect(first).toMatchObject({ steps: 6, interrupted: true });
    const { net: c } = loadModelDir(join(cut, 'checkpoint'));
    const second = await trainDetector({ ...base, net: c, out: cut });
    expect(second).toMatchObject({ steps: 12, interrupted: false });
    for (const [i, v] of a.variables.entries()) expect(c.variables[i].dataSync()).toEqual(v.dataSync());
    // The learning curve continues where it stopped, each step logged once.
    expect(curve(cut).map((r) => r[0])).toEqual([3, 6, 9, 12]);
    [a, b, c].forEach((n) => n.dispose());
  });

  it('train-detector trains, exports three precisions, and the export is a --detector', async () => {
    const full = tmp();
    const r = await drivelab('train-detector', '--data', data, '--steps', '8', '--batch', '4', '--warmup', '2', '--eval-every', '4', '--min-height', '0', '--backend', 'wasm', '--out', full);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.code).toBe(0);
    for (const p of ['float32', 'float16', 'uint8']) expect(r.stdout).toMatch(new RegExp(`${p} +\\d+ KiB +val AP50 \\d`));
    const summary = JSON.parse(readFileSync(join(full, 'train.json'), 'utf8'));
    expect(summary.exports.uint8.bytes * 4).toBe(summary.exports.float32.bytes);
    expect(summary.seconds).toBeGreaterThan(0);
    expect(summary.imagesPerSecond).toBeGreaterThan(0);
    const e = await drivelab('eval-detector', '--detector', join(full, 'float16'), '--seeds', '1000000', '--frames', '2', '--json');
    expect(e.stderr).toBe('');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout).backend).toBe('wasm');
  });

  it('stops on Ctrl-C with a checkpoint, and --resume continues with the run\'s own settings', async () => {
    const root = join(import.meta.dirname, '../..');
    const out = join(tmp(), 'run');
    const child = spawn(process.execPath, [join(root, 'bin/drivelab.mjs'), 'train-detector', '--data', data, '--out', out, '--steps', '3000', '--batch', '4', '--warmup', '2', '--eval-every', '1000', '--checkpoint-every', '1000', '--backend', 'wasm'], { cwd: root });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
    // Interrupt once the first learning-curve row (step 50) is written.
    while (!existsSync(join(out, 'learning-curve.csv')) || readFileSync(join(out, 'learning-curve.csv'), 'utf8').trim().split('\n').length < 2) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const state = JSON.parse(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8'));
    expect(state.step).toBeGreaterThanOrEqual(50);
    expect(state.step).toBeLessThan(3000);
    expect(stderr).toContain(`stopped at step ${state.step} of 3000; the checkpoint is saved, continue with --resume --out ${out}`);
    // Resumed with no settings on the command line: they come from the run (its length shortened here).
    const args = JSON.parse(readFileSync(join(out, 'args.json'), 'utf8'));
    writeFileSync(join(out, 'args.json'), JSON.stringify({ ...args, steps: String(state.step + 3) }));
    const resumed = await drivelab('train-detector', '--resume', '--out', out);
    expect(resumed.stderr).toMatch(/· \d+ steps of 4 on/);
    expect(resumed.code).toBe(0);
    expect(curve(out).at(-1)![0]).toBe(state.step + 3);
    // The run directory is a --detector, and a --from, as it is.
    expect((await drivelab('eval-detector', '--detector', out, '--seeds', '1000000', '--frames', '1')).code).toBe(0);
    writeFileSync(join(out, 'checkpoint', 'state.json'), '{"step": -1}');
    const bad = await drivelab('train-detector', '--resume', '--out', out);
    expect([bad.code, bad.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(bad.stderr).toMatch(/--resume: .*state\.json: step: /);
  }, 120_000);

  it('exports the last weights, and says why, when validation has nothing it can score', async () => {
    const out = tmp();
    const r = await drivelab('train-detector', '--data', data, '--steps', '6', '--batch', '4', '--eval-every', '3', '--min-height', '1000', '--backend', 'wasm', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/validation AP could not be measured \(no validation object is 1000 px tall or more; see --min-height, --val\); exporting the last weights/);
    expect(r.stdout).toMatch(/float32 +\d+ KiB +val AP50 — /);
    expect(readFileSync(join(out, 'float32', 'weights.bin')).equals(readFileSync(join(out, 'checkpoint', 'weights.bin')))).toBe(true);
  }, 60_000);

  it('refuses bad flags and data in one line, exit 2', async () => {
    const out = tmp();
    for (const [args, message] of [
      [['--data', join(data, 'nope'), '--out', out], /--data .*nope: not a directory/],
      [['--data', data, '--out', out, '--lr', '-1'], /--lr -1: expected a number from/],
      [['--data', data, '--out', out, '--augment', 'rotate'], /--augment rotate: "rotate": expected none, or some of flip/],
      [['--data', data, '--out', out, '--from', tmp()], /--from .*: no model\.json there/],
      [['--data', data, '--out', out, '--resume'], /--resume: .*args\.json: not found; expected the --out of an interrupted train-detector run/],
    ] as const) {
      const r = await drivelab('train-detector', ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
