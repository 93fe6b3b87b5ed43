/**
 * `bench --queue` with `drivelab worker` processes on a real Redis: the same results as a local
 * run, episode by episode; nothing lost and nothing twice when a worker is killed, the submitter
 * is interrupted or Redis goes away; passwords never shown; TLS.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench, type BenchOptions } from '../../../src/bench/runner.ts';
import { ReportSchema } from '../../../src/bench/report.ts';
import { drivelab, STACK_FRAME } from '../drivelab.ts';
import { counts, OPENSSL, REDIS_SERVER, run, stalledJobs, startRedis, stop, until, untilAsync, worker, type RedisProcess } from './redis.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'drivelab-queue-'));

if (!REDIS_SERVER) console.warn('queue tests skipped: no redis-server (Debian package redis-server; .ci/run installs it)');

/** Two scenarios, short episodes: 5 jobs */
function suiteFile(dir: string, seeds = 3, duration = 6): string {
  const file = join(dir, 'tiny.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'id: tiny',
      'scenarios:',
      '  - scenario: highway',
      `    overrides: { traffic: { vehicles: 8 }, limits: { duration: ${duration} } }`,
      '  - scenario: intersection',
      '    overrides: { limits: { duration: 5 } }',
      `    episodes: ${Math.min(2, seeds)}`,
      `seeds: { train: [0, 99], test: [100, ${99 + seeds}] }`,
      `episodes: ${seeds}`,
    ].join('\n'),
  );
  return file;
}

const options = (suite: string, out: string, extra: Partial<BenchOptions> = {}): BenchOptions => ({ suite, agent: 'expert', detector: 'ground-truth', workers: 1, out, record: false, resume: false, ...extra });

/** Everything but timing */
const comparable = (rows: readonly Record<string, unknown>[]) => rows.map(({ wallTime: _w, stepsPerSecond: _s, ...rest }) => rest);

