import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { capture, maskRle, type CocoAnnotation, type CocoImage } from '../../src/capture.ts';
import { resolveScenario } from '../../sim/env/registry.ts';
import { drivelab, STACK_FRAME } from './drivelab.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'drivelab-capture-'));

/** Decodes uncompressed column-major COCO RLE into a row-major 0/1 mask. */
function rleDecode(counts: number[], height: number, width: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  let i = 0;
  counts.forEach((run, k) => {
    for (let j = 0; j < run; j++, i++) if (k % 2 === 1) mask[(i % height) * width + Math.floor(i / height)] = 1;
  });
  return mask;
}

describe('dataset capture', () => {
  it('writes COCO annotations whose boxes and masks match the instance images exactly', async () => {
    const out = mkdtempSync(join(tmpdir(), 'drivelab-capture-'));
    const scenario = resolveScenario('highway', { traffic: { vehicles: 30 } });
    const result = await capture({ scenario, seeds: [2, 3], frames: 3, every: 10, agent: 'expert', out, camera: { type: 'camera', width: 160, height: 120 } });
    expect(result.images).toBe(6);
    const coco = JSON.parse(readFileSync(join(out, 'annotations.json'), 'utf8')) as { images: CocoImage[]; annotations: CocoAnnotation[]; categories: { id: number; name: string }[] };
    expect(coco.categories.map((c) => c.name)).toEqual(['vehicle', 'pedestrian', 'obstacle']);
    expect(coco.annotations.length).toBeGreaterThan(5);
    for (const image of coco.images) {
      const inst = decode(readFileSync(join(out, image.instance_file)));
      expect([inst.width, inst.height, inst.depth]).toEqual([160, 120, 16]);
      const rgb = decode(readFileSync(join(out, image.file_name)));
      expect(rgb.channels).toBe(3);
      const ids = inst.data as Uint16Array;
      for (const a of coco.annotations.filter((x) => x.image_id === image.id)) {
        const id = a.actor_id + 1;
        let minX = Infinity, minY = Infinity, maxX = -1, maxY = -1, area = 0;
        for (let y = 0; y < 120; y++) for (let x = 0; x < 160; x++) {
          if (ids[y * 160 + x] !== id) continue;
          area++;
          minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
        }
        expect(a.bbox).toEqual([minX, minY, maxX - minX + 1, maxY - minY + 1]);
        expect(a.area).toBe(area);
        const mask = rleDecode(a.segmentation.counts, 120, 160);
        for (let p = 0; p < mask.length; p++) expect(mask[p]).toBe(ids[p] === id ? 1 : 0);
        expect(a.visible_fraction).toBeGreaterThan(0);
        expect(a.visible_fraction).toBeLessThanOrEqual(1);
      }
    }
  });

  it('encodes RLE column by column, starting with background', () => {
    // 2×3 image (rows × columns) with the middle column set.
    const instance = Int32Array.from([0, 5, 0, 0, 5, 0]);
    expect(maskRle(instance, 3, 2, 5)).toEqual([2, 2, 2]);
  });

  it('rejects bad seeds and flags with exit code 2', async () => {
    const bad = await drivelab('capture', '--seeds', '9..3', '--out', join(tmp(), 'never'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('--seeds 9..3: expected a..b with a ≤ b\n');
    const missing = await drivelab('capture');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--out <dir>'");
  });
});

describe('drivelab capture', () => {
  /** Tiny frames, no traffic: what is tested here is how many frames are written and said. */
  const small = ['--width', '32', '--height', '24', '--set', 'traffic.vehicles=0'];
  type Coco = { info: { camera: { buffers: string[] }; frames_per_seed: number; frames_requested: number; frames_written: number; seeds: { seed: number; frames: number; steps: number; ended: string | null }[] }; images: CocoImage[] };
  const coco = (out: string) => JSON.parse(readFileSync(join(out, 'annotations.json'), 'utf8')) as Coco;

  it('reports, per seed and in total, the frames an early end of the episode cost', async () => {
    // The goal 80 m ahead at 20 m/s ends each episode after about 40 steps: 8 or 9 frames of 20.
    const out = join(tmp(), 'data', 'goal');
    const r = await drivelab('capture', ...small, '--set', 'goal.position=100', '--frames', '20', '--every', '5', '--seeds', '0,1', '--out', out);
    expect(r.code).toBe(0);
    const { info, images } = coco(out);
    expect(info).toMatchObject({ frames_per_seed: 20, frames_requested: 40, frames_written: images.length, camera: { buffers: ['rgb', 'depth', 'semantic', 'instance'] } });
    expect(info.seeds.map((s) => s.seed)).toEqual([0, 1]);
    for (const s of info.seeds) {
      expect(s.ended).toBe('goal');
      expect(s.frames).toBe(images.filter((i) => i.seed === s.seed).length);
      expect(s.frames).toBe(Math.ceil(s.steps / 5));
      expect(s.frames).toBeLessThan(20);
    }
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toEqual([
      ...info.seeds.map((s) => `capture: seed ${s.seed} gave ${s.frames} of 20 frames: its episode reached its goal after ${s.steps} steps`),
      `capture: ${images.length} of 40 frames; 2 of 2 seeds ended early (see info.seeds in ${out}/annotations.json)`,
    ]);
    expect(r.stdout).toContain(`${images.length} of 40 images`);
  });

  it('says nothing on stderr when every seed gives all its frames, up to the most an episode can give', async () => {
    // A 1 s episode is 10 steps: frames at steps 0 and 5.
    const out = tmp();
    const r = await drivelab('capture', ...small, '--set', 'limits.duration=1', '--frames', '2', '--every', '5', '--seeds', '4..5', '--out', out);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(coco(out).info.seeds).toEqual([
      { seed: 4, frames: 2, steps: 5, ended: null },
      { seed: 5, frames: 2, steps: 5, ended: null },
    ]);
    expect(readdirSync(join(out, 'images')).sort()).toEqual(['4_0000.png', '4_0001.png', '5_0000.png', '5_0001.png']);
  });

  const taken = () => {
    const f = join(tmp(), 'taken');
    writeFileSync(f, 'x');
    return f;
  };
  const used = () => {
    const d = tmp();
    writeFileSync(join(d, 'annotations.json'), '{}');
    return d;
  };
  const bad: [string, () => string[], (args: string[]) => string][] = [
    ['more frames than an episode can give', () => ['--set', 'limits.duration=1', '--frames', '3', '--every', '5', '--out', join(tmp(), 'x')],
      () => '--frames 3: an episode of highway gives at most 2 frames at --every 5 (1 s at 0.1 s per step); expected at most 2, or a smaller --every'],
    ['an --out that is a file', () => ['--out', taken()], (a) => `--out ${a[1]}: is a file; expected a directory (new or empty)`],
    ['an --out that holds files', () => ['--out', used()], (a) => `--out ${a[1]}: is not empty (it holds 1 entry); expected a new or empty directory for the captured dataset`],
    ['a goal beyond the route', () => ['--set', 'goal.position=900', '--out', join(tmp(), 'x')],
      () => "highway (with overrides): goal.position: 900 is beyond the end of the ego's route on this highway map (800.0 m); expected at most 799.0"],
    ['a seed beyond the safe integers', () => ['--seeds', '99999999999999999999', '--out', join(tmp(), 'x')], () => '--seeds 99999999999999999999: expected seeds up to 9007199254740991, got 99999999999999999999'],
    ['a range of seeds too long to drive', () => ['--seeds', '0..99999999', '--out', join(tmp(), 'x')], () => '--seeds 0..99999999: expected at most 100,001 seeds, got 100,000,000'],
    ['a fractional image width', () => ['--width', '1.5', '--out', join(tmp(), 'x')], () => '--width 1.5: expected a whole number from 8 to 4096'],
    ['an image narrower than the camera allows', () => ['--width', '4', '--out', join(tmp(), 'x')], () => '--width 4: expected a whole number from 8 to 4096'],
    ['an empty image height', () => ['--height', '', '--out', join(tmp(), 'x')], () => '--height : expected a whole number from 8 to 4096'],
    ['a field of view past the camera\'s', () => ['--fov', '180', '--out', join(tmp(), 'x')], () => '--fov 180: expected a number from 5 to 170'],
    ['a fractional --every', () => ['--every', '1.5', '--out', join(tmp(), 'x')], () => '--every 1.5: expected a whole number from 1 to 10000'],
  ];
  for (const [what, args, message] of bad) {
    it(`rejects ${what} before any frame, with one line and exit code 2`, async () => {
      const a = args();
      const out = a[a.indexOf('--out') + 1];
      const before = existsSync(out) ? readFileSync(existsSync(join(out, 'annotations.json')) ? join(out, 'annotations.json') : out, 'utf8') : null;
      const r = await drivelab('capture', ...a);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(message(a) + '\n');
      expect(r.stderr).not.toMatch(STACK_FRAME);
      if (before === null) expect(existsSync(out)).toBe(false);
      else expect(readFileSync(existsSync(join(out, 'annotations.json')) ? join(out, 'annotations.json') : out, 'utf8')).toBe(before);
    });
  }
});
