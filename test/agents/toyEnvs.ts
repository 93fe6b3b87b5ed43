/**
 * Small envs for learning tests, solvable in seconds. LaneKeepToy is a 1-D lane-keeping task: the
 * car drifts sideways at a rate drawn per episode and must steer back; reward 1 − |offset| per
 * step, the episode ends off the lane (|offset| > 1) or after 50 steps. Holding the centre earns
 * about 50; doing nothing leaves the lane within about 25 steps for most drifts.
 */
import { Box, Discrete, Dict } from '../../sim/env/spaces.ts';
import type { Env, ResetArgs, ResetResult, StepResult } from '../../sim/env/Env.ts';
import type { DrivingEnv } from '../../sim/env/DrivingEnv.ts';
import { Rng } from '../../sim/rng.ts';

export const TOY_STEPS = 50;

export class LaneKeepToy implements Env<Record<string, Float32Array>, Float32Array | number> {
  readonly observationSpace = new Dict({ state: new Box(-2, 2, [2]) });
  readonly actionSpace: Box | Discrete;
  private rng = Rng.seeded(0);
  private x = 0;
  private drift = 0;
  private t = 0;
  episodes = 0;

  constructor(readonly discrete: boolean) {
    this.actionSpace = discrete ? new Discrete(3) : new Box(-1, 1, [1]);
  }

  get unwrapped(): DrivingEnv {
    return this as unknown as DrivingEnv;
  }

  private observe(): Record<string, Float32Array> {
    return { state: Float32Array.of(this.x, this.drift * 10) };
  }

  reset(args: ResetArgs = {}): ResetResult<Record<string, Float32Array>> {
    if (args.seed !== undefined) this.rng = Rng.seeded(args.seed);
    this.drift = this.rng.uniform(-0.08, 0.08);
    this.x = this.rng.uniform(-0.3, 0.3);
    this.t = 0;
    this.episodes++;
    return { observation: this.observe(), info: {} };
  }

  step(action: Float32Array | number): StepResult<Record<string, Float32Array>> {
    const steer = this.discrete ? ((action as number) - 1) * 0.1 : Math.max(-1, Math.min(1, (action as Float32Array)[0])) * 0.1;
    this.x += this.drift + steer;
    this.t++;
    const off = Math.abs(this.x) > 1;
    const truncated = !off && this.t >= TOY_STEPS;
    const info: Record<string, unknown> = {};
    if (off) info.outcome = 'off-road';
    else if (truncated) info.outcome = 'goal';
    return { observation: this.observe(), reward: off ? -1 : 1 - Math.abs(this.x), terminated: off, truncated, info };
  }

  render(): null {
    return null;
  }

  close(): void {}
}

/** Mean return of `act` over `episodes` seeded episodes of a fresh toy */
export function toyReturn(discrete: boolean, act: (obs: Record<string, Float32Array>) => Float32Array | number, episodes = 20, firstSeed = 1_000_000): number {
  const env = new LaneKeepToy(discrete);
  let total = 0;
  for (let e = 0; e < episodes; e++) {
    let { observation } = env.reset({ seed: firstSeed + e });
    for (;;) {
      const r = env.step(act(observation));
      total += r.reward;
      observation = r.observation;
      if (r.terminated || r.truncated) break;
    }
  }
  return total / episodes;
}
