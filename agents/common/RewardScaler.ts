/**
 * Reward scaling as Stable-Baselines3's `VecNormalize(norm_reward=True)`: each reward is divided by
 * the running standard deviation of the discounted return, so value targets stay near unit scale
 * whatever the scenario's reward weights. The statistics are part of a checkpoint.
 */

export class RewardScaler {
  private mean = 0;
  private variance = 1;
  private count = 1e-4;
  private readonly returns: Float64Array;

  constructor(numEnvs: number, private readonly gamma: number) {
    this.returns = new Float64Array(numEnvs);
  }

  /** Scales `rewards` in place (one per env), updating the statistics; `done` resets an env's return */
  scale(rewards: Float32Array, terminated: ArrayLike<number>, truncated: ArrayLike<number>): void {
    const n = rewards.length;
    let batchMean = 0;
    for (let i = 0; i < n; i++) {
      this.returns[i] = this.returns[i] * this.gamma + rewards[i];
      batchMean += this.returns[i];
    }
    batchMean /= n;
    let batchVar = 0;
    for (let i = 0; i < n; i++) batchVar += (this.returns[i] - batchMean) ** 2;
    batchVar /= n;
    // Chan et al.'s parallel update of mean and variance.
    const total = this.count + n;
    const delta = batchMean - this.mean;
    this.mean += (delta * n) / total;
    this.variance = (this.variance * this.count + batchVar * n + (delta * delta * this.count * n) / total) / total;
    this.count = total;
    const std = Math.sqrt(this.variance + 1e-8);
    for (let i = 0; i < n; i++) {
      rewards[i] /= std;
      if (terminated[i] || truncated[i]) this.returns[i] = 0;
    }
  }

  /** Forgets the running returns (every episode was cut) */
  cut(): void {
    this.returns.fill(0);
  }

  state(): { mean: number; variance: number; count: number } {
    return { mean: this.mean, variance: this.variance, count: this.count };
  }

  restore(s: { mean: number; variance: number; count: number } | undefined): void {
    if (!s) return;
    this.mean = s.mean;
    this.variance = s.variance;
    this.count = s.count;
  }
}
