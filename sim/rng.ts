/**
 * The env's seeded random generator. One root per env, split into independent streams (traffic,
 * pedestrians, sensor noise, ...) by jumping, so adding draws to one consumer never shifts another.
 * `sim/` draws randomness only from here, never from the platform's unseeded generator.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

export class Rng {
  private gen: JumpableRandomGenerator;

  private constructor(gen: JumpableRandomGenerator) {
    this.gen = gen;
  }

  static seeded(seed: number): Rng {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`a seed must be a non-negative integer, got ${typeof seed === 'number' ? seed : `${typeof seed} ${JSON.stringify(seed)}`}`);
    // Fold the high bits in so seeds above 2^32 stay distinct, then scramble: the generator's
    // first draws are nearly linear in a raw seed, so seeds 5, 6, 7 would start almost alike.
    const folded = (seed % 2 ** 32 ^ Math.floor(seed / 2 ** 32)) | 0;
    const gen = xoroshiro128plus(mix32(folded));
    for (let i = 0; i < 4; i++) gen.next();
    return new Rng(gen);
  }

  static fromState(state: readonly number[]): Rng {
    return new Rng(xoroshiro128plusFromState(state));
  }

  /** An independent stream: a copy of this one jumped 2^64 draws ahead; this one jumps past it. */
  split(): Rng {
    const child = this.gen.clone();
    child.jump();
    this.gen.jump();
    this.gen.jump();
    return new Rng(child);
  }

  /** Uniform in [0, 1) */
  next(): number {
    return uniformFloat64(this.gen);
  }

  /** Uniform in [lo, hi) */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * uniformFloat64(this.gen);
  }

  /** Uniform integer in [lo, hi], both included */
  int(lo: number, hi: number): number {
    return uniformInt(this.gen, lo, hi);
  }

  /** Standard normal, by Box–Muller */
  normal(mean = 0, std = 1): number {
    const u = 1 - uniformFloat64(this.gen);
    const v = uniformFloat64(this.gen);
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('cannot pick from an empty list');
    return items[uniformInt(this.gen, 0, items.length - 1)];
  }

  /** A 31-bit integer, for seeding things downstream */
  seed(): number {
    return uniformInt(this.gen, 0, 0x7fffffff);
  }

  state(): readonly number[] {
    return this.gen.getState();
  }
}

/** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x | 0;
}
