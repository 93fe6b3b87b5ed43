/**
 * Episode recordings (`--record`): every actor's pose per step, the actions, rewards and events,
 * enough for the viewer to replay an episode without re-simulating it.
 *
 * Format `drivelab-record` version 1: gzip-compressed JSON. Numeric series are little-endian
 * Float32 arrays in base64:
 *   poses   [steps + 1, actors, 4]: x [m], y [m], heading [rad], speed [m/s]; NaN while inactive;
 *           row 0 is the state after reset
 *   actions [steps, actionSize]
 *   rewards [steps]
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Action } from '../../sim/env/DrivingEnv.ts';
import type { World } from '../../sim/world/World.ts';
import { VERSION } from '../version.ts';

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
  events: z.array(RecordEvent),
  outcome: z.string(),
});

export type EpisodeRecord = z.infer<typeof EpisodeRecordSchema>;
export type RecordEventT = z.infer<typeof RecordEvent>;

/** A decoded recording: the header plus typed arrays. */
export interface Replay {
  header: Omit<EpisodeRecord, 'poses' | 'actions' | 'rewards'>;
  poses: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
}

export class ReplayRecorder {
  private readonly poses: number[] = [];
  private readonly actions: number[] = [];
  private readonly rewards: number[] = [];
  private readonly events: RecordEventT[] = [];
  private steps = 0;
  private actionSize = 1;

  constructor(private readonly world: World, private readonly agent: string) {
    this.capture();
  }

  private capture(): void {
    for (const a of this.world.actors) {
      if (a.active) this.poses.push(a.x, a.y, a.heading, a.speed);
      else this.poses.push(NaN, NaN, NaN, NaN);
    }
  }

  onStep(action: Action, reward: number, info: Record<string, unknown>): void {
    this.steps++;
    if (typeof action === 'number') {
      this.actions.push(action);
    } else {
      this.actionSize = action.length;
      for (const v of action) this.actions.push(v);
    }
    this.rewards.push(reward);
    this.capture();
    const step = this.steps;
    const hit = info.collision as { kind: string; actor: number } | null;
    if (hit) this.events.push({ step, type: 'collision', detail: `${hit.kind} ${hit.actor}` });
    if (info.offRoad) this.events.push({ step, type: 'off-road' });
    if (info.outcome === 'goal') this.events.push({ step, type: 'goal' });
    if (info.outcome === 'time-limit') this.events.push({ step, type: 'time-limit' });
  }

  toRecord(outcome: string): EpisodeRecord {
    const w = this.world;
    return {
      format: RECORD_FORMAT,
      version: RECORD_VERSION,
      drivelab: VERSION,
      scenario: w.scenario as unknown as Record<string, unknown>,
      seed: w.seed,
      agent: this.agent,
      dt: w.scenario.sim.stepDt,
      steps: this.steps,
      actors: w.actors.map((a) => ({ id: a.id, kind: a.kind, model: a.model, length: a.length, width: a.width, height: a.height })),
      actionSize: this.actionSize,
      poses: encode(this.poses),
      actions: encode(this.actions),
      rewards: encode(this.rewards),
      events: this.events,
      outcome,
    };
  }

  async write(file: string, outcome: string): Promise<void> {
    await writeFile(file, gzipSync(JSON.stringify(this.toRecord(outcome))));
  }
}

function encode(values: readonly number[]): string {
  return Buffer.from(Float32Array.from(values).buffer).toString('base64');
}

function decode(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Reads and checks a recording; a damaged file gets an error naming the file and the field. */
export async function readRecord(file: string): Promise<Replay> {
  let data: unknown;
  try {
    data = JSON.parse(gunzipSync(await readFile(file)).toString('utf8'));
  } catch (err) {
    throw new Error(`${file}: not a ${RECORD_FORMAT} file (${(err as Error).message})`);
  }
  const parsed = EpisodeRecordSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const { poses, actions, rewards, ...header } = parsed.data;
  const replay: Replay = { header, poses: decode(poses), actions: decode(actions), rewards: decode(rewards) };
  const expected = (header.steps + 1) * header.actors.length * 4;
  if (replay.poses.length !== expected) throw new Error(`${file}: poses: expected ${expected} values, got ${replay.poses.length}`);
  return replay;
}

/** `<scenario>-<seed>`, with `-<detector>` for an episode driven on a detector's tracks */
export function recordFileName(scenarioLabel: string, seed: number, detector?: string): string {
  const safe = (text: string) => text.replace(/[^a-zA-Z0-9._-]+/g, '_');
  return `${safe(scenarioLabel)}-${seed}${detector === undefined ? '' : `-${safe(detector)}`}${RECORD_EXTENSION}`;
}

