/**
 * Checks of the actions given to `step()`. A continuous action is any array-like of numbers
 * (a plain array or any typed array); a discrete one is an integer. Each error says exactly what
 * was wrong: the type, the length, or which element is not a finite number.
 */

/** A short description of a value for an error message: its type and, where short, its value. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'number') return `${v}`;
  if (typeof v === 'bigint') return `the bigint ${v}n`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 17)}...` : v)}`;
  if (typeof v !== 'object') return `a ${typeof v}`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}${'length' in v ? ` of ${(v as unknown as ArrayLike<unknown>).length}` : ''}`;
  return `an object (${v.constructor?.name ?? 'no prototype'})`;
}

function show(a: ArrayLike<unknown>): string {
  const parts: string[] = [];
  for (let i = 0; i < Math.min(a.length, 8); i++) parts.push(typeof a[i] === 'number' ? String(a[i]) : describeValue(a[i]));
  return `[${parts.join(', ')}${a.length > 8 ? ', ...' : ''}]`;
}

/**
 * Throws unless `action` is an array-like of `names.length` finite numbers; `names` say what the
 * elements mean, e.g. ['steer', 'acceleration']. Bounds are not checked: the env clamps.
 */
export function assertBoxAction(action: unknown, names: readonly string[]): asserts action is ArrayLike<number> {
  const size = names.length;
  const expected = `${size} numbers [${names.join(', ')}]`;
  if (typeof action !== 'object' || action === null || typeof (action as { length?: unknown }).length !== 'number') {
    throw new TypeError(`action must be an array or typed array of ${expected}, got ${describeValue(action)}`);
  }
  const a = action as ArrayLike<unknown>;
  if (a.length !== size) throw new RangeError(`action must hold ${expected}, got ${a.length} value${a.length === 1 ? '' : 's'} ${show(a)}`);
  for (let i = 0; i < size; i++) {
    const v = a[i];
    if (typeof v !== 'number') throw new TypeError(`action[${i}] (${names[i]}) must be a number, got ${describeValue(v)}`);
    if (!Number.isFinite(v)) throw new RangeError(`action[${i}] (${names[i]}) must be finite, got ${v} in ${show(a)}`);
  }
}

/** Throws unless `action` is an integer in [0, n). */
export function assertDiscreteAction(action: unknown, n: number): asserts action is number {
  const expected = `an integer in [0, ${n}) for a Discrete(${n}) action space`;
  if (typeof action !== 'number') throw new TypeError(`action must be ${expected}, got ${describeValue(action)}`);
  if (!Number.isInteger(action)) throw new RangeError(`action must be ${expected}, got ${action}, which is not a whole number`);
  if (action < 0 || action >= n) throw new RangeError(`action must be ${expected}, got ${action}, which is out of range`);
}
