/**
 * Throughput of `WorkerVectorEnv`: env steps per second with 1 worker and with 2, each worker
 * stepping the same number of highway envs under seeded random continuous actions, and the
 * speed-up between them.
 * Run: `npx tsx bench/vector.ts [--steps 2000] [--warmup 200] [--envs-per-worker 4] [--repeat 3]`.
 *
 * Every configuration starts its own workers, and a fresh worker is slow for its first few hundred
 * steps while V8 tiers up the physics wasm and the JavaScript, so each run warms up before timing.
 * The configurations alternate `--repeat` times and the best run of each counts, so that a burst
 * of load from other processes on a shared machine does not decide the speed-up.
 */
import { pathToFileURL } from 'node:url';
import { WorkerVectorEnv } from '../sim/env/vector/index.ts';
import { Rng } from '../sim/rng.ts';

export interface VectorThroughput {
  workers: number;
  envsPerWorker: number;
  /** Timed vector steps (each steps every env once) */
  steps: number;
  /** Wall time of the timed steps [s] */
  seconds: number;
  vectorStepsPerSecond: number;
  /** vectorStepsPerSecond × number of envs */
  envStepsPerSecond: number;
}

/** Times `steps` vector steps after `warmup` untimed ones; episodes that end are autoreset inside. */
export async function vectorThroughput(workers: number, envsPerWorker: number, steps: number, warmup = 200): Promise<VectorThroughput> {
  const numEnvs = workers * envsPerWorker;
  const env = await WorkerVectorEnv.create(numEnvs, 'highway', undefined, { workers });
  try {
    const rng = Rng.seeded(0);
    const actions = new Float32Array(numEnvs * env.actionSize);
    const act = () => {
      for (let i = 0; i < actions.length; i++) actions[i] = rng.uniform(-1, 1);
      return env.step(actions);
    };
    await env.reset({ seed: 0 });
    for (let i = 0; i < warmup; i++) await act();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await act();
    const seconds = (performance.now() - t0) / 1000;
    const vectorStepsPerSecond = steps / seconds;
    return { workers, envsPerWorker, steps, seconds, vectorStepsPerSecond, envStepsPerSecond: vectorStepsPerSecond * numEnvs };
  } finally {
    await env.close();
  }
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} needs a whole number, got ${process.argv[at + 1]}`);
  return value;
}

async function main(): Promise<void> {
  const steps = option('steps', 2000);
  const warmup = option('warmup', 200);
  const envsPerWorker = option('envs-per-worker', 4);
  const repeat = Math.max(1, option('repeat', 3));
  const best = new Map<number, VectorThroughput>();
  for (let run = 1; run <= repeat; run++) {
    for (const workers of [1, 2]) {
      const r = await vectorThroughput(workers, envsPerWorker, steps, warmup);
      if (r.envStepsPerSecond > (best.get(workers)?.envStepsPerSecond ?? 0)) best.set(workers, r);
      console.log(
        `run ${run}: ${workers} worker${workers > 1 ? 's' : ' '} × ${envsPerWorker} envs: ${r.envStepsPerSecond.toFixed(0)} env steps/s ` +
          `(${r.vectorStepsPerSecond.toFixed(1)} vector steps/s, ${steps} steps in ${r.seconds.toFixed(2)} s)`,
      );
    }
  }
  const one = best.get(1)!.envStepsPerSecond;
  const two = best.get(2)!.envStepsPerSecond;
  const speedUp = two / one;
  console.log(`best: 1 worker ${one.toFixed(0)}, 2 workers ${two.toFixed(0)} env steps/s`);
  console.log(`speed-up, 2 workers vs 1: ${speedUp.toFixed(2)}× (budget ≥ 1.70×: ${speedUp >= 1.7 ? 'met' : 'NOT met'})`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
