/**
 * Named float32 arrays in one binary file: a little-endian u32 header length, a JSON header
 * `{ name: { shape, offset } }`, then the data. Weights, optimiser moments and replay buffers are
 * stored this way. Files are written to a temporary name and renamed, so an interrupt leaves
 * either the old file or the new one, never half of one.
 */
import { AgentInputError } from './errors.ts';
import { nodeFs } from './nodeBuiltins.ts';

export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

const MAGIC = 'DLA1';

export function writeArrays(file: string, arrays: Record<string, NamedArray>): void {
  const header: Record<string, { shape: number[]; offset: number }> = {};
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    const size = a.shape.reduce((p, d) => p * d, 1);
    if (size !== a.data.length) throw new Error(`${name}: shape ${JSON.stringify(a.shape)} needs ${size} numbers, got ${a.data.length}`);
    header[name] = { shape: a.shape, offset };
    offset += a.data.length;
  }
  // Padded with spaces so the data starts on a 4-byte boundary.
  const text = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = text.length + ((4 - (text.length % 4)) % 4);
  const bytes = new Uint8Array(8 + headerLength + offset * 4);
  for (let i = 0; i < 4; i++) bytes[i] = MAGIC.charCodeAt(i);
  new DataView(bytes.buffer).setUint32(4, headerLength, true);
  bytes.set(text, 8);
  bytes.fill(0x20, 8 + text.length, 8 + headerLength);
  // Little-endian, as every platform tfjs runs on.
  const body = new Float32Array(bytes.buffer, 8 + headerLength, offset);
  for (const [name, a] of Object.entries(arrays)) body.set(a.data, header[name].offset);
  const fs = nodeFs();
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

/** Reads a file of `writeArrays`; a damaged file is an error naming it and what is wrong */
export function readArrays(file: string): Record<string, NamedArray> {
  let bytes: Uint8Array;
  try {
    bytes = nodeFs().readFileSync(file);
  } catch {
    throw new AgentInputError(`${file}: cannot read it`);
  }
  return parseArrays(bytes, file);
}

/** The arrays in the bytes of a `writeArrays` file; `file` names it in errors (a path or a URL) */
export function parseArrays(bytes: Uint8Array, file: string): Record<string, NamedArray> {
  if (bytes.length < 8 || String.fromCharCode(...bytes.subarray(0, 4)) !== MAGIC) throw new AgentInputError(`${file}: not a drivelab array file (expected it to start with "${MAGIC}")`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, true);
  if (8 + headerLength > bytes.length) throw new AgentInputError(`${file}: truncated: the header needs ${headerLength} bytes, the file has ${bytes.length - 8}`);
  let header: Record<string, { shape: number[]; offset: number }>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw new AgentInputError(`${file}: the header is not valid JSON`);
  }
  const bodyBytes = bytes.length - 8 - headerLength;
  if (bodyBytes % 4 !== 0) throw new AgentInputError(`${file}: truncated: ${bodyBytes} data bytes is not a whole number of float32 values`);
  // Copied out so the arrays are aligned whatever the header length (a Node Buffer's `slice` would not copy).
  const data = new Uint8Array(bodyBytes);
  data.set(bytes.subarray(8 + headerLength));
  const body = new Float32Array(data.buffer);
  const out: Record<string, NamedArray> = {};
  for (const [name, h] of Object.entries(header)) {
    const ok = Array.isArray(h?.shape) && h.shape.every((d) => Number.isInteger(d) && d >= 0) && Number.isInteger(h.offset) && h.offset >= 0;
    if (!ok) throw new AgentInputError(`${file}: ${name}: expected a shape of whole numbers and an offset`);
    const size = h.shape.reduce((p, d) => p * d, 1);
    if (h.offset + size > body.length) throw new AgentInputError(`${file}: ${name}: truncated: needs numbers up to ${h.offset + size}, the file holds ${body.length}`);
    out[name] = { shape: h.shape, data: body.subarray(h.offset, h.offset + size) };
  }
  return out;
}

/** The array `name` of `arrays` with `shape`; otherwise an error naming the file and the array */
export function expectArray(arrays: Record<string, NamedArray>, name: string, shape: readonly number[], file: string): Float32Array {
  const a = arrays[name];
  if (!a) throw new AgentInputError(`${file}: ${name}: missing`);
  if (a.shape.length !== shape.length || a.shape.some((d, i) => d !== shape[i])) {
    throw new AgentInputError(`${file}: ${name}: expected shape ${JSON.stringify(shape)}, got ${JSON.stringify(a.shape)}`);
  }
  for (let i = 0; i < a.data.length; i++) {
    if (!Number.isFinite(a.data[i])) throw new AgentInputError(`${file}: ${name}: element ${i} is ${a.data[i]}, expected a finite number`);
  }
  return a.data;
}
