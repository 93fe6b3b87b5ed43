/**
 * A constant-velocity Kalman filter in the plane, for tracking: state [x, y, vx, vy] in world
 * coordinates [m, m/s], position measurements. The process noise is white acceleration of
 * spectral density q [m²/s³] on each axis (Bar-Shalom's continuous white-noise model), so
 * Q = q·[[dt³/3, dt²/2], [dt²/2, dt]] per axis. Matrices are row-major Float64Arrays; 4×4 and
 * 2×2 are written out, as a tracker runs thousands of these a second.
 */

/** Scratch matrices shared by every filter: a step allocates nothing */
const FP = new Float64Array(16), K = new Float64Array(8), NEXT = new Float64Array(16);

export class ConstantVelocityKalman {
  /** [x, y, vx, vy] */
  readonly x = new Float64Array(4);
  /** 4×4 covariance, row-major */
  readonly P = new Float64Array(16);

  /** Starts at `position` with velocity `velocity` (default 0) and standard deviations `posStd`, `velStd` */
  constructor(position: readonly [number, number], posStd: number, velStd: number, readonly q: number, velocity: readonly [number, number] = [0, 0]) {
    this.x.set([position[0], position[1], velocity[0], velocity[1]]);
    this.P[0] = this.P[5] = posStd * posStd;
    this.P[10] = this.P[15] = velStd * velStd;
  }

  /** x ← F x, P ← F P Fᵀ + Q over `dt` seconds */
  predict(dt: number): void {
    const x = this.x, P = this.P;
    x[0] += dt * x[2];
    x[1] += dt * x[3];
    // F = [[I, dt·I], [0, I]]: P ← F P Fᵀ, block by block on each axis pair.
    const n = 4;
    for (let j = 0; j < n; j++) {
      FP[0 * n + j] = P[0 * n + j] + dt * P[2 * n + j];
      FP[1 * n + j] = P[1 * n + j] + dt * P[3 * n + j];
      FP[2 * n + j] = P[2 * n + j];
      FP[3 * n + j] = P[3 * n + j];
    }
    for (let i = 0; i < n; i++) {
      P[i * n + 0] = FP[i * n + 0] + dt * FP[i * n + 2];
      P[i * n + 1] = FP[i * n + 1] + dt * FP[i * n + 3];
      P[i * n + 2] = FP[i * n + 2];
      P[i * n + 3] = FP[i * n + 3];
    }
    const q = this.q, pp = (q * dt ** 3) / 3, pv = (q * dt ** 2) / 2, vv = q * dt;
    P[0] += pp; P[5] += pp; P[10] += vv; P[15] += vv;
    P[2] += pv; P[8] += pv; P[7] += pv; P[13] += pv;
  }

  /** The innovation covariance S = H P Hᵀ + R for a position measurement with covariance `r` (2×2, row-major) */
  private innovationCovariance(r: ArrayLike<number>): [number, number, number, number] {
    const P = this.P;
    return [P[0] + r[0], P[1] + r[1], P[4] + r[2], P[5] + r[3]];
  }

  /** Squared Mahalanobis distance of position `z` from the predicted position: for gating */
  mahalanobis2(z: readonly [number, number], r: ArrayLike<number>): number {
    const [a, b, c, d] = this.innovationCovariance(r);
    const det = a * d - b * c;
    const dx = z[0] - this.x[0], dy = z[1] - this.x[1];
    return (d * dx * dx - (b + c) * dx * dy + a * dy * dy) / det;
  }

  /** The update with position `z` of covariance `r`: K = P Hᵀ S⁻¹, x ← x + K (z − H x), P ← (I − K H) P */
  update(z: readonly [number, number], r: ArrayLike<number>): void {
    const [a, b, c, d] = this.innovationCovariance(r);
    const det = a * d - b * c;
    const si = [d / det, -b / det, -c / det, a / det];
    const P = this.P, x = this.x;
    // P Hᵀ is P's first two columns; K = (P Hᵀ) S⁻¹, 4×2.
    for (let i = 0; i < 4; i++) {
      K[i * 2] = P[i * 4] * si[0] + P[i * 4 + 1] * si[2];
      K[i * 2 + 1] = P[i * 4] * si[1] + P[i * 4 + 1] * si[3];
    }
    const dx = z[0] - x[0], dy = z[1] - x[1];
    for (let i = 0; i < 4; i++) x[i] += K[i * 2] * dx + K[i * 2 + 1] * dy;
    // (I − K H) P: H P is P's first two rows.
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) NEXT[i * 4 + j] = P[i * 4 + j] - K[i * 2] * P[j] - K[i * 2 + 1] * P[4 + j];
    // Symmetrised against round-off.
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) P[i * 4 + j] = 0.5 * (NEXT[i * 4 + j] + NEXT[j * 4 + i]);
  }
}
