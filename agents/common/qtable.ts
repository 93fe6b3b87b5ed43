/**
 * A table of action values by discrete state, and its file: `qtable.json` holds how observations
 * become states (the encoding), the number of actions and one row of values per visited state.
 * A corrupt file gets a one-line error naming the file and the field.
 */
import type { StateEncoding } from './tabularState.ts';

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
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

/** A saved table for an env with `actions` actions, checked field by field. */
export async function readTable(file: string, actions: number): Promise<{ table: QTable; encoding: StateEncoding }> {
  const data = (await readJson(file)) as Record<string, unknown>;
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
