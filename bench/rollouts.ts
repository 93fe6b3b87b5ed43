/**
 * PPO end to end in env steps/s and learner updates/s: stepping its own vector env in-process (the
 * default), collecting whole episodes in rollout jobs in-process (`--rollout-jobs`), and the same
 * jobs on 1, 2 and 4 local `drivelab worker` processes through a Redis queue (`--queue`). Needs
 * Debian's redis-server. Run alone: `node bin/run-ts.mjs bench/rollouts.ts [steps] [scenario] [jobs]`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinScenario } from '../scenarios/library.ts';
import { runTraining } from '../src/train/runTraining.ts';
import { parseQueueUrl } from '../src/queue/url.ts';

const steps = Number(process.argv[2] ?? 30_000);
const scenarioId = process.argv[3] ?? 'lane-keep-curvy';
const jobs = Number(process.argv[4] ?? 8);
const root = join(import.meta.dirname, '..');
const REDIS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Figures {
  label: string;
  stepsPerSecond: number;
  updatesPerSecond: number;
  seconds: number;
}

/** A short run first, so that every process taking part has compiled its hot code, then the measured one */
async function trainOnce(label: string, rollouts: { jobs: number; queue?: ReturnType<typeof parseQueueUrl> } | undefined): Promise<Figures> {
  await trainRun(label, rollouts, 3_000);
  return trainRun(label, rollouts, steps);
}

async function trainRun(label: string, rollouts: { jobs: number; queue?: ReturnType<typeof parseQueueUrl> } | undefined, steps: number): Promise<Figures> {
  const out = mkdtempSync(join(tmpdir(), 'drivelab-bench-rollouts-'));
  let updates = 0;
  try {
    const r = await runTraining({
      agent: 'ppo', scenario: builtinScenario(scenarioId)!, steps, seed: 0, out, resume: false, args: {}, evalEvery: 0, evalEpisodes: 0,
      checkpointEvery: 10 * steps, rollouts, callbacks: [{ onUpdate: () => void updates++ }],
    });
    return { label, stepsPerSecond: r.sessionSteps / r.seconds, updatesPerSecond: updates / r.seconds, seconds: r.seconds };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function startWorkers(n: number, url: string): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, [join(root, 'bin/drivelab.mjs'), 'worker', '--queue', url, '--quiet'], { cwd: root, stdio: 'ignore' }));
}

async function main(): Promise<void> {
  const rows: Figures[] = [];
  const show = (f: Figures) => console.log(`${f.label.padEnd(34)} ${Math.round(f.stepsPerSecond).toString().padStart(6)} env steps/s  ${f.updatesPerSecond.toFixed(1).padStart(6)} updates/s  (${f.seconds.toFixed(1)} s)`);
  console.log(`PPO on ${scenarioId}, ${steps.toLocaleString('en-US')} env steps, 8 envs; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const [label, rollouts] of [['in-process, vector env', undefined], [`in-process, ${jobs} rollout jobs`, { jobs }]] as const) {
    const f = await trainOnce(label, rollouts);
    rows.push(f);
    show(f);
  }
  if (!REDIS) {
    console.log('no redis-server: the queue rows need Debian\'s redis-server package');
    return;
  }
  const port = await freePort();
  const redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  const url = `redis://127.0.0.1:${port}`;
  try {
    for (const n of [1, 2, 4]) {
      const workers = startWorkers(n, url);
      // Let the workers start (tfjs and Rapier load) before the clock runs.
      await new Promise((r) => setTimeout(r, 5000));
      try {
        const f = await trainOnce(`queue, ${n} worker process${n > 1 ? 'es' : ''}, ${jobs} jobs`, { jobs, queue: parseQueueUrl(url) });
        rows.push(f);
        show(f);
      } finally {
        for (const w of workers) w.kill('SIGTERM');
        await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
      }
    }
  } finally {
    redis.kill('SIGKILL');
  }
  const base = rows[1].stepsPerSecond;
  console.log(`speed-up against ${rows[1].label}: ${rows.slice(2).map((f) => `${f.label.split(',')[1].trim()} ×${(f.stepsPerSecond / base).toFixed(2)}`).join(', ')}`);
  console.log(`uptime: ${spawnSync('uptime', { encoding: 'utf8' }).stdout.trim()}`);
}

await main();
process.exit(0);
