/**
 * The policy of a tabular agent and its table of action values. At evaluation it is greedy on the
 * table, ε-greedy on request; it decides every `decisionInterval` env steps and keeps the
 * meta-controller's targets (IDLE) in between, and in states never visited.
 *
 * Its file, `qtable.json`, holds how observations become states (the encoding), the number of
 * actions and one row of values per visited state. A corrupt file gets a one-line error naming
 * the file and the field.
 */
import { META_ACTIONS } from '../../sim/control/MetaController.ts';
import type { SpaceValue } from '../../sim/env/spaces.ts';
import { mix32, Rng } from '../../sim/rng.ts';
import { writePolicyManifest } from './manifest.ts';
import type { ActionValues, ActOptions, Policy } from './Policy.ts';
import { discreteLabels } from './actionValues.ts';
import { afterDecision, afterStep, allowedIn, startTracking, stateOf, type StateEncoding, type Tracker } from './tabularState.ts';

/** Action values by state; a state never visited has no row. */
export type QTable = Map<number, Float64Array>;

export const TABLE_FILE = 'qtable.json';
const TABLE_VERSION = 1;

/** The row of `state`, made (all zeros) on first use. */
export function qRow(table: QTable, state: number, actions: number): Float64Array {
  let q = table.get(state);
  if (!q) table.set(state, (q = new Float64Array(actions)));
  return q;
}

/** The rows as plain data, in state order, so that equal tables give equal text. */
export function tableRows(table: QTable): Record<string, number[]> {
  const q: Record<string, number[]> = {};
  for (const [state, values] of [...table].sort((x, y) => x[0] - y[0])) q[state] = Array.from(values);
  return q;
}

export const tableFromRows = (q: Record<string, number[]>): QTable => new Map(Object.entries(q).map(([k, v]) => [Number(k), Float64Array.from(v)]));

/** The file's text. */
export function tableText(table: QTable, actions: number, encoding: StateEncoding): string {
  return JSON.stringify({ version: TABLE_VERSION, encoding, actions, q: tableRows(table) });
}

export async function readJson(file: string): Promise<unknown> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(`${file}: cannot read it`);
  }
  return parseJson(text, file);
}

/** `text` as JSON; `file` names it in the error (a path or a URL) */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

/** A saved table for an env with `actions` actions, checked field by field. */
export async function readTable(file: string, actions: number): Promise<{ table: QTable; encoding: StateEncoding }> {
  return tableFromJson(await readJson(file), file, actions);
}

/** The table in `text` (a `qtable.json`) for an env with `actions` actions; `file` names it in errors */
export function parseTable(text: string, file: string, actions: number): { table: QTable; encoding: StateEncoding } {
  return tableFromJson(parseJson(text, file), file, actions);
}

function tableFromJson(json: unknown, file: string, actions: number): { table: QTable; encoding: StateEncoding } {
  const data = json as Record<string, unknown>;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error(`${file}: expected an object`);
  if (data.version !== TABLE_VERSION) throw new Error(`${file}: version: expected ${TABLE_VERSION}, got ${JSON.stringify(data.version)}`);
  if (data.actions !== actions) throw new Error(`${file}: actions: expected ${actions} (the env's Discrete(${actions})), got ${JSON.stringify(data.actions)}`);
  const enc = data.encoding as StateEncoding | undefined;
  const good = enc?.type === 'discrete' || (enc?.type === 'lane-gaps' && typeof enc.key === 'string' && enc.range > 0 && enc.laneWidth > 0);
  if (!good) throw new Error(`${file}: encoding: expected { type: "discrete" } or { type: "lane-gaps", key, range, laneWidth }, got ${JSON.stringify(enc)}`);
  const q = data.q;
  if (typeof q !== 'object' || q === null || Array.isArray(q)) throw new Error(`${file}: q: expected an object of states to action values, got ${JSON.stringify(q)}`);
  const table: QTable = new Map();
  for (const [key, values] of Object.entries(q)) {
    if (!/^(0|[1-9]\d*)$/.test(key)) throw new Error(`${file}: q["${key}"]: expected a state number as the key`);
    if (!Array.isArray(values) || values.length !== actions || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new Error(`${file}: q["${key}"]: expected ${actions} finite numbers, got ${JSON.stringify(values)}`);
    }
    table.set(Number(key), Float64Array.from(values));
  }
  return { table, encoding: enc! };
}

/** The meta-action that keeps the controller's targets */
export const IDLE = META_ACTIONS.indexOf('IDLE');

export const isAllowed = (allowed: number, action: number) => ((allowed >>> action) & 1) === 1;

/** The greedy action among `allowed` (bits): ties go to IDLE if it is among them, else to the first; unseen states to IDLE. */
export function greedy(q: Float64Array | undefined, actions: number, allowed: number): number {
  const keep = Math.min(IDLE, actions - 1);
  if (!q) return keep;
  let best = -1;
  for (let a = 0; a < actions; a++) if (isAllowed(allowed, a) && (best < 0 || q[a] > q[best])) best = a;
  return isAllowed(allowed, keep) && q[keep] === q[best] ? keep : best;
}

