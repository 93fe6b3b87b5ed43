/**
 * Observation normalisation as Stable-Baselines3's `VecNormalize(norm_obs=True)`: each feature is
 * shifted by its running mean and divided by its running standard deviation, then clipped. Driving
 * features differ in scale by two orders of magnitude (a heading error of a few hundredths next to
 * a lane offset near 1), and a policy whose inputs are near unit scale learns from all of them at
 * the same learning rate. The statistics are part of a checkpoint and of a saved policy: a policy
 * acts on the scale it was trained on.
 */
import type { NamedArray } from './arrayFile.ts';

export class ObservationNormalizer {
  readonly mean: Float64Array;
  readonly variance: Float64Array;
  /** Observations seen; starts at a tiny count so the first batch sets the statistics */
  count = 1e-4;
  /** 1/σ per feature, refreshed by each `normalize` */
  private readonly scale: Float64Array;

  constructor(readonly size: number, readonly clip = 10, readonly epsilon = 1e-8) {
    this.mean = new Float64Array(size);
    this.variance = new Float64Array(size).fill(1);
    this.scale = new Float64Array(size);
  }

  /** Folds `rows` observations, [rows, size] row-major, into the running statistics */
  update(obs: Float32Array, rows: number): void {
    const d = this.size;
    const mean = new Float64Array(d), variance = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      let m = 0;
      for (let i = 0; i < rows; i++) m += obs[i * d + j];
      m /= rows;
      let v = 0;
      for (let i = 0; i < rows; i++) v += (obs[i * d + j] - m) ** 2;
      mean[j] = m;
      variance[j] = v / rows;
    }
    this.merge(rows, mean, variance);
  }

  /** Folds in the statistics of `rows` observations seen elsewhere: their mean and population variance per feature */
  merge(rows: number, mean: ArrayLike<number>, variance: ArrayLike<number>): void {
    if (rows <= 0) return;
    if (mean.length !== this.size || variance.length !== this.size) throw new Error(`observation statistics: expected ${this.size} features, got ${mean.length}`);
    const total = this.count + rows;
    for (let j = 0; j < this.size; j++) {
      // Chan et al.'s parallel update of mean and variance.
      const delta = mean[j] - this.mean[j];
      this.mean[j] += (delta * rows) / total;
      this.variance[j] = (this.variance[j] * this.count + variance[j] * rows + (delta * delta * this.count * rows) / total) / total;
    }
    this.count = total;
  }

  /**
   * (x − mean)/√(var + ε), clipped to ±clip, from `src` into `out` (which may be `src`). The
   * statistics are read rounded to float32, as a saved policy stores them, so a policy acts the
   * same before saving and after loading.
   */
  normalize(src: Float32Array, rows: number, out: Float32Array = src): Float32Array {
    const d = this.size, c = this.clip;
    for (let j = 0; j < d; j++) this.scale[j] = 1 / Math.sqrt(Math.fround(this.variance[j]) + this.epsilon);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < d; j++) {
        const z = (src[i * d + j] - Math.fround(this.mean[j])) * this.scale[j];
        out[i * d + j] = z < -c ? -c : z > c ? c : z;
      }
    }
    return out;
  }

  arrays(prefix = 'obsNorm'): Record<string, NamedArray> {
    return {
      [`${prefix}/mean`]: { shape: [this.size], data: Float32Array.from(this.mean) },
      [`${prefix}/variance`]: { shape: [this.size], data: Float32Array.from(this.variance) },
      [`${prefix}/count`]: { shape: [1], data: Float32Array.of(this.count) },
    };
  }

  /**
   * The exact statistics, as JSON numbers: a checkpoint keeps the float64 values so a resumed run
   * normalises exactly as the run that wrote it (the float32 `arrays()` are what a policy needs).
   */
  state(): { mean: number[]; variance: number[]; count: number } {
    return { mean: [...this.mean], variance: [...this.variance], count: this.count };
  }

  restoreState(s: { mean: number[]; variance: number[]; count: number }): void {
    if (s.mean.length !== this.size || s.variance.length !== this.size) throw new Error(`observation statistics: expected ${this.size} features, got ${s.mean.length}`);
    this.mean.set(s.mean);
    this.variance.set(s.variance);
    this.count = s.count;
  }

  restore(read: (name: string, shape: readonly number[]) => Float32Array, prefix = 'obsNorm'): void {
    this.mean.set(read(`${prefix}/mean`, [this.size]));
    this.variance.set(read(`${prefix}/variance`, [this.size]));
    this.count = read(`${prefix}/count`, [1])[0];
  }
}
