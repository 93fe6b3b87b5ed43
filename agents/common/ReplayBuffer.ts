/**
 * Experience replay on typed arrays: a ring of (observation, action, reward, next observation,
 * terminated) rows. Sampling writes a minibatch into preallocated arrays, so a step allocates
 * nothing. `next` is stored per row rather than shared with the following row, so rows from
 * several envs and episode ends need no bookkeeping.
 */
import type { Rng } from '../../sim/rng.ts';

export interface Batch {
  observations: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  nextObservations: Float32Array;
  /** 1 where the episode ended in a terminal state (no bootstrap), else 0; truncation is not terminal */
  terminated: Float32Array;
  /** γ^k of each row: the discount of its bootstrap after k rewards (n-step returns) */
  discounts: Float32Array;
}

export class ReplayBuffer {
  readonly observations: Float32Array;
  readonly actions: Float32Array;
  readonly rewards: Float32Array;
  readonly nextObservations: Float32Array;
  readonly terminated: Float32Array;
  readonly discounts: Float32Array;
  /** Next row to write */
  position = 0;
  /** Rows filled so far, up to `capacity` */
  size = 0;

  constructor(readonly capacity: number, readonly observationSize: number, readonly actionSize = 1) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`buffer size: expected a whole number ≥ 1, got ${capacity}`);
    this.observations = new Float32Array(capacity * observationSize);
    this.nextObservations = new Float32Array(capacity * observationSize);
    this.actions = new Float32Array(capacity * actionSize);
    this.rewards = new Float32Array(capacity);
    this.terminated = new Float32Array(capacity);
    this.discounts = new Float32Array(capacity);
  }

  /** Adds one row; `obs` and `next` are read from `offset` of their arrays */
  add(obs: Float32Array, action: number | ArrayLike<number>, reward: number, next: Float32Array, terminated: boolean, discount: number, offset = 0): void {
    const i = this.position, d = this.observationSize;
    this.observations.set(obs.subarray(offset, offset + d), i * d);
    this.nextObservations.set(next.subarray(offset, offset + d), i * d);
    if (typeof action === 'number') this.actions[i * this.actionSize] = action;
    else for (let k = 0; k < this.actionSize; k++) this.actions[i * this.actionSize + k] = action[k];
    this.rewards[i] = reward;
    this.terminated[i] = terminated ? 1 : 0;
    this.discounts[i] = discount;
    this.position = (i + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** A batch buffer of `n` rows to pass to `sample` */
  batch(n: number): Batch {
    return {
      observations: new Float32Array(n * this.observationSize),
      actions: new Float32Array(n * this.actionSize),
      rewards: new Float32Array(n),
      nextObservations: new Float32Array(n * this.observationSize),
      terminated: new Float32Array(n),
      discounts: new Float32Array(n),
    };
  }

  /** Fills `out` with rows drawn uniformly, with replacement, from `rng` */
  sample(rng: Rng, out: Batch): void {
    if (this.size === 0) throw new Error('cannot sample an empty replay buffer');
    const n = out.rewards.length, d = this.observationSize, a = this.actionSize;
    for (let k = 0; k < n; k++) {
      const i = rng.int(0, this.size - 1);
      out.observations.set(this.observations.subarray(i * d, (i + 1) * d), k * d);
      out.nextObservations.set(this.nextObservations.subarray(i * d, (i + 1) * d), k * d);
      for (let j = 0; j < a; j++) out.actions[k * a + j] = this.actions[i * a + j];
      out.rewards[k] = this.rewards[i];
      out.terminated[k] = this.terminated[i];
      out.discounts[k] = this.discounts[i];
    }
  }

  /** The filled rows and the ring position, for a checkpoint */
  arrays(): Record<string, Float32Array> {
    const n = this.size, d = this.observationSize, a = this.actionSize;
    return {
      observations: this.observations.subarray(0, n * d),
      nextObservations: this.nextObservations.subarray(0, n * d),
      actions: this.actions.subarray(0, n * a),
      rewards: this.rewards.subarray(0, n),
      terminated: this.terminated.subarray(0, n),
      discounts: this.discounts.subarray(0, n),
      position: Float32Array.of(this.position),
    };
  }

  /** Restores `arrays()`; the sizes must fit this buffer */
  restore(saved: Record<string, Float32Array>): void {
    const n = saved.rewards?.length ?? -1;
    if (n < 0 || n > this.capacity) throw new Error(`replay buffer: the checkpoint holds ${n} rows, this buffer ${this.capacity}`);
    for (const key of ['observations', 'nextObservations', 'actions', 'rewards', 'terminated', 'discounts'] as const) {
      const width = key === 'observations' || key === 'nextObservations' ? this.observationSize : key === 'actions' ? this.actionSize : 1;
      const arr = saved[key];
      if (!arr || arr.length !== n * width) throw new Error(`replay buffer: ${key} holds ${arr?.length ?? 0} numbers, expected ${n * width}`);
      this[key].set(arr);
    }
    this.size = n;
    this.position = saved.position?.[0] ?? n % this.capacity;
  }
}
