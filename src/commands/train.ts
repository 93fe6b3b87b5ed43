/** `drivelab train` and `drivelab eval`. */
import { SingleBar } from 'cli-progress';
import type { Callback } from '../../agents/common/callbacks.ts';
import { BACKENDS, type BackendChoice } from '../../perception/runtime/backends.ts';
import { TimeLimit } from '../../sim/env/wrappers.ts';
import { DrivingEnv } from '../../sim/env/DrivingEnv.ts';
import { initPhysics } from '../../sim/world/physics.ts';
import { loadAgent, scenarioForRun } from '../agents.ts';
import { UsageError } from '../errors.ts';
import { wholeFlag } from '../flags.ts';
import type { CliIo } from '../io.ts';
import { requireNewOrEmpty, createOutputDir } from '../outputDir.ts';
import { parseSetFlags } from '../overrides.ts';
import { scenarioFromArg } from '../scenarioFiles.ts';
import { ALGORITHMS, type Algorithm } from '../train/algorithms.ts';

export interface TrainCliOptions {
  agent: string;
  scenario: string;
  steps?: string;
  envs?: string;
  seed: string;
  out?: string;
  resume?: boolean;
  set: string[];
  arg: string[];
  checkpointEvery?: string;
  evalEvery?: string;
  evalEpisodes: string;
  backend: string;
  /** commander's negation of --no-env-thread */
  envThread: boolean;
  queue?: string;
  rolloutJobs?: string;
  queueTimeout?: string;
  json?: boolean;
}

/** `--arg learningRate=1e-3 --arg hidden=[128,128]` into an arguments object (values are JSON, else strings) */
function parseArgFlags(flags: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new UsageError(`--arg ${flag}: expected name=value, e.g. --arg learningRate=0.001`);
    const raw = flag.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // A bare word stays a string; the agent's own check names what it expected.
    }
    out[flag.slice(0, eq)] = value;
  }
  return out;
}

/** Steps/s, the mean episode return and the last loss, on stderr when it is a terminal */
function progressCallback(stream: NodeJS.WriteStream | undefined): Callback[] {
  if (!stream) return [];
  const bar = new SingleBar({ stream, format: 'train {bar} {value}/{total} steps | {fps} steps/s | return {ret} | loss {loss} | ETA {eta_formatted}', hideCursor: true, etaBuffer: 50 }, undefined);
  let loss = NaN;
  let last = 0;
  const fields = (fps: number, ret: number) => ({ fps: Math.round(fps).toLocaleString('en-US'), ret: Number.isFinite(ret) ? ret.toFixed(1) : '–', loss: Number.isFinite(loss) ? loss.toFixed(3) : '–' });
  let t0 = 0, s0 = 0;
  return [{
    onTrainingStart: (ctx) => {
      t0 = performance.now();
      s0 = ctx.step;
      bar.start(ctx.totalSteps, ctx.step, fields(0, NaN));
    },
    onUpdate: (_ctx, m) => void (loss = m['train/loss'] ?? loss),
    onStep: (ctx) => {
      const now = performance.now();
      if (now - last < 200) return;
      last = now;
      const rows = ctx.logger.rows;
      bar.update(ctx.step, fields((ctx.step - s0) / ((now - t0) / 1000), rows.length > 0 ? rows[rows.length - 1]['rollout/ep_rew_mean'] : NaN));
    },
    onTrainingEnd: () => bar.stop(),
  }];
}

