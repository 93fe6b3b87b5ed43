/**
 * Infos cross between threads as JSON text. Node's `postMessage` clones an object graph through
 * V8's serializer at about a third of a millisecond for a vector step's infos, while a string of
 * the same data goes across in microseconds; encoding and decoding it costs some tens.
 * Typed arrays and the numbers JSON cannot hold are tagged, so that what arrives equals what left.
 */
import type { Info } from '../Env.ts';

/** Tags of values JSON would lose: `{ [F32]: [...] }` is a Float32Array, `{ [NUM]: "Infinity" }` a number (also NaN and −0) */
const F32 = '$float32';
const NUM = '$number';

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Float32Array) return { [F32]: Array.from(value) };
  if (typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0))) return { [NUM]: Object.is(value, -0) ? '-0' : String(value) };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const tagged = value as Record<string, unknown>;
    if (F32 in tagged) return Float32Array.from(tagged[F32] as number[]);
    if (NUM in tagged) return Number(tagged[NUM]);
  }
  return value;
}

export function encodeInfos(infos: readonly Info[]): string {
  return JSON.stringify(infos, replacer);
}

export function decodeInfos(text: string): Info[] {
  return JSON.parse(text, reviver) as Info[];
}
