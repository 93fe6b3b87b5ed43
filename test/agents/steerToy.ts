/**
 * A tiny lane-keeping env for the policy-gradient learning tests: a point car with lateral offset
 * x and heading h (relative to the lane), steered by a rate on h. Per step x ← x + 0.25·h and
 * h ← h + 0.25·steer (steer clipped to [−1, 1]); reward 1 − |x|; the episode ends off the lane
 * (|x| > 1) or after 40 steps. Starting offsets and headings are drawn per episode, so doing
 * nothing leaves the lane for most of them; steering both back to zero earns about 35.
 */
import { Box, Dict } from '../../sim/env/spaces.ts';
import type { Env, ResetArgs, ResetResult, StepResult } from '../../sim/env/Env.ts';
import type { DrivingEnv } from '../../sim/env/DrivingEnv.ts';
import { Rng } from '../../sim/rng.ts';

export const STEER_TOY_STEPS = 40;

type Obs = Record<string, Float32Array>;

export class SteerToy implements Env<Obs, Float32Array | number> {
  /** state: [offset, heading] */
  readonly observationSpace = new Dict({ state: new Box(-5, 5, [2]) });
  readonly actionSpace = new Box(-1, 1, [1]);
  private rng = Rng.seeded(0);
  private x = 0;
  private h = 0;
  private t = 0;

  get unwrapped(): DrivingEnv {
    return this as unknown as DrivingEnv;
  }

  reset(args: ResetArgs = {}): ResetResult<Obs> {
    if (args.seed !== undefined) this.rng = Rng.seeded(args.seed);
    this.x = this.rng.uniform(-0.5, 0.5);
    this.h = this.rng.uniform(-0.4, 0.4);
    this.t = 0;
    return { observation: { state: Float32Array.of(this.x, this.h) }, info: {} };
  }

  step(action: Float32Array | number): StepResult<Obs> {
    const steer = Math.max(-1, Math.min(1, (action as Float32Array)[0]));
    this.x += 0.25 * this.h;
    this.h += 0.25 * steer;
    this.t++;
    const off = Math.abs(this.x) > 1;
    const truncated = !off && this.t >= STEER_TOY_STEPS;
    const info: Record<string, unknown> = off ? { outcome: 'off-road' } : truncated ? { outcome: 'goal' } : {};
    return { observation: { state: Float32Array.of(this.x, this.h) }, reward: 1 - Math.abs(this.x), terminated: off, truncated, info };
  }

  render(): null {
    return null;
  }

  close(): void {}
}

/** Mean return of `act` over `episodes` episodes seeded from 1,000,000 up */
export function steerToyReturn(act: (obs: Obs) => Float32Array, episodes = 50): number {
  const env = new SteerToy();
  let total = 0;
  for (let e = 0; e < episodes; e++) {
    let { observation } = env.reset({ seed: 1_000_000 + e });
    for (;;) {
      const r = env.step(act(observation));
      total += r.reward;
      observation = r.observation;
      if (r.terminated || r.truncated) break;
    }
  }
  return total / episodes;
}
