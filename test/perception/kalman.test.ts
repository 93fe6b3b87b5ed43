import { describe, expect, it } from 'vitest';
import { ConstantVelocityKalman } from '../../perception/fusion/kalman.ts';
import { Rng } from '../../sim/rng.ts';

const at = (P: Float64Array, i: number, j: number) => P[i * 4 + j];

describe('constant-velocity Kalman filter', () => {
  it('predicts by x + v·dt and F P Fᵀ + Q, checked by hand', () => {
    // No process noise: σx = 1, σv = 2, dt = 2 gives Pxx = 1 + 4·4 = 17 and Pxv = 2·4 = 8.
    const k = new ConstantVelocityKalman([1, 2], 1, 2, 0, [3, -1]);
    k.predict(2);
    expect(Array.from(k.x)).toEqual([7, 0, 3, -1]);
    expect([at(k.P, 0, 0), at(k.P, 0, 2), at(k.P, 2, 0), at(k.P, 2, 2), at(k.P, 1, 1), at(k.P, 1, 3), at(k.P, 0, 1)]).toEqual([17, 8, 8, 4, 17, 8, 0]);
    // From certainty, one step adds exactly Q: q dt³/3, q dt²/2, q dt.
    const q = new ConstantVelocityKalman([0, 0], 0, 0, 0.6);
    q.predict(0.5);
    expect(at(q.P, 0, 0)).toBeCloseTo((0.6 * 0.125) / 3, 15);
    expect(at(q.P, 1, 3)).toBeCloseTo((0.6 * 0.25) / 2, 15);
    expect(at(q.P, 3, 1)).toBeCloseTo((0.6 * 0.25) / 2, 15);
    expect(at(q.P, 0, 2)).toBeCloseTo((0.6 * 0.25) / 2, 15);
    expect(at(q.P, 2, 0)).toBeCloseTo((0.6 * 0.25) / 2, 15);
    expect(at(q.P, 3, 3)).toBeCloseTo(0.3, 15);
  });

  it('updates halfway between prediction and measurement when their variances are equal', () => {
    const k = new ConstantVelocityKalman([0, 0], 1, 1, 0);
    const R = [1, 0, 0, 1];
    expect(k.mahalanobis2([2, 0], R)).toBeCloseTo(2, 12); // 2² / (1 + 1)
    // Correlated noise: S = [[2, 0.5], [0.5, 2]], and (1, 1) S⁻¹ (1, 1)ᵀ = 2 / 2.5.
    expect(k.mahalanobis2([1, 1], [1, 0.5, 0.5, 1])).toBeCloseTo(0.8, 12);
    k.update([2, 0], R);
    expect(k.x[0]).toBeCloseTo(1, 12);
    expect(at(k.P, 0, 0)).toBeCloseTo(0.5, 12);
    expect(k.x[2]).toBe(0); // no correlation yet between position and velocity
  });

  it('tracks a constant-velocity target from noisy positions, and its covariance is honest (NEES averages 4 over runs)', () => {
    const sigma = 0.5, R = [sigma ** 2, 0, 0, sigma ** 2], v = [12, -3], dt = 0.1, runs = 200, steps = 100;
    let nees = 0, velocityError = 0;
    for (let run = 0; run < runs; run++) {
      const rng = Rng.seeded(run);
      // The target has no acceleration; a filter told so (q near 0) must be neither over- nor under-confident.
      const k = new ConstantVelocityKalman([0, 0], 2, 10, 1e-9);
      for (let t = 1; t <= steps; t++) {
        k.predict(dt);
        k.update([v[0] * t * dt + sigma * rng.normal(), v[1] * t * dt + sigma * rng.normal()], R);
      }
      const e = [k.x[0] - v[0] * steps * dt, k.x[1] - v[1] * steps * dt, k.x[2] - v[0], k.x[3] - v[1]];
      nees += quadraticForm(k.P, e) / runs;
      velocityError += Math.hypot(e[2], e[3]) / runs;
    }
    // χ² with 4 degrees of freedom: mean 4, and the mean of 200 has a standard deviation of 0.2.
    expect(nees).toBeGreaterThan(3.3);
    expect(nees).toBeLessThan(4.7);
    // Least squares over 10 s of 0.5 m noise: about 0.05 m/s per axis.
    expect(velocityError).toBeLessThan(0.15);
  });
});

/** eᵀ P⁻¹ e by Gaussian elimination on a copy of P */
function quadraticForm(P: Float64Array, e: number[]): number {
  const n = e.length, a = Array.from({ length: n }, (_, i) => [...Array.from(P.subarray(i * n, i * n + n)), e[i]]);
  for (let c = 0; c < n; c++) {
    for (let r = c + 1; r < n; r++) {
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= n; k++) a[r][k] -= f * a[c][k];
    }
  }
  const y = new Array<number>(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = a[r][n];
    for (let k = r + 1; k < n; k++) s -= a[r][k] * y[k];
    y[r] = s / a[r][r];
  }
  return e.reduce((s, v, i) => s + v * y[i], 0);
}
