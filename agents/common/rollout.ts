/**
 * An on-policy rollout of T steps × K envs and what is computed over it: GAE(λ) advantages and
 * returns (Schulman et al. 2016), the next-step links within episodes, and the critic's explained
 * variance.
 */

/** One rollout of T steps × K envs, flattened row-major as [T, K, ...] */
export interface Rollout {
  obs: Float32Array;
  actions: Float32Array;
  logProbs: Float32Array;
  rewards: Float32Array;
  /** 1 where the step ended its episode in a terminal state */
  terminated: Float32Array;
  /** 1 where the step ended its episode by a time limit; its next value is bootstrapped */
  truncated: Float32Array;
  values: Float32Array;
  /** V(final observation) of truncated steps, else 0 */
  truncatedValues: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
}

/**
 * GAE(λ): δₜ = rₜ + γ·V(sₜ₊₁)·(1 − terminalₜ) − V(sₜ), Aₜ = δₜ + γλ·(1 − doneₜ)·Aₜ₊₁, with the
 * value of a time-limited step's final observation as its V(sₜ₊₁). Returns = A + V.
 */
export function computeGae(r: Pick<Rollout, 'rewards' | 'terminated' | 'truncated' | 'values' | 'truncatedValues' | 'advantages' | 'returns'>, T: number, K: number, lastValues: Float32Array, gamma: number, lambda: number): void {
  for (let i = 0; i < K; i++) {
    let next = 0;
    for (let t = T - 1; t >= 0; t--) {
      const k = t * K + i;
      const nextValue = r.truncated[k] ? r.truncatedValues[k] : r.terminated[k] ? 0 : t === T - 1 ? lastValues[i] : r.values[k + K];
      const delta = r.rewards[k] + gamma * nextValue - r.values[k];
      const continues = r.terminated[k] || r.truncated[k] ? 0 : 1;
      next = delta + gamma * lambda * continues * next;
      r.advantages[k] = next;
      r.returns[k] = next + r.values[k];
    }
  }
}

/** The row of the same env's next step in a [T, K] rollout, or −1 where the episode or the rollout ended */
export function nextRow(r: Pick<Rollout, 'terminated' | 'truncated'>, row: number, K: number): number {
  const next = row + K;
  return next < r.terminated.length && !r.terminated[row] && !r.truncated[row] ? next : -1;
}

/** 1 − Var(returns − values)/Var(returns): how much of the returns the critic explains */
export function explainedVariance(values: Float32Array, returns: Float32Array): number {
  let mr = 0, md = 0;
  const n = returns.length;
  for (let i = 0; i < n; i++) { mr += returns[i]; md += returns[i] - values[i]; }
  mr /= n; md /= n;
  let vr = 0, vd = 0;
  for (let i = 0; i < n; i++) { vr += (returns[i] - mr) ** 2; vd += (returns[i] - values[i] - md) ** 2; }
  return vr === 0 ? 0 : 1 - vd / vr;
}
