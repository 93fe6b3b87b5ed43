/**
 * `npm run bench:perf`: the figures DESIGN.md budgets, measured on one core after a warm-up
 * (the wasm physics and the JS JIT take a few hundred steps to reach full speed).
 * Prints a table; `--json` prints the figures as one JSON object.
 */
import { cpus, loadavg } from 'node:os';
import { builtinScenarioIds } from '../scenarios/library.ts';
import { createExpert } from '../agents/expert.ts';
import type { Action, Observation } from '../sim/env/DrivingEnv.ts';
import type { Env } from '../sim/env/Env.ts';
import { make } from '../sim/env/registry.ts';
import { createSensor } from '../sim/sensors/registry.ts';
import { cameraThroughput } from './camera.ts';
import { fusionSpeed } from './fusion.ts';
import { vectorThroughput } from './vector.ts';
import { parallelLoops } from './scaling.ts';
import { dqnEndToEnd, dqnUpdatesPerSecond, FEATURE_OBSERVATION, PIXEL_PPO, ppoStepsPerSecond } from './learning.ts';
import { Box, Dict } from '../sim/env/spaces.ts';
import { detectorFramesPerSecond, detectorTrainingImagesPerSecond } from './perception.ts';
import { NO_CHROMIUM, viewerFramesPerSecond, viewerRow } from './viewer.ts';
import { CHROMIUM } from '../test/browser/chromium.ts';

