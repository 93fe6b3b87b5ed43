/**
 * Schedules of a hyperparameter over training: exploration rates, learning rates, clip ranges.
 * Each maps the fraction of training done, in [0, 1], to a value.
 */

export type Schedule = (progress: number) => number;

const clamp01 = (p: number) => (p < 0 ? 0 : p > 1 ? 1 : p);

/** `start` at progress 0, straight down (or up) to `end` at `fraction`, then `end` */
export function linearSchedule(start: number, end: number, fraction = 1): Schedule {
  if (!(fraction > 0)) throw new RangeError(`fraction: expected a number above 0, got ${fraction}`);
  return (p) => start + (end - start) * Math.min(clamp01(p) / fraction, 1);
}

/** `start` at progress 0, geometric to `end` at `fraction`, then `end`; both must be above 0 */
export function exponentialSchedule(start: number, end: number, fraction = 1): Schedule {
  if (!(start > 0 && end > 0)) throw new RangeError(`an exponential schedule needs start and end above 0, got ${start} and ${end}`);
  if (!(fraction > 0)) throw new RangeError(`fraction: expected a number above 0, got ${fraction}`);
  return (p) => start * (end / start) ** Math.min(clamp01(p) / fraction, 1);
}

export const constantSchedule = (value: number): Schedule => () => value;
