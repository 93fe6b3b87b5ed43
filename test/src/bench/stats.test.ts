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

  /** k ones and n − k zeros, the ones spread through the sample. */
  const bernoulli = (n: number, k: number): number[] => Array.from({ length: n }, (_, i) => (Math.floor(((i + 1) * k) / n) > Math.floor((i * k) / n) ? 1 : 0));

  it('draws every value, the last one too: one 1 among nine 0s gives an interval above 0 that holds the mean', () => {
    const xs = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const e = bootstrapMean(xs, 4);
    expect(e.mean).toBeCloseTo(0.1, 12);
    expect(e.low).toBe(0);
    expect(e.high).toBeGreaterThanOrEqual(0.2);
    expect(e.high).toBeLessThanOrEqual(0.4);
    // The same for each group of a difference: a group's last value is its only 1.
    const zeros = [0, 0, 0, 0, 0, 0];
    const upB = bootstrapDifference(zeros, [0, 0, 0, 0, 0, 0, 0, 1], 4);
    expect(upB.mean).toBeCloseTo(0.125, 12);
    expect(upB.low).toBe(0);
    expect(upB.high).toBeGreaterThanOrEqual(0.25);
    const upA = bootstrapDifference([0, 0, 0, 0, 1], zeros, 4);
    expect(upA.mean).toBeCloseTo(-0.2, 12);
    expect(upA.high).toBe(0);
    expect(upA.low).toBeLessThanOrEqual(-0.4);
  });

  for (const [n, k] of [[100, 30], [400, 40], [60, 45]]) {
    it(`success rate ${k} of ${n}: contains the mean, centred on it, as wide as 2 × 1.96 √(p(1 − p)/n)`, () => {
      const xs = bernoulli(n, k);
      expect(xs.reduce((a, b) => a + b, 0)).toBe(k);
      const p = k / n;
      const e = bootstrapMean(xs, 7);
      expect(e.mean).toBeCloseTo(p, 12);
      expect(e.low).toBeLessThan(p);
      expect(e.high).toBeGreaterThan(p);
      // The normal approximation to the binomial; 2,000 resamples pin each end to about 1% of
      // the width, and steps of 1/n in the resampled means blur it a little more.
      const width = 2 * 1.96 * Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(e.high - e.low - width) / width).toBeLessThan(0.1);
      expect(Math.abs((e.low + e.high) / 2 - p)).toBeLessThan(0.1 * width);
      expect(bootstrapMean(xs, 7)).toEqual(e);
    });
  }

  it('a difference of two success rates is as wide as 2 × 1.96 √(pa(1 − pa)/na + pb(1 − pb)/nb)', () => {
    const a = bernoulli(80, 20), b = bernoulli(120, 60);
    const d = bootstrapDifference(a, b, 3);
    expect(d.mean).toBeCloseTo(0.25, 12);
    const width = 2 * 1.96 * Math.sqrt((0.25 * 0.75) / 80 + (0.5 * 0.5) / 120);
    expect(Math.abs(d.high - d.low - width) / width).toBeLessThan(0.1);
    expect(Math.abs((d.low + d.high) / 2 - 0.25)).toBeLessThan(0.1 * width);
    expect(d.significant).toBe(true);
    expect(bootstrapDifference(a, b, 3)).toEqual(d);
  });
});
