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

  it('neither misses nor counts false what ground truth marks ignore or crowd', async () => {
    const gt = { images: [{ id: 1 }], categories: [{ id: 1, name: 'vehicle' }], annotations: [
      { image_id: 1, category_id: 1, bbox: [0, 0, 10, 10] },
      { image_id: 1, category_id: 1, bbox: [50, 50, 10, 10], ignore: true },
      { image_id: 1, category_id: 1, bbox: [80, 10, 10, 10], iscrowd: 1 },
    ] };
    writeFileSync(join(dir, 'ign.json'), JSON.stringify(gt));
    // One hit on the real object and one on each ignored one, all at full IoU: AP 100%, not 1/3 precision.
    const dt = [[0, 0], [50, 50], [80, 10]].map(([x, y], i) => ({ image_id: 1, category_id: 1, bbox: [x, y, 10, 10], score: 0.5 + 0.1 * i }));
    writeFileSync(join(dir, 'ign-dt.json'), JSON.stringify(dt));
    const r = await drivelab('eval-detections', '--gt', join(dir, 'ign.json'), '--dt', join(dir, 'ign-dt.json'), '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).ap50).toBe(1);
    // Unmarked, the same results score lower: the two extra detections rank above the hit.
    writeFileSync(join(dir, 'plain.json'), JSON.stringify({ ...gt, annotations: [gt.annotations[0]] }));
    const plain = await drivelab('eval-detections', '--gt', join(dir, 'plain.json'), '--dt', join(dir, 'ign-dt.json'), '--json');
    expect(JSON.parse(plain.stdout).ap50).toBeLessThan(0.5);
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
      [['--gt', bad('ids.json', '{"images":[{"id":1},{"id":1}],"annotations":[],"categories":[{"id":1,"name":"vehicle"}]}'), '--dt', bad('none.json', '[]')], /ids\.json: images\[1\]\.id: repeats an earlier image id/],
      [['--gt', bad('cats.json', '{"images":[{"id":1}],"annotations":[],"categories":[{"id":1,"name":"vehicle"},{"id":2,"name":"vehicle"}]}'), '--dt', bad('none.json', '[]')], /cats\.json: categories\[1\]\.name: repeats an earlier category name/],
      [['--gt', bad('ref.json', '{"images":[{"id":1}],"annotations":[{"image_id":1,"category_id":1,"bbox":[0,0,1,1]},{"image_id":5,"category_id":1,"bbox":[0,0,1,1]}],"categories":[{"id":1,"name":"vehicle"}]}'), '--dt', bad('none.json', '[]')], /ref\.json: annotations\[1\]\.image_id: not the id of an image/],
      [['--gt', bad('crowd.json', '{"images":[{"id":1}],"annotations":[{"image_id":1,"category_id":1,"bbox":[0,0,1,1],"iscrowd":2}],"categories":[{"id":1,"name":"vehicle"}]}'), '--dt', bad('none.json', '[]')], /crowd\.json: annotations\[0\]\.iscrowd: /],
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
