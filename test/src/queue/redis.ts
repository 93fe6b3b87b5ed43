/**
 * What queue tests share: a Redis server (Debian's redis-server on a free loopback port, no
 * persistence; `.ci/run` installs it, and where it is missing the tests say so and skip), drivelab
 * processes to submit and to work, and looks at the queue.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../../..');
const bin = join(root, 'bin/drivelab.mjs');

export const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p)) ?? null;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface RedisProcess {
  port: number;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts redis-server with `args` (e.g. ['--requirepass', 'x']); resolves once it answers */
export async function startRedis(args: string[] = [], port?: number): Promise<RedisProcess> {
  if (!REDIS_SERVER) throw new Error('no redis-server: install Debian\'s redis-server package');
  const p = port ?? (await freePort());
  const child = spawn(REDIS_SERVER, ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const deadline = Date.now() + 20_000;
  while (!/Ready to accept connections/.test(out)) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
    if (Date.now() > deadline) throw new Error(`redis-server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Whether openssl can make the certificates of a TLS test */
export const OPENSSL = spawnSync('openssl', ['version']).status === 0;

export interface Proc {
  child: ChildProcess;
  out: string;
  err: string;
  exit: Promise<number | null>;
}

export function run(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { child, out: '', err: '', exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout!.on('data', (d) => (p.out += d));
  child.stderr!.on('data', (d) => (p.err += d));
  return p;
}

export const worker = (url: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) => run(['worker', '--queue', url, '--lock', '2', ...extra], env);

export async function until(what: string, test: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Jobs of the bench queue by state, as Redis holds them */
export async function counts(url: string): Promise<Record<string, number>> {
  const { Queue } = await import('bullmq');
  const { parseQueueUrl } = await import('../../../src/queue/url.ts');
  const q = new Queue('jobs', { connection: parseQueueUrl(url).connection, prefix: 'drivelab' });
  try {
    return await q.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
  } finally {
    await q.close();
  }
}

/** How many finished jobs of the bench queue were found stalled (their worker died) at least once */
export async function stalledJobs(url: string): Promise<number> {
  const { Queue } = await import('bullmq');
  const { parseQueueUrl } = await import('../../../src/queue/url.ts');
  const q = new Queue('jobs', { connection: parseQueueUrl(url).connection, prefix: 'drivelab' });
  try {
    return (await q.getJobs(['completed'])).filter((j) => j.stalledCounter > 0).length;
  } finally {
    await q.close();
  }
}

export async function untilAsync(what: string, test: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

export async function stop(...procs: Proc[]): Promise<void> {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exit));
}
