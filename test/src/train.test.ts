import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drivelab, STACK_FRAME } from './drivelab.ts';
import { INFO, REINFORCE_BATCH, runTraining } from '../../src/train/runTraining.ts';
import { DEFAULT_DQN } from '../../agents/dqn.ts';
import { DEFAULT_PPO } from '../../agents/ppo.ts';
import { DEFAULT_QLEARNING } from '../../agents/qlearning.ts';
import { DEFAULT_REINFORCE } from '../../agents/reinforce.ts';
import { resolveScenario } from '../../sim/env/registry.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'drivelab-train-'));
const TINY = ['--arg', 'learningStarts=100', '--arg', 'hidden=[16]', '--arg', 'batchSize=16', '--eval-episodes', '2', '--eval-every', '200', '--set', 'traffic.vehicles=4'];

describe('drivelab train, eval, and saved policies elsewhere', () => {
  it("keeps the CLI's defaults (run length, REINFORCE's batch) equal to each algorithm's own", () => {
    const defaults = { qlearning: DEFAULT_QLEARNING, dqn: DEFAULT_DQN, reinforce: DEFAULT_REINFORCE, ppo: DEFAULT_PPO };
    for (const [agent, d] of Object.entries(defaults)) expect(INFO[agent as keyof typeof INFO].steps, agent).toBe(d.totalSteps);
    // Rollout jobs share out REINFORCE's batch of episodes.
    expect(REINFORCE_BATCH).toBe(DEFAULT_REINFORCE.episodesPerBatch);
  });

  const dir = join(tmp(), 'dqn');

  it('trains DQN on highway and writes the policy, a checkpoint, progress rows and the learning curve', async () => {
    const r = await drivelab('train', '--agent', 'dqn', '--scenario', 'highway', '--steps', '400', '--out', dir, ...TINY);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/drivelab train · dqn on highway · 400 steps/);
    expect(r.stdout).toMatch(/validation \(2 seeds\): success \d+%/);
    for (const f of ['policy.json', 'weights.bin', 'checkpoint/checkpoint.json', 'checkpoint/checkpoint.bin', 'progress.csv', 'progress.jsonl', 'learning-curve.csv', 'learning-curve.svg', 'train.json', 'best/policy.json']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    expect(readFileSync(join(dir, 'learning-curve.svg'), 'utf8')).toMatch(/^<svg/);
    const curve = readFileSync(join(dir, 'learning-curve.csv'), 'utf8').trim().split('\n');
    expect(curve[0]).toBe('steps,ep_rew_mean,success_rate,eval_mean_reward,eval_success_rate,loss');
    expect(curve.at(-1)).toMatch(/^400,/);
    // Trained on meta-actions although the scenario's default is continuous control.
    expect(JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8')).actionSpace).toEqual({ type: 'discrete', n: 5 });
  });

  it('resumes from the checkpoint to a larger step count, keeping the earlier rows', async () => {
    const r = await drivelab('train', '--agent', 'dqn', '--out', dir, '--resume', '--steps', '600', '--eval-episodes', '0');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const steps = readFileSync(join(dir, 'progress.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)['time/total_timesteps']);
    expect(steps[0]).toBeLessThanOrEqual(400);
    expect(steps.at(-1)).toBe(600);
    expect(new Set(steps).size).toBe(steps.length);
  });

  it('evaluates, runs and benchmarks the saved policy on scenarios with continuous actions', async () => {
    const e = await drivelab('eval', '--agent', dir, '--scenario', 'highway', '--episodes', '2', '--json');
    expect(e.code).toBe(0);
    const result = JSON.parse(e.stdout);
    expect(result).toMatchObject({ agent: dir, scenario: 'highway', seeds: [1_000_000, 1_000_001], episodes: 2 });
    expect(result.successRate).toBeGreaterThanOrEqual(0);
    const run = await drivelab('run', '--agent', dir, '--scenario', 'lane-keep-curvy', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).agent).toBe('dqn');
    const bench = await drivelab('bench', '--agent', dir, '--suite', 'smoke', '--episodes', '1', '--workers', '1', '--out', join(tmp(), 'bench'), '--json');
    expect(bench.code).toBe(0);
    expect(JSON.parse(bench.stdout).overall.episodes).toBe(3);
  });

  it('trains the same policy with the envs in a worker thread as in this thread', async () => {
    const root = tmp();
    const args = ['train', '--agent', 'dqn', '--steps', '300', ...TINY, '--eval-episodes', '0'];
    expect((await drivelab(...args, '--out', join(root, 'worker'))).code).toBe(0);
    expect((await drivelab(...args, '--out', join(root, 'here'), '--no-env-thread')).code).toBe(0);
    expect(readFileSync(join(root, 'worker', 'weights.bin')).equals(readFileSync(join(root, 'here', 'weights.bin')))).toBe(true);
  });

  it('stops on an interrupt with a checkpoint and the policy so far, and resumes from there', async () => {
    const out = join(tmp(), 'interrupted');
    const abort = new AbortController();
    const scenario = resolveScenario('highway', { traffic: { vehicles: 4 } });
    const base = { agent: 'dqn' as const, scenario, seed: 0, out, args: { learningStarts: 100, hidden: [16], batchSize: 16 }, evalEpisodes: 0, envThread: false };
    const r = await runTraining({ ...base, steps: 2_000, resume: false, signal: abort.signal, callbacks: [{ onStep: (ctx) => void (ctx.step === 250 && abort.abort()) }] });
    expect(r.interrupted).toBe(true);
    expect(r.steps).toBe(251);
    expect(JSON.parse(readFileSync(join(out, 'checkpoint', 'checkpoint.json'), 'utf8')).step).toBe(251);
    expect(existsSync(join(out, 'weights.bin'))).toBe(true);
    const more = await runTraining({ ...base, steps: 400, resume: true });
    expect(more.interrupted).toBe(false);
    expect(more.steps).toBe(400);
  });

  it('resumes a Q-learning run without --scenario on the scenario it was trained on, and counts the rate over this session', async () => {
    const out = join(tmp(), 'q');
    expect((await drivelab('train', '--agent', 'qlearning', '--scenario', 'obstacle-avoidance', '--steps', '3000', '--eval-episodes', '1', '--out', out)).code).toBe(0);
    const r = await drivelab('train', '--agent', 'qlearning', '--steps', '6000', '--eval-episodes', '1', '--out', out, '--resume');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/qlearning on obstacle-avoidance · 6,000 steps \(3,000 in this session\)/);
    expect(r.stdout).toContain(`(drivelab eval --agent ${out})`);
    // The record keeps --steps: resuming without it goes no further than the run's own end.
    const again = await drivelab('train', '--agent', 'qlearning', '--eval-episodes', '1', '--out', out, '--resume');
    expect(again.stdout).toMatch(/qlearning on obstacle-avoidance · 6,000 steps \(0 in this session\)/);
    // Resumed as another agent, or from a damaged checkpoint: one line, exit 2.
    const other = await drivelab('train', '--agent', 'dqn', '--out', out, '--resume');
    expect([other.code, other.stderr.trim()]).toEqual([2, `--resume: ${out} was trained with --agent qlearning, not dqn`]);
    writeFileSync(join(out, 'checkpoint', 'train-state.json'), '{"step": 12}');
    const damaged = await drivelab('train', '--agent', 'qlearning', '--steps', '9000', '--out', out, '--resume');
    expect(damaged.code).toBe(2);
    expect(damaged.stderr).toMatch(/^--resume .*checkpoint: .*train-state\.json: /);
    expect(damaged.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('stops at Ctrl-C within a few steps even when nothing else lets the event loop run, and says how to resume', async () => {
    const out = join(tmp(), 'sigint');
    const root = join(import.meta.dirname, '../..');
    // 1M steps: checkpoints every 100,000, far beyond where the interrupt lands.
    const child = spawn(process.execPath, [join(root, 'bin/drivelab.mjs'), 'train', '--agent', 'qlearning', '--scenario', 'obstacle-avoidance', '--steps', '1000000', '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (existsSync(join(out, 'progress.jsonl'))) {
          clearInterval(poll);
          child.kill('SIGINT');
          resolve();
        }
      }, 20);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    const step = Number(/interrupted at step (\d+)/.exec(stderr)?.[1]);
    expect(step % 100_000, stderr).not.toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'checkpoint', 'train-state.json'), 'utf8')).step).toBe(step);
  }, 120_000);

  it('says in one line what is wrong with a bad flag, argument, run directory or weights file', async () => {
    const cases: [string[], RegExp][] = [
      [['train', '--agent', 'sarsa'], /--agent sarsa: expected one of qlearning, dqn, reinforce, ppo/],
      [['train', '--agent', 'dqn', '--out', join(tmp(), 'x'), '--arg', 'gamma=2', '--steps', '10'], /dqn args\.gamma: expected a number from 0 to 1, got 2/],
      [['train', '--agent', 'qlearning', '--out', join(tmp(), 'q'), '--arg', 'alpha=0', '--steps', '10'], /qlearning args\.alpha: expected a number above 0, at most 1, got 0/],
      [['train', '--agent', 'ppo', '--scenario', 'lane-keep-curvy', '--out', join(tmp(), 'p'), '--arg', 'actionScale=[0,1]', '--steps', '10'], /ppo args\.actionScale: expected a number above 0 and at most 1,000,000, or a list of them/],
      [['train', '--agent', 'ppo', '--scenario', 'lane-keep-curvy', '--out', join(tmp(), 'p2'), '--arg', 'actionScale=[0.25]', '--steps', '10'], /args\.actionScale: expected 2 numbers, one per action dimension, got 1/],
      [['train', '--agent', 'dqn', '--out', join(tmp(), 'd'), '--arg', 'bufferSize=1000000000000000', '--steps', '10'], /^--agent dqn: /],
      [['train', '--agent', 'dqn', '--out', join(tmp(), 'y'), '--arg', 'gama=0.9', '--steps', '10'], /dqn args\.gama: unknown argument/],
      [['train', '--agent', 'ppo', '--steps', '-5'], /--steps -5: expected a whole number from 1 up/],
      [['train', '--agent', 'dqn', '--out', tmp(), '--resume'], /--resume: .* has no checkpoint\/ to continue from/],
      [['train', '--agent', 'dqn', '--out', dir], /--out .*not empty|--out .*exists/],
    ];
    for (const [args, message] of cases) {
      const r = await drivelab(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(STACK_FRAME);
      // A run refused at the start leaves its --out empty, so the corrected command can use it.
      const out = args.indexOf('--out');
      if (out >= 0 && !args.includes('--resume') && args[out + 1] !== dir) expect(existsSync(args[out + 1]) ? readdirSync(args[out + 1]) : [], args.join(' ')).toEqual([]);
    }
    const ckpt = join(dir, 'checkpoint', 'checkpoint.bin');
    const bytes = readFileSync(ckpt);
    writeFileSync(ckpt, bytes.subarray(0, bytes.length >> 1));
    const resumed = await drivelab('train', '--agent', 'dqn', '--out', dir, '--resume', '--steps', '900');
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toMatch(/checkpoint\.bin: .*truncated/);
    expect(resumed.stderr.trim().split('\n')).toHaveLength(1);
    writeFileSync(join(dir, 'weights.bin'), 'garbage');
    const r = await drivelab('eval', '--agent', dir, '--episodes', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/weights\.bin: not a drivelab array file/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