interface Figure {
  name: string;
  value: number;
  unit: string;
  /** DESIGN.md's budget: a floor, or a ceiling when `lowerIsBetter` */
  budget?: number;
  lowerIsBetter?: boolean;
  note?: string;
  /** Decimals to print (default 0) */
  digits?: number;
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

/** Env steps per second with the given sensors, random-free: the expert drives. */
async function envStepsWith(id: string, sensors: unknown[], steps: number, warmup: number): Promise<number> {
  const env = await make(id, { sensors: sensors as never, limits: { duration: 3600 } });
  const expert = createExpert(env);
  let { observation } = env.reset({ seed: 0 });
  let inStep = 0;
  for (let i = 0; i < warmup + steps; i++) {
    const action = expert.act(observation);
    const a = performance.now();
    const r = env.step(action);
    if (i >= warmup) inStep += performance.now() - a;
    observation = r.observation;
    if (r.terminated || r.truncated) observation = env.reset({ seed: i }).observation;
  }
  env.close();
  return (steps / inStep) * 1000;
}

/**
 * Median wall time of `env.reset` [ms], for episodes on seeds never seen before (a map whose
 * geometry comes from the seed is built for each) and for a seed repeated (its map is cached).
 */
async function resetTimes(id: string, resets: number): Promise<{ fresh: number; repeated: number }> {
  const env = await make(id);
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (let s = 0; s < 30; s++) env.reset({ seed: 1_000_000 + s });
  const fresh: number[] = [];
  const repeated: number[] = [];
  for (let s = 0; s < resets; s++) {
    let t = performance.now();
    env.reset({ seed: 2_000_000 + s });
    fresh.push(performance.now() - t);
    t = performance.now();
    env.reset({ seed: 7 });
    repeated.push(performance.now() - t);
  }
  env.close();
  return { fresh: median(fresh), repeated: median(repeated) };
}

/** Lidar sweeps per second for a 1,024-ray sensor (16 channels × 64 azimuths) on the highway. */
async function lidarSweeps(sweeps: number): Promise<number> {
  const env = await make('highway', { sensors: [{ type: 'lidar', rays: 64, channels: 16, verticalFov: [-15, 5], range: 100 }] });
  const sensor = createSensor({ type: 'lidar', id: 'lidar', rays: 64, channels: 16, verticalFov: [-15, 5], range: 100, height: 1.8, noise: 0, classes: false }, 10);
  env.reset({ seed: 0 });
  for (let i = 0; i < 20; i++) env.step(Float32Array.of(0, 0.3));
  const world = env.unwrapped.world;
  sensor.reset(world, world.sensorRng);
  const ctx = { world, scene: () => env.unwrapped.scene };
  const out: Record<string, Float32Array> = {};
  for (let i = 0; i < 200; i++) sensor.observe(ctx, out);
  const t0 = performance.now();
  for (let i = 0; i < sweeps; i++) sensor.observe(ctx, out);
  const seconds = (performance.now() - t0) / 1000;
  env.close();
  return sweeps / seconds;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  // Figures drop 2–6× on a loaded machine: the load is printed with them.
  const loadAtStart = loadavg().map((x) => x.toFixed(2)).join(' ');
  const figures: Figure[] = [];
  const highway = await envSteps('highway', 6000, 1500);
  figures.push({ name: 'env step, highway, 20 NPCs, features + 64-ray lidar', value: highway.stepsPerSecond, unit: 'steps/s', budget: 3000, note: `${highway.simSecondsPerSecond.toFixed(0)} simulated s per wall s` });
  figures.push({ name: '  same, including the expert agent', value: highway.withAgent, unit: 'steps/s' });
  for (const id of ['lane-keep-curvy', 'intersection', 'roundabout']) {
    const r = await envSteps(id, 3000, 800);
    figures.push({ name: `env step, ${id}`, value: r.stepsPerSecond, unit: 'steps/s', note: `${r.simSecondsPerSecond.toFixed(0)} simulated s per wall s` });
  }

  for (const id of builtinScenarioIds) {
    const r = await resetTimes(id, 150);
    figures.push({ name: `env reset, ${id}, seed repeated (map cached)`, value: r.repeated, unit: 'ms', budget: 1, lowerIsBetter: true, note: `new seed: ${r.fresh.toFixed(2)} ms`, digits: 2 });
  }

  const sweeps = await lidarSweeps(2000);
  figures.push({ name: 'lidar sweep, 1,024 rays (16 × 64), highway', value: sweeps, unit: 'sweeps/s', budget: 500, note: `${((sweeps * 1024) / 1e6).toFixed(2)} M rays/s` });

  const camera = await cameraThroughput();
  figures.push({ name: 'camera 128×96, all four buffers, 60-vehicle highway', value: camera.framesPerSecond, unit: 'frames/s', budget: 2500, note: `${camera.triangles.toLocaleString('en-US')} triangles in the scene` });
  const withCamera = await envStepsWith('highway', [{ type: 'features' }, { type: 'lidar' }, { type: 'camera', width: 128, height: 96, buffers: ['rgb', 'depth', 'semantic', 'instance'] }], 2000, 500);
  figures.push({ name: 'env step, highway, features + lidar + 128×96 camera', value: withCamera, unit: 'steps/s' });

  // Fusion pipeline (bench/fusion.ts): recorded highway frames replayed, rendering and physics left out.
  const fusion = await fusionSpeed();
  const perFrame = `${fusion.detections.toFixed(1)} detections, ${fusion.tracks.toFixed(1)} tracks per frame`;
  figures.push({ name: 'fusion pipeline, oracle + 720-ray lidar, highway', value: fusion.framesPerSecond, unit: 'frames/s', budget: 5000, note: `cluster, project, fuse, track; ${perFrame}` });
  figures.push({ name: '  same, p99 latency of one frame', value: fusion.p99Ms, unit: 'ms', budget: 2, lowerIsBetter: true, digits: 2, note: `p99 of CPU time ${fusion.p99CpuMs.toFixed(2)} ms (the rest is waiting for the core)` });
  figures.push({ name: '  same, with the oracle reading its boxes', value: fusion.withOracleFps, unit: 'frames/s', budget: 5000, note: `p99 ${fusion.withOracleP99Ms.toFixed(2)} ms, of CPU time ${fusion.withOracleP99CpuMs.toFixed(2)} ms (budget < 2 ms: ${fusion.withOracleP99Ms < 2 ? 'met' : 'MISSED'})` });

  const one = (await vectorThroughput(1, 4, 2000)).envStepsPerSecond;
  const two = (await vectorThroughput(2, 4, 2000)).envStepsPerSecond;
  figures.push({ name: 'vector env, 4 envs on 1 thread, highway', value: one, unit: 'env steps/s' });
  figures.push({ name: 'vector env, 8 envs on 2 threads (caller + 1 worker)', value: two, unit: 'env steps/s', note: `${(two / one).toFixed(2)}× one thread (budget ≥ 1.7×: ${two / one >= 1.7 ? 'met' : 'MISSED'})` });
  const loop1 = await parallelLoops(1);
  const loop2 = await parallelLoops(2);
  figures.push({ name: '  ceiling: 2 independent env loops vs 1, same machine', value: loop2, unit: 'steps/s', note: `${(loop2 / loop1).toFixed(2)}× one loop (${Math.round(loop1).toLocaleString('en-US')} steps/s)` });

  const dqn = await dqnUpdatesPerSecond(FEATURE_OBSERVATION, 64, 5);
  figures.push({ name: 'DQN update, 2×256 MLP, batch 64, wasm', value: dqn, unit: 'updates/s', budget: 300, note: 'Double DQN, target forward, AdamW' });
  const pixels = await dqnUpdatesPerSecond(new Dict({ camera: new Box(0, 1, [84, 84, 3]) }), 32, 10);
  figures.push({ name: 'DQN update, pixels 84×84×3, Nature CNN, batch 32, wasm', value: pixels, unit: 'updates/s', digits: 1, note: `${(1000 / pixels).toFixed(0)} ms per update` });
  const dqnRun = await dqnEndToEnd(4000);
  figures.push({ name: 'DQN end to end, highway, 1 env (act every 5 steps)', value: dqnRun.stepsPerSecond, unit: 'env steps/s', note: `${dqnRun.updatesPerSecond.toFixed(0)} updates/s` });
  const ppo = await ppoStepsPerSecond(8, 8 * 256 * 4);
  figures.push({ name: 'PPO end to end, highway, 8 envs, 1 thread', value: ppo, unit: 'env steps/s', budget: 1000, note: 'rollout + 10 epochs of updates' });
  const ppoPixels = await ppoStepsPerSecond(8, 8 * 32 * 2, PIXEL_PPO);
  figures.push({ name: 'PPO end to end, pixels 84×84×3 + features, 8 envs', value: ppoPixels, unit: 'env steps/s', note: 'Nature CNN; rollouts of 32 steps, 4 epochs of 4 minibatches' });

  for (const precision of ['float32', 'float16', 'uint8'] as const) {
    const r = await detectorFramesPerSecond(precision, 8, 60);
    figures.push({ name: `detector inference, CNN ${precision}, batch 8, wasm`, value: r.framesPerSecond, unit: 'frames/s', budget: precision === 'float32' ? 500 : undefined, note: r.shipped ? 'shipped weights, decoding included' : 'no shipped weights: a fresh network of the same shape' });
  }
  const training = await detectorTrainingImagesPerSecond(20);
  figures.push({ name: 'detector training, batch 32, augmented, wasm', value: training, unit: 'images/s', budget: 100, note: 'AdamW, focal + L1 loss' });

  // The viewer in headless Chromium (bench/viewer.ts): the browser draws on the CPU (SwiftShader), beside the page's own world or Node's.
  const skipped: string[] = [];
  if (CHROMIUM) for (const r of await viewerFramesPerSecond()) figures.push({ ...viewerRow(r), digits: 1 });
  else skipped.push(NO_CHROMIUM);

  if (json) {
    process.stdout.write(JSON.stringify({ cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, load: { start: loadAtStart, end: loadavg() }, figures, skipped }) + '\n');
    return;
  }
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  const lines = [`drivelab bench:perf · ${cpus()[0]?.model ?? 'unknown CPU'} · ${cpus().length} cores · node ${process.version} · one core per figure · load at start ${loadAtStart}, at end ${load}`, ''];
  for (const f of figures) {
    let verdict = '';
    if (f.budget !== undefined) {
      const met = f.lowerIsBetter ? f.value <= f.budget : f.value >= f.budget;
      verdict = `  (budget ${f.lowerIsBetter ? '≤' : '≥'} ${f.budget.toLocaleString('en-US')}: ${met ? 'met' : 'MISSED'})`;
    }
    const value = f.value.toLocaleString('en-US', { minimumFractionDigits: f.digits ?? 0, maximumFractionDigits: f.digits ?? 0 });
    lines.push(`${f.name.padEnd(58)} ${value.padStart(8)} ${f.unit}${f.note ? `  ${f.note}` : ''}${verdict}`);
  }
  process.stdout.write([...lines, ...skipped].join('\n') + '\n');
}

await main();
