/**
 * The k nearest of a stream of candidates, kept sorted by squared distance in fixed buffers: an
 * insertion into a short list, nothing allocated per candidate. The features sensor and the
 * perceived env both fill their object slots from one.
 */
export class NearestList {
  /** Candidate indices, nearest first; the first `count` are valid */
  readonly index: Int32Array;
  /** Their squared distances */
  readonly d2: Float64Array;
  count = 0;

  constructor(readonly capacity: number) {
    this.index = new Int32Array(capacity);
    this.d2 = new Float64Array(capacity);
  }

  clear(): void {
    this.count = 0;
  }

  /** Offers candidate `i` at squared distance `d2`; it is kept when among the nearest so far */
  offer(i: number, d2: number): void {
    const n = this.capacity;
    if (n === 0 || (this.count === n && d2 >= this.d2[n - 1])) return;
    let k = this.count < n ? this.count++ : n - 1;
    while (k > 0 && this.d2[k - 1] > d2) {
      this.d2[k] = this.d2[k - 1];
      this.index[k] = this.index[k - 1];
      k--;
    }
    this.d2[k] = d2;
    this.index[k] = i;
  }
}
