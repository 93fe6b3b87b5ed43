/**
 * The callbacks most runs want, as in Stable-Baselines3: periodic checkpoints, periodic evaluation
 * on held-out seeds (keeping the best policy), and stopping once a target is reached.
 */
import type { Env } from '../../sim/env/Env.ts';
import type { Action, Observation } from '../../sim/env/DrivingEnv.ts';
import type { Callback, TrainContext } from './callbacks.ts';
import type { Policy } from './Policy.ts';

/** Writes a resumable checkpoint into `dir` every `every` env steps and when training ends. */
export function checkpointCallback(dir: string, every: number): Callback {
  let last = 0;
  return {
    onTrainingStart: (ctx) => void (last = ctx.step),
    onStep: async (ctx) => {
      if (ctx.step - last < every) return;
      last = ctx.step;
      await ctx.checkpoint(dir);
    },
    onTrainingEnd: (ctx) => ctx.checkpoint(dir),
  };
}

export interface EvalResult {
  step: number;
  meanReturn: number;
  successRate: number;
  /** Mean fraction of the route driven */
  routeCompletion: number;
  episodes: number;
}

/** Runs `policy` deterministically on episodes of seeds `seeds` of `env`. */
export function evaluate(env: Env<Observation, Action>, policy: Policy<Observation, Action>, seeds: readonly number[]): Omit<EvalResult, 'step'> {
  let total = 0, successes = 0, completion = 0;
  for (const seed of seeds) {
    let { observation } = env.reset({ seed });
    policy.reset(seed);
    for (;;) {
      const r = env.step(policy.act(observation, { deterministic: true }));
      total += r.reward;
      observation = r.observation;
      if (r.terminated || r.truncated) {
        if (r.info.outcome === 'goal') successes++;
        const world = env.unwrapped.world;
        const goal = Math.min(world.goalS, world.route.length);
        completion += r.info.outcome === 'goal' ? 1 : Math.max(0, Math.min(1, world.egoState.s / goal));
        break;
      }
    }
  }
  const n = seeds.length;
  return { meanReturn: total / n, successRate: successes / n, routeCompletion: completion / n, episodes: n };
}

export interface EvalCallbackOptions {
  /** A separate env of the training scenario, stepped only by the evaluation */
  env: Env<Observation, Action>;
  /** Env steps between evaluations */
  every: number;
  /** Evaluation seeds, apart from the training ones (which start at 1,000,000) */
  seeds: readonly number[];
  /** Where the best policy so far is saved */
  bestDir?: string;
  /** Stop training once an evaluation's success rate reaches this */
  stopAtSuccessRate?: number;
  onResult?: (r: EvalResult) => void;
}

/** Evaluates every `every` steps; logs `eval/*`, saves the best policy, and may stop training. */
export function evalCallback(o: EvalCallbackOptions): Callback {
  let last = 0;
  let best = -Infinity;
  let reached = false;
  const run = async (ctx: TrainContext) => {
    const r = { step: ctx.step, ...evaluate(o.env, ctx.policy as Policy<Observation, Action>, o.seeds) };
    ctx.logger.record('eval/mean_reward', r.meanReturn);
    ctx.logger.record('eval/success_rate', r.successRate);
    ctx.logger.record('eval/route_completion', r.routeCompletion);
    o.onResult?.(r);
    // Success first, return to break ties: the policy a benchmark would rank first.
    const score = r.successRate * 1e6 + r.meanReturn;
    if (score > best) {
      best = score;
      if (o.bestDir) await ctx.policy.save(o.bestDir);
    }
    if (o.stopAtSuccessRate !== undefined && r.successRate >= o.stopAtSuccessRate) reached = true;
  };
  return {
    onTrainingStart: (ctx) => void (last = ctx.step),
    onStep: async (ctx) => {
      if (ctx.step - last >= o.every) {
        last = ctx.step;
        await run(ctx);
      }
      return !reached;
    },
  };
}

/** Stops training once `key`'s most recent logged value reaches `threshold` (e.g. rollout/success_rate ≥ 0.95). */
export function stopAtCallback(key: string, threshold: number): Callback {
  return {
    onStep: (ctx) => {
      const rows = ctx.logger.rows;
      const value = rows.length > 0 ? rows[rows.length - 1][key] : undefined;
      return !(value !== undefined && value >= threshold);
    },
  };
}
