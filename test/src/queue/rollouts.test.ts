/**
 * `train --queue` with `drivelab worker` processes on a real Redis: the policy trained on workers
 * is bit for bit the one trained with the same rollout jobs in-process; a worker killed with
 * SIGKILL mid-rollout and a submitter interrupted mid-collection change nothing; what cannot run
 * on a queue is refused in one line.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivelab, STACK_FRAME } from '../drivelab.ts';
import { counts, freePort, REDIS_SERVER, run, startRedis, stop, until, untilAsync, worker, type RedisProcess } from './redis.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'drivelab-rollouts-'));

/** A short PPO run on lane-keep-curvy with 10 s episodes: 4 envs in 2 jobs, rollouts of 64 steps a lane */
const ppo = (out: string, ...extra: string[]) => [
  'train', '--agent', 'ppo', '--scenario', 'lane-keep-curvy', '--set', 'limits.duration=10', '--envs', '4', '--rollout-jobs', '2',
  '--arg', 'rolloutSteps=64', '--arg', 'minibatches=2', '--arg', 'epochs=2', '--arg', 'hidden=[16]',
  '--eval-episodes', '0', '--no-env-thread', '--out', out, ...extra,
];

const progress = (dir: string) => readFileSync(join(dir, 'progress.jsonl'), 'utf8').trim().split('\n').map((l) => {
  const { 'time/fps': _f, 'time/time_elapsed': _t, ...rest } = JSON.parse(l);
  return rest;
});
const weights = (dir: string) => readFileSync(join(dir, 'weights.bin'));

if (!REDIS_SERVER) console.warn('train --queue tests skipped: no redis-server (Debian package redis-server; .ci/run installs it)');

