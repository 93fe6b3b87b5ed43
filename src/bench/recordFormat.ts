/**
 * The drivelab-record format (see record.ts) without Node: its schema, and the decoding of a parsed
 * file into typed arrays. The viewer's page reads recordings with it.
 */
import { z } from 'zod';

export const RECORD_FORMAT = 'drivelab-record';
export const RECORD_VERSION = 1;
export const RECORD_EXTENSION = '.drec.json.gz';

const RecordEvent = z.object({ step: z.number().int(), type: z.enum(['collision', 'off-road', 'goal', 'time-limit']), detail: z.string().optional() });

export const EpisodeRecordSchema = z.object({
  format: z.literal(RECORD_FORMAT),
  version: z.literal(RECORD_VERSION),
  drivelab: z.string(),
  scenario: z.record(z.string(), z.unknown()),
  seed: z.number().int(),
  agent: z.string(),
  dt: z.number().positive(),
  steps: z.number().int().min(0),
  actors: z.array(z.object({ id: z.number().int(), kind: z.string(), model: z.string(), length: z.number(), width: z.number(), height: z.number() })),
  actionSize: z.number().int().min(1),
  poses: z.string(),
  actions: z.string(),
  rewards: z.string(),
  /** The weighted reward terms of each step: [steps × names.length] Float32, base64 (files before it lack it) */
  terms: z.object({ names: z.array(z.string()), values: z.string() }).optional(),
  events: z.array(RecordEvent),
  outcome: z.string(),
});

export type EpisodeRecord = z.infer<typeof EpisodeRecordSchema>;
export type RecordEventT = z.infer<typeof RecordEvent>;

/** A decoded recording: the header plus typed arrays. */
export interface Replay {
  header: Omit<EpisodeRecord, 'poses' | 'actions' | 'rewards' | 'terms'>;
  poses: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  /** Reward terms by name, each [steps]; empty for files without them */
  terms: Record<string, Float32Array>;
}

export function encodeFloats(values: readonly number[]): string {
  const bytes = new Uint8Array(Float32Array.from(values).buffer);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function decodeFloats(text: string, name: string, field: string): Float32Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new Error(`${name}: ${field}: not base64`);
  }
  if (binary.length % 4 !== 0) throw new Error(`${name}: ${field}: ${binary.length} bytes, not a whole number of float32 values`);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

/**
 * Checks a parsed recording and decodes its series; `name` (the file or URL) starts every error,
 * which names the field at fault.
 */
export function parseRecord(data: unknown, name: string): Replay {
  const parsed = EpisodeRecordSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${name}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const { poses, actions, rewards, terms, ...header } = parsed.data;
  const replay: Replay = { header, poses: decodeFloats(poses, name, 'poses'), actions: decodeFloats(actions, name, 'actions'), rewards: decodeFloats(rewards, name, 'rewards'), terms: {} };
  const expected = (header.steps + 1) * header.actors.length * 4;
  if (replay.poses.length !== expected) throw new Error(`${name}: poses: expected ${expected} values, got ${replay.poses.length}`);
  // NaN marks an inactive actor; anything else must be a number.
  const infinite = replay.poses.findIndex((v) => v === Infinity || v === -Infinity);
  if (infinite >= 0) throw new Error(`${name}: poses: value ${infinite} is ${replay.poses[infinite]}; expected finite numbers, or NaN for an inactive actor`);
  for (const [field, series] of [['actions', replay.actions], ['rewards', replay.rewards]] as const) {
    const bad = series.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${name}: ${field}: value ${bad} is ${series[bad]}; expected finite numbers`);
  }
  if (replay.rewards.length !== header.steps) throw new Error(`${name}: rewards: expected ${header.steps} values, got ${replay.rewards.length}`);
  if (replay.actions.length !== header.steps * header.actionSize) throw new Error(`${name}: actions: expected ${header.steps * header.actionSize} values, got ${replay.actions.length}`);
  if (terms) {
    const values = decodeFloats(terms.values, name, 'terms.values');
    const k = terms.names.length;
    if (values.length !== header.steps * k) throw new Error(`${name}: terms.values: expected ${header.steps * k} values, got ${values.length}`);
    if (new Set(terms.names).size !== k) throw new Error(`${name}: terms.names: a name appears twice`);
    terms.names.forEach((term, j) => {
      const series = new Float32Array(header.steps);
      for (let t = 0; t < header.steps; t++) series[t] = values[t * k + j];
      // An own property whatever the name, "__proto__" included.
      Object.defineProperty(replay.terms, term, { value: series, enumerable: true, writable: true, configurable: true });
    });
  }
  return replay;
}
