/**
 * `drivelab eval-detections --gt annotations.json --dt detections.json`: COCO box AP of a
 * detector's results against ground truth (as `drivelab capture` writes it), overall, per class
 * and by object size. The files are COCO's: ground truth `{ images, annotations, categories }`,
 * results a list of `{ image_id, category_id, bbox, score }`.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { formatPath } from '../../scenarios/parse.ts';
import { cocoEvaluate, type ApSummary, type CocoDetection, type CocoGroundTruth } from '../../perception/metrics/cocoEval.ts';
import { UsageError } from '../errors.ts';
import type { CliIo } from '../io.ts';

const box = z.tuple([z.number(), z.number(), z.number().min(0), z.number().min(0)]);
const GroundTruth = z.object({
  images: z.array(z.object({ id: z.number().int() })),
  annotations: z.array(z.object({
    image_id: z.number().int(), category_id: z.number().int(), bbox: box, area: z.number().min(0).optional(),
    // Crowd regions and objects marked ignore are neither missed nor false positives when matched.
    iscrowd: z.union([z.literal(0), z.literal(1)]).optional(), ignore: z.boolean().optional(),
  })),
  categories: z.array(z.object({ id: z.number().int(), name: z.string() })).min(1),
});
const Results = z.array(z.object({ image_id: z.number().int(), category_id: z.number().int(), bbox: box, score: z.number().min(0).max(1) }));

async function readChecked<T>(file: string, flag: string, schema: z.ZodType<T>): Promise<T> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${flag} ${file}: ${code === 'ENOENT' ? 'no such file' : code ? `cannot be read (${code})` : 'not valid JSON'}`);
  }
  const r = schema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new UsageError(`${file}: ${issue.path.length > 0 ? formatPath(issue.path) : 'the file'}: ${issue.message}`);
  }
  return r.data;
}

const pct = (v: number) => (Number.isNaN(v) ? '—'.padStart(5) : (100 * v).toFixed(1).padStart(5));

export async function evalDetectionsCommand(opts: { gt: string; dt: string; json?: boolean }, io: CliIo): Promise<void> {
  const gt = (await readChecked(opts.gt, '--gt', GroundTruth)) as CocoGroundTruth;
  const dt = (await readChecked(opts.dt, '--dt', Results)) as CocoDetection[];
  const images = new Set(gt.images.map((i) => i.id)), categories = new Set(gt.categories.map((c) => c.id));
  const firstRepeat = <T>(values: T[]) => values.findIndex((v, i) => values.indexOf(v) !== i);
  const checks: [number, string][] = [
    [firstRepeat(gt.images.map((i) => i.id)), 'images[#].id: repeats an earlier image id; expected ids unique'],
    [firstRepeat(gt.categories.map((c) => c.id)), 'categories[#].id: repeats an earlier category id; expected ids unique'],
    [firstRepeat(gt.categories.map((c) => c.name)), 'categories[#].name: repeats an earlier category name; expected names unique'],
    [gt.annotations.findIndex((a) => !images.has(a.image_id)), 'annotations[#].image_id: not the id of an image in the file'],
    [gt.annotations.findIndex((a) => !categories.has(a.category_id)), 'annotations[#].category_id: not the id of a category in the file'],
  ];
  for (const [at, message] of checks) if (at >= 0) throw new UsageError(`${opts.gt}: ${message.replace('#', String(at))}`);
  const stray = dt.findIndex((d) => !images.has(d.image_id) || !categories.has(d.category_id));
  if (stray >= 0) {
    const d = dt[stray];
    throw new UsageError(`${opts.dt}: [${stray}]: ${!images.has(d.image_id) ? `image_id ${d.image_id} is not an image of ${opts.gt}` : `category_id ${d.category_id} is not a category of ${opts.gt}`}`);
  }
  const r = cocoEvaluate(gt, dt);
  if (opts.json) {
    io.stdout(JSON.stringify(r, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? null : v)) + '\n');
    return;
  }
  const row = (name: string, s: ApSummary) => `${name.padEnd(12)} ${pct(s.ap)} ${pct(s.ap50)} ${pct(s.ap75)}  ${pct(s.apSmall)} ${pct(s.apMedium)} ${pct(s.apLarge)}`;
  io.stdout(
    [
      `drivelab eval-detections · ${gt.images.length} images, ${gt.annotations.length} objects, ${dt.length} detections · COCO box AP [%]`,
      '',
      `${''.padEnd(12)} ${['AP', 'AP50', 'AP75'].map((h) => h.padStart(5)).join(' ')}  ${['small', 'med.', 'large'].map((h) => h.padStart(5)).join(' ')}`,
      row('all', r),
      ...gt.categories.map((c) => row(c.name, r.perClass[c.name])),
      '',
      'AP is averaged over IoU 0.50:0.05:0.95; — where there is no ground truth.',
    ].join('\n') + '\n',
  );
}
