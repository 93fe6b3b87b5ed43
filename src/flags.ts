/** Numbers given as command-line flags. */
import { UsageError } from './errors.ts';

/**
 * A flag's whole number in [min, max], digits only (Number() would take '' for 0, '0x10' for 16
 * and '1e3' for 1000); undefined when the flag is absent.
 */
export function wholeFlag(flag: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${flag} ${value}: expected a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}`);
  return n;
}
