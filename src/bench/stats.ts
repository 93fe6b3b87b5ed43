/**
 * Means with 95% percentile-bootstrap confidence intervals, from a seeded generator so that the
 * same results always give the same intervals.
 */
import { Rng } from '../../sim/rng.ts';

export interface Estimate {
  mean: number;
  /** 95% confidence interval of the mean */
  low: number;
  high: number;
  n: number;
}

const RESAMPLES = 2000;

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length ? s / xs.length : NaN;
}

function percentile(sorted: Float64Array, p: number): number {
  const i = (sorted.length - 1) * p;
  const lo = Math.floor(i), hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

/** Mean of `xs` with a 95% bootstrap CI. */
export function bootstrapMean(xs: readonly number[], seed = 0): Estimate {
  const n = xs.length;
  if (n === 0) return { mean: NaN, low: NaN, high: NaN, n };
  const m = mean(xs);
  if (n === 1) return { mean: m, low: m, high: m, n };
  const rng = Rng.seeded(seed);
  const means = new Float64Array(RESAMPLES);
  for (let r = 0; r < RESAMPLES; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[rng.int(0, n - 1)];
    means[r] = s / n;
  }
  means.sort();
  return { mean: m, low: percentile(means, 0.025), high: percentile(means, 0.975), n };
}

/**
 * Difference of means b − a with a 95% bootstrap CI, resampling each group independently.
 * Significant when the interval excludes zero.
 */
export function bootstrapDifference(a: readonly number[], b: readonly number[], seed = 0): Estimate & { significant: boolean } {
  const d = mean(b) - mean(a);
  if (a.length === 0 || b.length === 0) return { mean: NaN, low: NaN, high: NaN, n: 0, significant: false };
  const rng = Rng.seeded(seed);
  const diffs = new Float64Array(RESAMPLES);
  for (let r = 0; r < RESAMPLES; r++) {
    let sa = 0, sb = 0;
    for (let i = 0; i < a.length; i++) sa += a[rng.int(0, a.length - 1)];
    for (let i = 0; i < b.length; i++) sb += b[rng.int(0, b.length - 1)];
    diffs[r] = sb / b.length - sa / a.length;
  }
  diffs.sort();
  const low = percentile(diffs, 0.025), high = percentile(diffs, 0.975);
  return { mean: d, low, high, n: Math.min(a.length, b.length), significant: low > 0 || high < 0 };
}