/**
 * ε-greedy among `allowed`, ties broken by `rng`. With the updates `n` of each action, the greedy
 * choice maximises Q + bonus / √n, and an action never tried comes first (MBIE-EB, Strehl & Littman 2008).
 */
export function epsilonGreedy(q: Float64Array | undefined, actions: number, allowed: number, epsilon: number, rng: Rng, n?: Uint32Array, bonus = 0): number {
  const explore = rng.next() < epsilon || !q;
  const value = (a: number) => (n && bonus > 0 ? (n[a] === 0 ? Infinity : q![a] + bonus / Math.sqrt(n[a])) : q![a]);
  let max = -Infinity;
  if (!explore) for (let a = 0; a < actions; a++) if (isAllowed(allowed, a) && value(a) > max) max = value(a);
  const candidates: number[] = [];
  for (let a = 0; a < actions; a++) if (isAllowed(allowed, a) && (explore || value(a) === max)) candidates.push(a);
  return candidates.length === 1 ? candidates[0] : candidates[rng.int(0, candidates.length - 1)];
}

export interface TablePolicyOptions {
  /** Env steps per decision */
  decisionInterval: number;
  /** See `afterStep` in tabularState.ts */
  laneChangeHold: number;
  /** Exploration rate when acting with `deterministic: false` */
  epsilon: number;
  /** The agent's own seed, mixed into each episode's */
  seed: number;
}

export class TablePolicy implements Policy<SpaceValue, number> {
  private tracker: Tracker | null = null;
  private rng = Rng.seeded(0);

  /** `args` are saved in policy.json as the arguments of agent `name`; `options` are what acting needs of them */
  constructor(readonly name: string, readonly args: object, private readonly options: TablePolicyOptions, readonly table: QTable, readonly actions: number, readonly encoding: StateEncoding) {}

  act(observation: SpaceValue, options: ActOptions = {}): number {
    if (!this.tracker) this.tracker = startTracking(this.encoding, observation);
    else afterStep(this.encoding, this.tracker, observation, this.options.laneChangeHold);
    if (this.tracker.steps > 0 && this.tracker.steps < this.options.decisionInterval) return IDLE;
    const state = stateOf(this.encoding, observation, this.tracker);
    const q = this.table.get(state), allowed = allowedIn(this.encoding, state, this.actions);
    const action = options.deterministic === false ? epsilonGreedy(q, this.actions, allowed, this.options.epsilon, this.rng) : greedy(q, this.actions, allowed);
    afterDecision(this.encoding, this.tracker, action, observation, this.options.laneChangeHold);
    return action;
  }

  /**
   * The table's row for the state `act(observation)` would be in; `chosen` is the greedy action
   * among those allowed there, what a decision would take. Null in a state the table never
   * visited (a decision there keeps IDLE). Between decisions `act` keeps IDLE all the same.
   */
  explain(observation: SpaceValue): ActionValues | null {
    // A copy of the tracker (plain numbers) moved on by this observation, as `act` would move it.
    const tracker = this.tracker ? { ...this.tracker } : startTracking(this.encoding, observation);
    if (this.tracker) afterStep(this.encoding, tracker, observation, this.options.laneChangeHold);
    const state = stateOf(this.encoding, observation, tracker);
    const q = this.table.get(state);
    if (!q) return null;
    return { kind: 'q', labels: discreteLabels(this.actions), values: Array.from(q), chosen: greedy(q, this.actions, allowedIn(this.encoding, state, this.actions)) };
  }

  reset(episodeSeed: number): void {
    if (!Number.isSafeInteger(episodeSeed) || episodeSeed < 0) throw new Error(`reset: expected the episode's seed, a non-negative integer, got ${episodeSeed}`);
    this.tracker = null;
    // The agent's seed and the episode's, hashed with a constant of this class's own.
    const seed = this.options.seed;
    this.rng = Rng.seeded(mix32(mix32(0x51a7e ^ (seed >>> 0) ^ Math.floor(seed / 2 ** 32)) ^ (episodeSeed >>> 0) ^ Math.floor(episodeSeed / 2 ** 32)) >>> 0);
  }

  save(dir: string): Promise<void> {
    return this.write(dir, tableText(this.table, this.actions, this.encoding));
  }

  /** policy.json, the table given as text, and any `extra` files by name */
  async write(dir: string, table: string, extra: Record<string, string> = {}): Promise<void> {
    await writePolicyManifest(dir, { agent: this.name, args: this.args, actionSpace: { type: 'discrete', n: this.actions } });
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    for (const [file, text] of Object.entries({ [TABLE_FILE]: table, ...extra })) await writeFile(join(dir, file), text + '\n');
  }
}
