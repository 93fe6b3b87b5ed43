/**
 * How well this machine runs two env loops at once: each thread steps its own highway env with
 * random actions and no coordination at all. The ratio of two threads' total to one thread's is
 * the ceiling any vector env can reach here; `bench:perf` prints it next to the vector figure.
 */
import { Worker } from 'node:worker_threads';
import { make } from '../sim/env/registry.ts';
import { Rng } from '../sim/rng.ts';

/** Steps per second of one env loop, after a warm-up. */
export async function envLoop(steps: number, warmup: number): Promise<number> {
  const env = await make('highway');
  const rng = Rng.seeded(1);
  let seed = 0;
  env.reset({ seed });
  let t0 = 0;
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) t0 = performance.now();
    const r = env.step(env.actionSpace.sample(rng) as Float32Array);
    if (r.terminated || r.truncated) env.reset({ seed: ++seed });
  }
  const rate = (steps / (performance.now() - t0)) * 1000;
  env.close();
  return rate;
}

/** Total steps/s of `threads` independent env loops running at the same time. */
export async function parallelLoops(threads: number, steps = 6000, warmup = 1500): Promise<number> {
  const rates = await Promise.all(
    Array.from({ length: threads }, () => new Promise<number>((resolve, reject) => {
      const w = new Worker(new URL('./scalingWorker.mjs', import.meta.url), { workerData: { steps, warmup } });
      w.once('message', (rate: number) => {
        resolve(rate);
        void w.terminate();
      });
      w.once('error', reject);
    })),
  );
  return rates.reduce((a, b) => a + b, 0);
}
