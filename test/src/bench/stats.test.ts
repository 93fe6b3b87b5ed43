import { describe, expect, it } from 'vitest';
import { bootstrapDifference, bootstrapMean } from '../../../src/bench/stats.ts';
import { Rng } from '../../../sim/rng.ts';

describe('bootstrap confidence intervals', () => {
  it('a constant sample has a zero-width interval; one value has itself', () => {
    expect(bootstrapMean([2, 2, 2, 2])).toEqual({ mean: 2, low: 2, high: 2, n: 4 });
    expect(bootstrapMean([7])).toEqual({ mean: 7, low: 7, high: 7, n: 1 });
  });

  it('matches the normal-theory interval for a large normal sample', () => {
    const rng = Rng.seeded(5);
    const xs = Array.from({ length: 400 }, () => rng.normal(10, 2));
    const e = bootstrapMean(xs, 1);
    const half = (1.96 * 2) / Math.sqrt(400);
    expect(e.low).toBeLessThan(e.mean);
    expect(e.high).toBeGreaterThan(e.mean);
    expect((e.high - e.low) / 2).toBeGreaterThan(half * 0.85);
    expect((e.high - e.low) / 2).toBeLessThan(half * 1.15);
  });

  it('success rates: 9 of 10 gives a mean of 0.9 and an interval inside [0.6, 1]', () => {
    const e = bootstrapMean([1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect(e.mean).toBeCloseTo(0.9, 12);
    expect(e.high).toBe(1);
    expect(e.low).toBeGreaterThanOrEqual(0.6);
  });

  it('is reproducible for a seed', () => {
    const xs = [1, 5, 2, 8, 3];
    expect(bootstrapMean(xs, 3)).toEqual(bootstrapMean(xs, 3));
  });

  it('flags a clear difference as significant and a null one as not', () => {
    const rng = Rng.seeded(9);
    const a = Array.from({ length: 30 }, () => rng.normal(0, 1));
    const b = Array.from({ length: 30 }, () => rng.normal(2, 1));
    const c = Array.from({ length: 30 }, () => rng.normal(0, 1));
    const d = bootstrapDifference(a, b);
    expect(d.significant).toBe(true);
    expect(d.low).toBeGreaterThan(0);
    expect(bootstrapDifference(a, c).significant).toBe(false);
  });
});