/** Returns 130 when Ctrl-C stopped training early (a checkpoint is written first). */
export async function trainCommand(opts: TrainCliOptions, io: CliIo): Promise<number> {
  if (!(ALGORITHMS as readonly string[]).includes(opts.agent)) throw new UsageError(`--agent ${opts.agent}: expected one of ${ALGORITHMS.join(', ')}`);
  if (!(BACKENDS as readonly string[]).includes(opts.backend)) throw new UsageError(`--backend ${opts.backend}: expected one of ${BACKENDS.join(', ')}`);
  const seed = wholeFlag('--seed', opts.seed, 0)!;
  const steps = wholeFlag('--steps', opts.steps, 1);
  const envs = wholeFlag('--envs', opts.envs, 1, 256);
  if (opts.agent === 'qlearning' && envs !== undefined && envs > 1) throw new UsageError(`--envs ${envs}: qlearning trains on one env`);
  const evalEpisodes = wholeFlag('--eval-episodes', opts.evalEpisodes, 0, 1000)!;
  const rolloutJobs = wholeFlag('--rollout-jobs', opts.rolloutJobs, 1, 256);
  if (opts.queueTimeout !== undefined && !opts.queue) throw new UsageError('--queue-timeout: only with --queue');
  const queueTimeout = opts.queueTimeout === undefined ? undefined : Number(opts.queueTimeout);
  if (queueTimeout !== undefined && !(queueTimeout >= 1 && queueTimeout <= 3600)) throw new UsageError(`--queue-timeout ${opts.queueTimeout}: expected seconds from 1 to 3600`);
  const queue = opts.queue === undefined ? undefined : (await import('../queue/url.ts')).parseQueueUrl(opts.queue);
  if ((queue || rolloutJobs !== undefined) && opts.agent !== 'ppo' && opts.agent !== 'reinforce') {
    throw new UsageError(`${queue ? '--queue' : '--rollout-jobs'}: ${opts.agent} learns off-policy, step by step; rollouts are for the on-policy agents, ppo and reinforce`);
  }
  if ((queue || rolloutJobs !== undefined) && opts.agent === 'reinforce' && envs !== undefined) {
    throw new UsageError(`--envs: with rollout jobs, reinforce plays --arg episodesPerBatch episodes (16) for each update, shared out among the jobs; leave out --envs`);
  }
  const out = opts.out ?? `runs/${opts.agent}-${opts.scenario.replace(/[^a-z0-9._-]+/gi, '_')}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  if (opts.resume && opts.out === undefined) throw new UsageError('--resume: expected --out <dir>, the run to continue');
  if (!opts.resume) requireNewOrEmpty('--out', out, 'this training run');
  const scenario = await scenarioFromArg(opts.scenario, parseSetFlags(opts.set));
  // A queue out of reach stops the run before it writes anything.
  if (queue) await (await import('../queue/submit.ts')).checkQueue(queue, queueTimeout === undefined ? undefined : queueTimeout * 1000);
  if (!opts.resume) createOutputDir('--out', out);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  let result;
  const { runTraining } = await import('../train/runTraining.ts');
  try {
    result = await runTraining({
      agent: opts.agent as Algorithm, scenario, steps, envs, seed, out, resume: Boolean(opts.resume), args: parseArgFlags(opts.arg),
      checkpointEvery: wholeFlag('--checkpoint-every', opts.checkpointEvery, 1), evalEvery: wholeFlag('--eval-every', opts.evalEvery, 0), evalEpisodes,
      backend: opts.backend as BackendChoice, envThread: opts.envThread, callbacks: progressCallback(io.progress), signal: abort.signal,
      rollouts: queue || rolloutJobs !== undefined ? { jobs: rolloutJobs, queue, goneMs: queueTimeout === undefined ? undefined : queueTimeout * 1000 } : undefined,
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  const v = result.validation;
  if (opts.json) {
    io.stdout(JSON.stringify(result) + '\n');
  } else {
    const resumed = result.sessionSteps < result.steps ? ` (${result.sessionSteps.toLocaleString('en-US')} in this session)` : '';
    io.stdout(`drivelab train · ${opts.agent} on ${result.scenario} · ${result.steps.toLocaleString('en-US')} steps${resumed}, ${result.episodes} episodes in ${result.seconds.toFixed(1)} s (${Math.round(result.sessionSteps / result.seconds)} steps/s, ${result.backend}${result.rollouts ? `, rollouts ${result.rollouts}` : ''})\n`);
    if (v.episodes > 0) io.stdout(`  validation (${v.episodes} seeds): success ${(100 * v.successRate).toFixed(0)}%, route completion ${(100 * v.routeCompletion).toFixed(0)}%, mean return ${v.meanReturn.toFixed(1)}\n`);
    io.stdout(`  policy, checkpoint, learning curve: ${out}/ (drivelab eval --agent ${out})\n`);
  }
  if (result.interrupted) {
    io.stderr(`interrupted at step ${result.steps}: continue with drivelab train --agent ${opts.agent} --out ${out} --resume${queue ? ' --queue <url>' : ''}\n`);
    return 130;
  }
  return 0;
}

export interface EvalCliOptions {
  agent: string;
  scenario?: string;
  episodes: string;
  firstSeed: string;
  set: string[];
  json?: boolean;
}

/** Deterministic episodes of a policy on test seeds: success, route completion, mean return. */
export async function evalCommand(opts: EvalCliOptions, io: CliIo): Promise<void> {
  const episodes = wholeFlag('--episodes', opts.episodes, 1, 100_000)!;
  const first = wholeFlag('--first-seed', opts.firstSeed, 0)!;
  const scenario = await scenarioForRun(opts.agent, opts.scenario, parseSetFlags(opts.set));
  await initPhysics();
  const env = new TimeLimit(new DrivingEnv(scenario), Math.round(scenario.limits.duration / scenario.sim.stepDt));
  const policy = await loadAgent(opts.agent, env);
  const seeds = Array.from({ length: episodes }, (_, i) => first + i);
  const t0 = performance.now();
  const { evaluate } = await import('../../agents/common/standardCallbacks.ts');
  const r = evaluate(env, policy, seeds);
  env.close();
  const seconds = (performance.now() - t0) / 1000;
  if (opts.json) {
    io.stdout(JSON.stringify({ agent: opts.agent, scenario: scenario.id, seeds: [first, first + episodes - 1], ...r, seconds }) + '\n');
    return;
  }
  io.stdout(`drivelab eval · ${opts.agent} on ${scenario.id} · seeds ${first}..${first + episodes - 1}\n`);
  io.stdout(`  success ${(100 * r.successRate).toFixed(1)}%   route completion ${(100 * r.routeCompletion).toFixed(1)}%   mean return ${r.meanReturn.toFixed(1)}   (${seconds.toFixed(1)} s)\n`);
}
