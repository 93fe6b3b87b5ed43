/**
 * The boundary between drivelab and a detector: what `load` and `detect` return is checked here,
 * and a bad value is named in one line: the detector, the frame, the field and what was expected.
 * `detectChecked` also turns a throw or a hang past the timeout into the same kind of error.
 */
import { z } from 'zod';
import { formatPath } from '../../scenarios/parse.ts';
import type { CameraFrame, Detection, Detector } from './types.ts';

/** A detector broke the contract: the message is one line naming what was wrong */
export class DetectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DetectorError';
  }
}

const finite = z.number({ error: (i) => `expected a finite number, got ${show(i.input)}` }).refine(Number.isFinite, { error: (i) => `expected a finite number, got ${show(i.input)}` });
const size = finite.refine((v) => v >= 0, { error: (i) => `expected a size ≥ 0, got ${show(i.input)}` });

const DetectorShape = z.object({
  name: z.string().min(1),
  classes: z.array(z.string().min(1)).min(1),
  detect: z.custom<Detector['detect']>((v) => typeof v === 'function', { error: 'expected a function detect(frame)' }),
  dispose: z.custom<Detector['dispose']>((v) => typeof v === 'function', { error: 'expected a function dispose()' }),
});

function show(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === undefined) return 'nothing';
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch {
    // BigInts, cycles, throwing getters: say what kind of value it was.
    text = typeof v === 'bigint' ? `${v}n` : `a ${typeof v} that cannot be shown`;
  }
  return text === undefined ? String(v) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `value` as a Detector, or a DetectorError naming `source` and the first bad field */
export function checkDetector(value: unknown, source: string): Detector {
  const r = DetectorShape.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length > 0 ? `.${formatPath(issue.path)}` : '';
    throw new DetectorError(`${source}: load() must resolve to a detector; detector${where}: ${issue.message}`);
  }
  return value as Detector;
}

/** Most detections one frame may bring (COCO scores 100 per image) */
export const MAX_DETECTIONS = 10_000;

/** The schema of a detector's results, built once per detector: building it costs more than checking a frame */
const schemas = new WeakMap<Detector, z.ZodType>();

function detectionsSchema(detector: Detector): z.ZodType {
  let schema = schemas.get(detector);
  if (schema) return schema;
  const labels = new Set(detector.classes);
  schema = z.array(
    z.object({
      bbox: z.tuple([finite, finite, size, size], { error: (i) => `expected [x, y, w, h], got ${show(i.input)}` }),
      label: z.string().refine((l) => labels.has(l), { error: (i) => `expected one of its classes (${detector.classes.join(', ')}), got ${show(i.input)}` }),
      score: finite.refine((s) => s >= 0 && s <= 1, { error: (i) => `expected a score from 0 to 1, got ${show(i.input)}` }),
    }),
    { error: (i) => `expected an array of detections, got ${show(i.input)}` },
  );
  schemas.set(detector, schema);
  return schema;
}

/** `out` as detections of `detector`, or a DetectorError naming the frame and the first bad field */
export function checkDetections(out: unknown, detector: Detector, frame: CameraFrame): Detection[] {
  const schema = detectionsSchema(detector);
  if (Array.isArray(out) && out.length > MAX_DETECTIONS) throw new DetectorError(`detector "${detector.name}", frame ${frame.cameraId}@${frame.timestamp.toFixed(2)}s: detections: expected at most ${MAX_DETECTIONS.toLocaleString('en-US')} per frame, got ${out.length.toLocaleString('en-US')}`);
  const r = schema.safeParse(out);
  if (r.success) return r.data as Detection[];
  const issue = r.error.issues[0];
  const path = issue.path.length > 0 ? formatPath(issue.path) : 'detections';
  throw new DetectorError(`detector "${detector.name}", frame ${frame.cameraId}@${frame.timestamp.toFixed(2)}s: ${path}: ${issue.message}`);
}

/**
 * `detector.detect(frame)`, checked: a throw, a rejection, a hang longer than `timeoutMs` or a
 * bad result is a DetectorError. A hung call is left behind; its late result is ignored.
 */
export async function detectChecked(detector: Detector, frame: CameraFrame, timeoutMs: number): Promise<Detection[]> {
  const where = `detector "${detector.name}", frame ${frame.cameraId}@${frame.timestamp.toFixed(2)}s`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DetectorError(`${where}: detect() gave no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  let out: unknown;
  try {
    out = await Promise.race([Promise.resolve().then(() => detector.detect(frame)), timeout]);
  } catch (err) {
    if (err instanceof DetectorError) throw err;
    throw new DetectorError(`${where}: detect() threw: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
  } finally {
    clearTimeout(timer);
  }
  return checkDetections(out, detector, frame);
}
