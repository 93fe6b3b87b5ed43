/**
 * `npm run bench:perf`: the figures DESIGN.md budgets, measured on one core after a warm-up
 * (the wasm physics and the JS JIT take a few hundred steps to reach full speed).
 * Prints a table; `--json` prints the figures as one JSON object.
 */
import { cpus } from 'node:os';
import { createExpert } from '../agents/expert.ts';
import type { Action, Observation } from '../sim/env/DrivingEnv.ts';
import type { Env } from '../sim/env/Env.ts';
import { make } from '../sim/env/registry.ts';

interface Figure {
  name: string;
  value: number;
  unit: string;
  budget?: number;
  note?: string;
}

/** Env steps per second of wall time spent inside `env.step`, with the expert choosing actions outside the timing. */
async function envSteps(id: string, steps: number, warmup: number): Promise<{ stepsPerSecond: number; simSecondsPerSecond: number; withAgent: number }> {
  const env: Env<Observation, Action> = await make(id, { limits: { duration: 3600 } });
  const expert = createExpert(env);
  let seed = 0;
  let { observation } = env.reset({ seed });
  let inStep = 0;
  let total = 0;
  let counted = 0;
  const t0 = performance.now();
  let tStart = t0;
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) {
      inStep = 0;
      tStart = performance.now();
    }
    const action = expert.act(observation);
    const a = performance.now();
    const r = env.step(action);
    const b = performance.now();
    if (i >= warmup) {
      inStep += b - a;
      counted++;
    }
    observation = r.observation;
    if (r.terminated || r.truncated) observation = env.reset({ seed: ++seed }).observation;
  }
  total = performance.now() - tStart;
  const dt = env.unwrapped.scenario.sim.stepDt;
  env.close();
  const stepsPerSecond = (counted / inStep) * 1000;
  return { stepsPerSecond, simSecondsPerSecond: stepsPerSecond * dt, withAgent: (counted / total) * 1000 };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const figures: Figure[] = [];
  const highway = await envSteps('highway', 6000, 1500);
  figures.push({ name: 'env step, highway, 20 NPCs, features + 64-ray lidar', value: highway.stepsPerSecond, unit: 'steps/s', budget: 3000, note: `${highway.simSecondsPerSecond.toFixed(0)} simulated s per wall s` });
  figures.push({ name: '  same, including the expert agent', value: highway.withAgent, unit: 'steps/s' });
  for (const id of ['lane-keep-curvy', 'intersection', 'roundabout']) {
    const r = await envSteps(id, 3000, 800);
    figures.push({ name: `env step, ${id}`, value: r.stepsPerSecond, unit: 'steps/s', note: `${r.simSecondsPerSecond.toFixed(0)} simulated s per wall s` });
  }

  if (json) {
    process.stdout.write(JSON.stringify({ cpu: cpus()[0]?.model, node: process.version, figures }) + '\n');
    return;
  }
  const lines = [`drivelab bench:perf · ${cpus()[0]?.model ?? 'unknown CPU'} · node ${process.version} · one core`, ''];
  for (const f of figures) {
    const verdict = f.budget === undefined ? '' : f.value >= f.budget ? `  (budget ≥ ${f.budget.toLocaleString('en-US')}: met)` : `  (budget ≥ ${f.budget.toLocaleString('en-US')}: MISSED)`;
    lines.push(`${f.name.padEnd(58)} ${Math.round(f.value).toLocaleString('en-US').padStart(8)} ${f.unit}${f.note ? `  ${f.note}` : ''}${verdict}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

await main();
