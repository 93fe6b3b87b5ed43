/**
 * Gymnasium's spaces: `Box`, `Discrete` and `Dict`. Each can sample from a seeded generator, say
 * whether a value belongs to it, and describe itself as plain JSON (for workers and checkpoints).
 * As in Gymnasium, `sample()` without a generator draws from the space's own, which `seed(n)`
 * seeds (seed 0 until then).
 */
import { Rng } from '../rng.ts';

export type Space = Box | Discrete | Dict;
export type SpaceValue = Float32Array | number | { [key: string]: SpaceValue };
export type SpaceJson =
  | { type: 'box'; low: number[]; high: number[]; shape: number[] }
  | { type: 'discrete'; n: number }
  | { type: 'dict'; spaces: Record<string, SpaceJson> };

/** The generator a space samples from when it is given none. */
abstract class SeededSpace {
  private own: Rng | null = null;

  /** Seeds the space's own generator, as Gymnasium's `space.seed(n)`. */
  seed(seed: number): void {
    this.own = Rng.seeded(seed);
  }

  protected generator(rng: Rng | undefined): Rng {
    return rng ?? (this.own ??= Rng.seeded(0));
  }
}

/** A float32 array of fixed shape with per-element bounds. */
export class Box extends SeededSpace {
  readonly type = 'box';
  readonly shape: readonly number[];
  readonly size: number;
  readonly low: Float32Array;
  readonly high: Float32Array;

  constructor(low: number | ArrayLike<number>, high: number | ArrayLike<number>, shape: readonly number[]) {
    super();
    this.shape = shape;
    this.size = shape.reduce((a, b) => a * b, 1);
    this.low = typeof low === 'number' ? new Float32Array(this.size).fill(low) : Float32Array.from(low);
    this.high = typeof high === 'number' ? new Float32Array(this.size).fill(high) : Float32Array.from(high);
    if (this.low.length !== this.size || this.high.length !== this.size) {
      throw new Error(`Box bounds have ${this.low.length} and ${this.high.length} elements, shape ${JSON.stringify(shape)} needs ${this.size}`);
    }
  }

  sample(rng?: Rng): Float32Array {
    const g = this.generator(rng);
    const out = new Float32Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const lo = Number.isFinite(this.low[i]) ? this.low[i] : -1;
      const hi = Number.isFinite(this.high[i]) ? this.high[i] : 1;
      out[i] = g.uniform(lo, hi);
    }
    return out;
  }

  contains(x: unknown): boolean {
    if (!(x instanceof Float32Array) || x.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) if (!(x[i] >= this.low[i] && x[i] <= this.high[i])) return false;
    return true;
  }

  /** Clamps into the bounds, in place. */
  clip(x: Float32Array): Float32Array {
    for (let i = 0; i < this.size; i++) x[i] = x[i] < this.low[i] ? this.low[i] : x[i] > this.high[i] ? this.high[i] : x[i];
    return x;
  }

  toJSON(): SpaceJson {
    return { type: 'box', low: Array.from(this.low), high: Array.from(this.high), shape: [...this.shape] };
  }
}

/** An integer in [0, n). */
export class Discrete extends SeededSpace {
  readonly type = 'discrete';
  constructor(readonly n: number) {
    super();
    if (!Number.isInteger(n) || n < 1) throw new Error(`Discrete needs a positive integer n, got ${n}`);
  }

  sample(rng?: Rng): number {
    return this.generator(rng).int(0, this.n - 1);
  }

  contains(x: unknown): boolean {
    return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < this.n;
  }

  toJSON(): SpaceJson {
    return { type: 'discrete', n: this.n };
  }
}

/** Named sub-spaces; keys keep the order they were given in. */
export class Dict extends SeededSpace {
  readonly type = 'dict';
  constructor(readonly spaces: Readonly<Record<string, Space>>) {
    super();
  }

  /** Seeds every sub-space from one stream, in key order. */
  override seed(seed: number): void {
    const root = Rng.seeded(seed);
    for (const s of Object.values(this.spaces)) s.seed(root.seed());
  }

  sample(rng?: Rng): Record<string, SpaceValue> {
    const out: Record<string, SpaceValue> = {};
    for (const [k, s] of Object.entries(this.spaces)) out[k] = s.sample(rng);
    return out;
  }

  contains(x: unknown): boolean {
    if (typeof x !== 'object' || x === null || x instanceof Float32Array) return false;
    const keys = Object.keys(this.spaces);
    const value = x as Record<string, unknown>;
    if (Object.keys(value).length !== keys.length) return false;
    return keys.every((k) => this.spaces[k].contains(value[k]));
  }

  toJSON(): SpaceJson {
    const spaces: Record<string, SpaceJson> = {};
    for (const [k, s] of Object.entries(this.spaces)) spaces[k] = s.toJSON();
    return { type: 'dict', spaces };
  }
}

export function spaceFromJSON(json: SpaceJson): Space {
  switch (json.type) {
    case 'box':
      return new Box(json.low, json.high, json.shape);
    case 'discrete':
      return new Discrete(json.n);
    case 'dict':
      return new Dict(Object.fromEntries(Object.entries(json.spaces).map(([k, s]) => [k, spaceFromJSON(s)])));
  }
}

/** Number of floats a value of the space takes when flattened (Discrete as one-hot). */
export function flatSize(space: Space): number {
  switch (space.type) {
    case 'box':
      return space.size;
    case 'discrete':
      return space.n;
    case 'dict':
      return Object.values(space.spaces).reduce((sum, s) => sum + flatSize(s), 0);
  }
}

/** The flattened Box for a space, with the bounds of its parts laid end to end. */
export function flattenSpace(space: Space): Box {
  const low: number[] = [];
  const high: number[] = [];
  const walk = (s: Space): void => {
    if (s.type === 'box') {
      low.push(...s.low);
      high.push(...s.high);
    } else if (s.type === 'discrete') {
      for (let i = 0; i < s.n; i++) { low.push(0); high.push(1); }
    } else {
      for (const sub of Object.values(s.spaces)) walk(sub);
    }
  };
  walk(space);
  return new Box(low, high, [low.length]);
}

/** Writes a value of `space` flattened into `out` from `offset`; returns the offset after it. */
export function flattenInto(space: Space, value: SpaceValue, out: Float32Array, offset = 0): number {
  if (space.type === 'box') {
    out.set(value as Float32Array, offset);
    return offset + space.size;
  }
  if (space.type === 'discrete') {
    out.fill(0, offset, offset + space.n);
    out[offset + (value as number)] = 1;
    return offset + space.n;
  }
  const record = value as Record<string, SpaceValue>;
  for (const [k, s] of Object.entries(space.spaces)) offset = flattenInto(s, record[k], out, offset);
  return offset;
}

/** Reads a flattened value back into the shape of `space`. */
export function unflatten(space: Space, flat: Float32Array, offset = 0): SpaceValue {
  if (space.type === 'box') return flat.slice(offset, offset + space.size);
  if (space.type === 'discrete') {
    let best = 0;
    for (let i = 1; i < space.n; i++) if (flat[offset + i] > flat[offset + best]) best = i;
    return best;
  }
  const out: Record<string, SpaceValue> = {};
  for (const [k, s] of Object.entries(space.spaces)) {
    out[k] = unflatten(s, flat, offset);
    offset += flatSize(s);
  }
  return out;
}
