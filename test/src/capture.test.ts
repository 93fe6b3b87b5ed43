import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { capture, maskRle, type CocoAnnotation, type CocoImage } from '../../src/capture.ts';
import { resolveScenario } from '../../sim/env/registry.ts';

const root = join(import.meta.dirname, '../..');

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

  it('rejects bad seeds and flags with exit code 2', () => {
    const bin = join(root, 'bin/drivelab.mjs');
    const bad = spawnSync(process.execPath, [bin, 'capture', '--seeds', '9..3', '--out', join(tmpdir(), 'never')], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--seeds 9..3: expected a..b with a ≤ b');
    const missing = spawnSync(process.execPath, [bin, 'capture'], { cwd: root, encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("required option '--out <dir>'");
  });
});