describe.skipIf(!REDIS_SERVER)('train on a queue', () => {
  let redis: RedisProcess;
  let reference: string;

  beforeAll(async () => {
    redis = await startRedis();
    reference = join(tmp(), 'here');
    const here = await drivelab(...ppo(reference, '--steps', '4000'));
    expect(here.code, here.stderr).toBe(0);
    expect(here.stdout).toMatch(/rollouts in-process/);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('trains on two workers to the policy the same rollout jobs give in-process, bit for bit', { timeout: 180_000 }, async () => {
    const a = worker(redis.url), b = worker(redis.url);
    try {
      await until('both workers to wait', () => /waiting for/.test(a.out) && /waiting for/.test(b.out));
      const out = join(tmp(), 'q');
      const r = await drivelab(...ppo(out, '--steps', '4000', '--queue', redis.url));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`rollouts queue ${redis.url}`));
      expect(weights(out).equals(weights(reference))).toBe(true);
      expect(progress(out)).toEqual(progress(reference));
      const record = JSON.parse(readFileSync(join(out, 'train.json'), 'utf8'));
      expect(record.rollouts).toMatchObject({ jobs: 2, queue: redis.url });
      // Both workers took rollout jobs; every job and snapshot was dropped from Redis once the learner had its trajectories.
      expect(await counts(redis.url)).toMatchObject({ waiting: 0, active: 0, completed: 0, failed: 0 });
      await until('the workers to log', () => /done rollout lane-keep-curvy/.test(a.err) && /done rollout lane-keep-curvy/.test(b.err), 10_000);
      const { Redis } = await import('ioredis');
      const client = new Redis(redis.port, '127.0.0.1');
      try {
        expect(await client.keys('drivelab:blob:*')).toEqual([]);
      } finally {
        client.disconnect();
      }
    } finally {
      await stop(a, b);
    }
  });

  it('reruns the rollout of a worker killed with SIGKILL on another worker, and learns the same', { timeout: 180_000 }, async () => {
    const own = await startRedis();
    const dir = tmp();
    // One collection of two long tasks (2 lanes × 600 steps each), so a task is in hand when the worker dies.
    const long = (out: string, ...extra: string[]) => ppo(out, '--steps', '1', '--arg', 'rolloutSteps=600', ...extra);
    const here = await drivelab(...long(join(dir, 'here')));
    expect(here.code, here.stderr).toBe(0);
    const first = worker(own.url);
    const submit = run(long(join(dir, 'q'), '--queue', own.url));
    let second: ReturnType<typeof worker> | null = null;
    try {
      await untilAsync('the first worker to hold a rollout', async () => (await counts(own.url)).active === 1);
      first.child.kill('SIGKILL');
      await first.exit;
      second = worker(own.url);
      expect(await submit.exit, submit.err).toBe(0);
      expect(weights(join(dir, 'q')).equals(weights(join(dir, 'here')))).toBe(true);
      expect(progress(join(dir, 'q'))).toEqual(progress(join(dir, 'here')));
      // The killed worker's task was found stalled (the queue's event stream says so) and run again by the second.
      const { Redis } = await import('ioredis');
      const client = new Redis(own.port, '127.0.0.1');
      try {
        const events = await client.xrange('drivelab:jobs:events', '-', '+');
        expect(events.filter(([, fields]) => fields[0] === 'event' && fields[1] === 'stalled').length).toBeGreaterThanOrEqual(1);
      } finally {
        client.disconnect();
      }
      expect(second!.err).toMatch(/^done rollout/m);
    } finally {
      await stop(first, submit, ...(second ? [second] : []));
      await own.stop();
    }
  });

  it('resumes a submitter interrupted mid-collection to the policy of a run never interrupted', { timeout: 180_000 }, async () => {
    const own = await startRedis();
    const out = join(tmp(), 'q');
    const w = worker(own.url);
    try {
      const submit = run(ppo(out, '--steps', '4000', '--queue', own.url));
      // Interrupt once a collection is counted and the next is under way (two jobs a collection).
      await until('three rollouts done', () => (w.err.match(/^done rollout/gm) ?? []).length >= 3, 60_000);
      submit.child.kill('SIGINT');
      expect(await submit.exit, submit.err).toBe(130);
      expect(submit.err).toMatch(/--resume --queue <url>/);
      // Stopped between collections: the checkpoint holds whole collections only, short of the end.
      const rows = readFileSync(join(out, 'progress.jsonl'), 'utf8').trim().split('\n');
      expect(JSON.parse(rows.at(-1)!)['time/total_timesteps']).toBeLessThan(4000);
      const resumed = await drivelab('train', '--agent', 'ppo', '--out', out, '--resume', '--queue', own.url, '--eval-episodes', '0', '--no-env-thread');
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(weights(out).equals(weights(reference))).toBe(true);
      // The interrupted run logged a row where it stopped; the last row counts the same steps and episodes.
      const last = (rows: Record<string, unknown>[]) => ({ steps: rows.at(-1)!['time/total_timesteps'], episodes: rows.at(-1)!['time/episodes'] });
      expect(last(progress(out))).toEqual(last(progress(reference)));
    } finally {
      await stop(w);
      await own.stop();
    }
  });

  it('stops with a clear error and a checkpoint when Redis goes away, and resumes in-process to the same policy', { timeout: 180_000 }, async () => {
    const own = await startRedis();
    const out = join(tmp(), 'q');
    const w = worker(own.url);
    const submit = run([...ppo(out, '--steps', '4000', '--queue', own.url, '--queue-timeout', '2')]);
    try {
      await until('three rollouts done', () => (w.err.match(/^done rollout/gm) ?? []).length >= 3, 60_000);
      await own.stop();
      expect(await submit.exit).toBe(1);
      const lines = submit.err.trim().split('\n').filter((l) => !/^\s*train /.test(l));
      expect(lines.at(-1)).toMatch(/^--queue redis:\/\/127\.0\.0\.1:\d+: Redis out of reach .*checkpoint.*--resume/);
      expect(submit.err).not.toMatch(STACK_FRAME);
      // Without --queue the run goes on with the same rollout jobs in this process.
      const resumed = await drivelab('train', '--agent', 'ppo', '--out', out, '--resume', '--eval-episodes', '0', '--no-env-thread');
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/rollouts in-process/);
      expect(weights(out).equals(weights(reference))).toBe(true);
    } finally {
      await stop(w, submit);
      await own.stop();
    }
  });

  it('refuses what cannot train on a queue in one line, before writing anything', async () => {
    const dir = tmp();
    const dqn = await drivelab('train', '--agent', 'dqn', '--queue', redis.url, '--out', join(dir, 'a'));
    expect(dqn.code).toBe(2);
    expect(dqn.stderr.trim()).toBe('--queue: dqn learns off-policy, step by step; rollouts are for the on-policy agents, ppo and reinforce');
    const bad = await drivelab('train', '--agent', 'ppo', '--queue', 'http://x', '--out', join(dir, 'b'));
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--queue/);
    const closed = await drivelab('train', '--agent', 'ppo', '--queue', `redis://127.0.0.1:${await freePort()}`, '--out', join(dir, 'c'));
    expect(closed.code).toBe(1);
    expect(closed.stderr.trim()).toMatch(/^--queue redis:\/\/127\.0\.0\.1:\d+: cannot reach Redis/);
    expect(closed.stderr).not.toMatch(STACK_FRAME);
    const timeout = await drivelab('train', '--agent', 'ppo', '--queue-timeout', '5', '--out', join(dir, 'd'));
    expect(timeout.code).toBe(2);
    expect(timeout.stderr.trim()).toBe('--queue-timeout: only with --queue');
    const envs = await drivelab('train', '--agent', 'reinforce', '--envs', '4', '--rollout-jobs', '2', '--out', join(dir, 'e'));
    expect(envs.code).toBe(2);
    expect(envs.stderr.trim()).toBe('--envs: with rollout jobs, reinforce plays --arg episodesPerBatch episodes (16) for each update, shared out among the jobs; leave out --envs');
    for (const d of ['a', 'b', 'c', 'd', 'e']) expect(() => readFileSync(join(dir, d, 'train.json'))).toThrow();
    // More jobs than envs: one env each, and the run records what it did.
    const many = await drivelab('train', '--agent', 'ppo', '--scenario', 'lane-keep-curvy', '--set', 'limits.duration=5', '--envs', '2', '--rollout-jobs', '9', '--steps', '1', '--arg', 'rolloutSteps=8', '--eval-episodes', '0', '--out', join(dir, 'f'));
    expect(many.code, many.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'f', 'train.json'), 'utf8')).rollouts).toEqual({ jobs: 2, queue: null });
  });
});