const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe.skipIf(!REDIS_SERVER)('bench on a queue', () => {
  let redis: RedisProcess;
  let local: Record<string, unknown>[];
  let suite: string;

  beforeAll(async () => {
    redis = await startRedis();
    const dir = tmp();
    suite = suiteFile(dir);
    local = comparable((await runBench(options(suite, join(dir, 'local')))).report.episodes);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('runs across two workers with the results of a local run, episode by episode', async () => {
    const a = worker(redis.url), b = worker(redis.url);
    try {
      await until('both workers to wait for episodes', () => /waiting for jobs/.test(a.out) && /waiting for jobs/.test(b.out));
      const dir = tmp();
      const outcome = await runBench(options(suite, join(dir, 'q'), { queue: redis.url }));
      expect(comparable(outcome.report.episodes)).toEqual(local);
      expect(ReportSchema.parse(JSON.parse(readFileSync(join(dir, 'q', 'report.json'), 'utf8'))).config.queue).toBe(`${redis.url}`);
      expect(lines(join(dir, 'q', 'episodes.jsonl'))).toHaveLength(5);
      // Each episode ran once, on one of the two workers (their logs may trail the results a little).
      const done = () => (`${a.err}${b.err}`.match(/^done /gm) ?? []).length;
      await until('the workers to log all five', () => done() >= 5, 10_000);
      expect(done()).toBe(5);
    } finally {
      await stop(a, b);
    }
  });

  it('sends a saved policy and brings recordings back', async () => {
    const a = worker(redis.url);
    try {
      const dir = tmp();
      const file = suiteFile(dir, 1);
      const here = await runBench(options(file, join(dir, 'here'), { agent: 'models/dqn-highway', record: true }));
      const there = await runBench(options(file, join(dir, 'there'), { agent: 'models/dqn-highway', record: true, queue: redis.url }));
      expect(comparable(there.report.episodes)).toEqual(comparable(here.report.episodes));
      const names = readdirSync(join(dir, 'here', 'records')).sort();
      expect(readdirSync(join(dir, 'there', 'records')).sort()).toEqual(names);
      for (const n of names) expect(readFileSync(join(dir, 'there', 'records', n)).length).toBeGreaterThan(100);
    } finally {
      await stop(a);
    }
  });

  it('reruns the episode of a worker killed with SIGKILL on another worker, and keeps each result once', async () => {
    const own = await startRedis();
    const dir = tmp();
    const slow = suiteFile(dir, 3, 60);
    const reference = comparable((await runBench(options(slow, join(dir, 'local')))).report.episodes);
    const first = worker(own.url);
    const submit = run(['bench', '--suite', slow, '--out', join(dir, 'q'), '--queue', own.url]);
    // Kill the first worker while it holds an episode.
    await untilAsync('the first worker to hold an episode', async () => (await counts(own.url)).active === 1);
    first.child.kill('SIGKILL');
    await first.exit;
    const killedAfter = first.err.match(/^done /gm)?.length ?? 0;
    const second = worker(own.url);
    try {
      expect(await submit.exit, submit.err).toBe(0);
      const results = lines(join(dir, 'q', 'episodes.jsonl'));
      expect(results.map((r) => r.key).sort()).toEqual(reference.map((r) => `${r.entry}:${r.episode}:ground-truth`).sort());
      expect(comparable(ReportSchema.parse(JSON.parse(readFileSync(join(dir, 'q', 'report.json'), 'utf8'))).episodes)).toEqual(reference);
      // The episode the first worker held when it died was found stalled and run again by the second.
      expect(killedAfter).toBeLessThan(5);
      expect(await stalledJobs(own.url)).toBe(1);
      await until('the second worker to log', () => (second.err.match(/^done /gm) ?? []).length >= 5 - killedAfter - 1, 10_000);
    } finally {
      await stop(second, submit);
      await own.stop();
    }
  });

  it('resumes an interrupted submitter: finished results are taken from the queue, nothing is run twice', async () => {
    const dir = tmp();
    const out = join(dir, 'q');
    // The submitter queues everything, then is interrupted before any worker runs.
    const own = await startRedis();
    const first = run(['bench', '--suite', suite, '--out', out, '--queue', own.url]);
    await untilAsync('the five episodes to be queued', async () => (await counts(own.url)).waiting === 5);
    first.child.kill('SIGINT');
    expect(await first.exit).toBe(130);
    expect(lines(join(out, 'episodes.jsonl'))).toHaveLength(0);
    // A worker runs the queued episodes while no submitter listens.
    const w = worker(own.url, ['--jobs', '5']);
    expect(await w.exit).toBe(0);
    expect(w.err.match(/^done /gm)).toHaveLength(5);
    // Resuming finds all five finished in the queue and queues none again.
    const resumed = await drivelab('bench', '--suite', suite, '--out', out, '--queue', own.url, '--resume', '--json');
    expect(resumed.code).toBe(0);
    expect(comparable(ReportSchema.parse(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))).episodes)).toEqual(local);
    expect(lines(join(out, 'episodes.jsonl'))).toHaveLength(5);
    expect(await counts(own.url)).toMatchObject({ waiting: 0, active: 0, completed: 5 });
    await own.stop();
  });

  it('fails a job a worker cannot run once, with the reason, and the submitter prints it', async () => {
    const own = await startRedis();
    const dir = tmp();
    const submit = run(['bench', '--suite', suiteFile(dir, 1), '--agent', 'models/dqn-highway', '--out', join(dir, 'q'), '--queue', own.url]);
    await untilAsync('the episodes to be queued', async () => (await counts(own.url)).waiting === 2);
    // The packed policy disappears from Redis (as when it expired): no worker can load it.
    const { Redis } = await import('ioredis');
    const client = new Redis(own.port, '127.0.0.1');
    for (const key of await client.keys('drivelab:blob:*')) await client.del(key);
    client.disconnect();
    // A worker whose machine has not unpacked this policy before (its cache lives in the temp dir).
    const w = worker(own.url, [], { TMPDIR: tmp() });
    try {
      expect(await submit.exit).toBe(2);
      const errors = submit.err.trim().split('\n');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^worker [^ ]+:\d+: --agent models\/dqn-highway: policy [0-9a-f]{12}: not in Redis/);
      expect(submit.err).not.toMatch(STACK_FRAME);
      // Each job failed on its first try and was not tried again.
      await untilAsync('both jobs to fail', async () => (await counts(own.url)).failed === 2);
      expect(await counts(own.url)).toMatchObject({ waiting: 0, delayed: 0, active: 0, completed: 0 });
      expect(w.err.match(/^failed /gm)).toHaveLength(2);
    } finally {
      await stop(w);
      await own.stop();
    }
  });

  it('stops with a clear error when Redis goes away, keeping and reporting what finished', async () => {
    const own = await startRedis();
    const dir = tmp();
    const out = join(dir, 'q');
    const w = worker(own.url);
    const submit = run(['bench', '--suite', suiteFile(dir, 3, 30), '--out', out, '--queue', own.url, '--queue-timeout', '2']);
    await until('one episode to finish', () => existsSync(join(out, 'episodes.jsonl')) && lines(join(out, 'episodes.jsonl')).length >= 1);
    await own.stop();
    const code = await submit.exit;
    await stop(w);
    expect(code).toBe(1);
    const message = submit.err.trim().split('\n').filter((l) => !/^bench /.test(l));
    expect(message).toHaveLength(1);
    const finished = lines(join(out, 'episodes.jsonl')).length;
    expect(message[0]).toMatch(new RegExp(`^--queue redis://127\\.0\\.0\\.1:${own.port}: Redis out of reach for \\d+ s \\(.*\\); ${finished} of 5 episodes finished and are kept in ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; run again with --resume`));
    expect(submit.err).not.toMatch(STACK_FRAME);
    expect(ReportSchema.parse(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))).episodes).toHaveLength(finished);
  });

  it('refuses a bad queue URL in one line, exit code 2, without showing its password', async () => {
    for (const [url, message] of [
      ['http://127.0.0.1:6379', /^--queue http:\/\/127\.0\.0\.1:6379\/: unknown scheme "http"; expected redis:\/\//],
      ['redis://:hunter2@127.0.0.1:99999', /^--queue redis:\/\/\*\*\*@127\.0\.0\.1:99999: not a URL;/],
      ['redis://:hunter2@127.0.0.1:6379/x', /^--queue redis:\/\/:\*\*\*@127\.0\.0\.1:6379\/x: database "x": expected a number/],
      ['not a url', /^--queue not a url: not a URL; expected/],
    ] as const) {
      const r = await drivelab('bench', '--queue', url, '--out', join(tmp(), 'never'));
      expect(r.code, url).toBe(2);
      expect(r.stderr.trim().split('\n'), url).toHaveLength(1);
      expect(r.stderr, url).toMatch(message);
      expect(r.stderr).not.toMatch(/hunter2/);
      const w = await drivelab('worker', '--queue', url);
      expect(w.code, url).toBe(2);
      expect(w.stderr).not.toMatch(/hunter2/);
    }
  });

  it('works with a password, and never writes it: not in output, logs, run.json or report.json', async () => {
    const secret = 'pa55-w0rd-xyz';
    const guarded = await startRedis(['--requirepass', secret]);
    const url = `redis://:${secret}@127.0.0.1:${guarded.port}`;
    const w = worker(url);
    try {
      const dir = tmp();
      const r = run(['bench', '--suite', suiteFile(dir, 1), '--out', join(dir, 'q'), '--queue', url]);
      expect(await r.exit).toBe(0);
      for (const text of [r.out, r.err, w.out, w.err, readFileSync(join(dir, 'q', 'run.json'), 'utf8'), readFileSync(join(dir, 'q', 'report.json'), 'utf8'), readFileSync(join(dir, 'q', 'report.md'), 'utf8')]) {
        expect(text).not.toContain(secret);
      }
      expect(readFileSync(join(dir, 'q', 'run.json'), 'utf8')).toContain(`redis://:***@127.0.0.1:${guarded.port}`);
      // A wrong password: one line, the password not shown.
      const wrong = await drivelab('bench', '--suite', suiteFile(dir, 1), '--out', join(dir, 'x'), '--queue', `redis://:wrong-secret@127.0.0.1:${guarded.port}`, '--queue-timeout', '2');
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
      expect(wrong.stderr).not.toMatch(/wrong-secret/);
      expect(wrong.stderr).not.toMatch(STACK_FRAME);
    } finally {
      await stop(w);
      await guarded.stop();
    }
  });

  it.skipIf(!OPENSSL)('works over TLS (rediss://) with a certificate the machine trusts', async () => {
    const dir = tmp();
    const sh = (args: string[]) => expect(spawnSync('openssl', args, { cwd: dir }).status).toBe(0);
    sh(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=drivelab test CA']);
    sh(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost\n');
    sh(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf']);
    const port = (await import('./redis.ts')).freePort;
    const tlsPort = await port();
    const secure = await startRedis(['--port', '0', '--tls-port', String(tlsPort), '--tls-cert-file', join(dir, 'server.pem'), '--tls-key-file', join(dir, 'server.key'), '--tls-ca-cert-file', join(dir, 'ca.pem'), '--tls-auth-clients', 'no']);
    const url = `rediss://localhost:${tlsPort}`;
    const env = { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') };
    const w = worker(url, [], env);
    try {
      const r = run(['bench', '--suite', suiteFile(dir, 1), '--out', join(dir, 'q'), '--queue', url], env);
      expect(await r.exit, r.err).toBe(0);
      expect(lines(join(dir, 'q', 'episodes.jsonl'))).toHaveLength(2);
      expect(w.err).toMatch(/^done /m);
    } finally {
      await stop(w);
      await secure.stop();
    }
  });
});
