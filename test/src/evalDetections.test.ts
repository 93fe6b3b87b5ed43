import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drivelab, STACK_FRAME } from './drivelab.ts';

describe('drivelab eval-detections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drivelab-evaldet-'));
  const data = join(dir, 'data');

  it('scores results against a captured dataset: its own ground truth is 100%, a shifted copy less', async () => {
    expect((await drivelab('capture', '--scenario', 'highway', '--frames', '4', '--seeds', '1000000', '--out', data)).code).toBe(0);
    const gtFile = join(data, 'annotations.json');
    const gt = JSON.parse(readFileSync(gtFile, 'utf8')) as { annotations: { image_id: number; category_id: number; bbox: number[] }[] };
    expect(gt.annotations.length).toBeGreaterThan(0);
    const perfect = join(dir, 'perfect.json');
    writeFileSync(perfect, JSON.stringify(gt.annotations.map((a) => ({ image_id: a.image_id, category_id: a.category_id, bbox: a.bbox, score: 1 }))));
    const r = await drivelab('eval-detections', '--gt', gtFile, '--dt', perfect, '--json');
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ ap: 1, ap50: 1, ap75: 1, perClass: { vehicle: { ap: 1 } } });
    // Every box moved right by half its width: IoU 1/3, under every threshold.
    const shifted = join(dir, 'shifted.json');
    writeFileSync(shifted, JSON.stringify(gt.annotations.map((a) => ({ image_id: a.image_id, category_id: a.category_id, bbox: [a.bbox[0] + a.bbox[2] / 2, a.bbox[1], a.bbox[2], a.bbox[3]], score: 1 }))));
    expect(JSON.parse((await drivelab('eval-detections', '--gt', gtFile, '--dt', shifted, '--json')).stdout).ap).toBe(0);
    const table = await drivelab('eval-detections', '--gt', gtFile, '--dt', perfect);
    expect(table.stdout).toMatch(/^all\s+100\.0 100\.0 100\.0/m);
    expect(table.stdout).toMatch(/^vehicle\s+100\.0/m);
  });

  it('says in one line which file and field are wrong', async () => {
    const gtFile = join(data, 'annotations.json');
    const bad = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const cases: [string[], RegExp][] = [
      [['--gt', join(dir, 'nope.json'), '--dt', gtFile], /--gt .*nope\.json: no such file/],
      [['--gt', gtFile, '--dt', bad('broken.json', '[{')], /--dt .*broken\.json: not valid JSON/],
      [['--gt', gtFile, '--dt', bad('score.json', '[{"image_id":1,"category_id":1,"bbox":[0,0,1,1],"score":2}]')], /score\.json: \[0\]\.score: /],
      [['--gt', gtFile, '--dt', bad('size.json', '[{"image_id":1,"category_id":1,"bbox":[0,0,-1,1],"score":1}]')], /size\.json: \[0\]\.bbox\[2\]: /],
      [['--gt', gtFile, '--dt', bad('image.json', '[{"image_id":999,"category_id":1,"bbox":[0,0,1,1],"score":1}]')], /image\.json: \[0\]: image_id 999 is not an image of /],
      [['--gt', bad('gt.json', '{"images":[],"annotations":[]}'), '--dt', gtFile], /gt\.json: categories: /],
    ];
    for (const [args, message] of cases) {
      const r = await drivelab('eval-detections', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(STACK_FRAME);
    }
  });
});
