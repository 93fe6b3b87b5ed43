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
 *   terms   { names, values [steps, names] }: the weighted reward terms (absent in older files)
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { readFile, writeFile } from 'node:fs/promises';
import type { Action } from '../../sim/env/DrivingEnv.ts';
import type { World } from '../../sim/world/World.ts';
import { VERSION } from '../version.ts';
import { encodeFloats as encode, parseRecord, RECORD_EXTENSION, RECORD_FORMAT, RECORD_VERSION, type EpisodeRecord, type RecordEventT, type Replay } from './recordFormat.ts';

export { RECORD_EXTENSION, RECORD_FORMAT, RECORD_VERSION, EpisodeRecordSchema, parseRecord, type EpisodeRecord, type Replay } from './recordFormat.ts';

export class ReplayRecorder {
  private readonly poses: number[] = [];
  private readonly actions: number[] = [];
  private readonly rewards: number[] = [];
  private readonly events: RecordEventT[] = [];
  /** Reward term names in the order of their first appearance, and each step's values */
  private readonly termNames: string[] = [];
  private readonly termRows: Record<string, number>[] = [];
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
    const terms = (info.rewards as Record<string, number> | undefined) ?? {};
    for (const name of Object.keys(terms)) if (!this.termNames.includes(name)) this.termNames.push(name);
    this.termRows.push(terms);
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
      terms: { names: this.termNames, values: encode(this.termRows.flatMap((row) => this.termNames.map((name) => row[name] ?? 0))) },
      events: this.events,
      outcome,
    };
  }

  async write(file: string, outcome: string): Promise<void> {
    await writeFile(file, gzipSync(JSON.stringify(this.toRecord(outcome))));
  }
}


/** Reads and checks a recording; a damaged file gets an error naming the file and the field. */
export async function readRecord(file: string): Promise<Replay> {
  let data: unknown;
  try {
    data = JSON.parse(gunzipSync(await readFile(file)).toString('utf8'));
  } catch (err) {
    throw new Error(`${file}: not a ${RECORD_FORMAT} file (${(err as Error).message})`);
  }
  return parseRecord(data, file);
}

/** `<scenario>-<seed>`, with `-<detector>` for an episode driven on a detector's tracks */
export function recordFileName(scenarioLabel: string, seed: number, detector?: string): string {
  const safe = (text: string) => text.replace(/[^a-zA-Z0-9._-]+/g, '_');
  return `${safe(scenarioLabel)}-${seed}${detector === undefined ? '' : `-${safe(detector)}`}${RECORD_EXTENSION}`;
}

