import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action, Observation } from '../../../sim/env/DrivingEnv.ts';
import type { Env, Info } from '../../../sim/env/Env.ts';
import { make } from '../../../sim/env/registry.ts';
import { flatSize, flattenInto, type Space } from '../../../sim/env/spaces.ts';
import { SyncVectorEnv, WorkerVectorEnv, type VectorEnv } from '../../../sim/env/vector/index.ts';
import { Rng } from '../../../sim/rng.ts';

/** Short episodes: a 3 s limit at 0.1 s per step truncates after 30 steps. */
const OVERRIDES = { traffic: { vehicles: 4 }, limits: { duration: 3 } };
const N = 4;
const STEPS = 40;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The exact bits of a float array, so that comparisons tell -0 from 0 and NaN payloads apart. */
const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.slice().buffer);

/** Seeded random actions in [-1, 1], [STEPS, N * 2]. */
function randomActions(seed: number): Float32Array[] {
  const rng = Rng.seeded(seed);
  return Array.from({ length: STEPS }, () => Float32Array.from({ length: N * 2 }, () => rng.uniform(-1, 1)));
}

interface Trace {
  observations: Float32Array[];
  rewards: Float32Array[];
  dones: Uint8Array[];
}

/** Copies of every step's results, the reset's observations first. */
async function runVector(env: VectorEnv, seed: number, actions: Float32Array[]): Promise<Trace> {
  const trace: Trace = { observations: [(await env.reset({ seed })).observations.slice()], rewards: [], dones: [] };
  for (const a of actions) {
    const r = await env.step(a);
    trace.observations.push(r.observations.slice());
    trace.rewards.push(r.rewards.slice());
    trace.dones.push(Uint8Array.from(r.terminated, (t, i) => t | (r.truncated[i] << 1)));
  }
  return trace;
}

/** One env on its own, seeded s and reset without a seed after each episode: row `i` of the vector trace. */
async function runSingle(seed: number, i: number, actions: Float32Array[]): Promise<Trace> {
  const env = await make('highway', OVERRIDES);
  const space = env.observationSpace;
  const flat = (o: Observation) => {
    const out = new Float32Array(flatSize(space));
    flattenInto(space, o, out);
    return out;
  };
  const trace: Trace = { observations: [flat(env.reset({ seed }).observation)], rewards: [], dones: [] };
  for (const a of actions) {
    const r = env.step(a.slice(i * 2, i * 2 + 2));
    trace.observations.push(flat(r.terminated || r.truncated ? env.reset().observation : r.observation));
    trace.rewards.push(Float32Array.of(r.reward));
    trace.dones.push(Uint8Array.of(Number(r.terminated) | (Number(r.truncated) << 1)));
  }
  env.close();
  return trace;
}

function row(trace: Trace, i: number, size: number): Trace {
  return {
    observations: trace.observations.map((o) => o.slice(i * size, (i + 1) * size)),
    rewards: trace.rewards.map((r) => r.slice(i, i + 1)),
    dones: trace.dones.map((d) => d.slice(i, i + 1)),
  };
}

function expectSameTrace(a: Trace, b: Trace): void {
  expect(a.observations.map(bits)).toEqual(b.observations.map(bits));
  expect(a.rewards.map(bits)).toEqual(b.rewards.map(bits));
  expect(a.dones).toEqual(b.dones);
}

describe('vector envs', () => {
  let sync: SyncVectorEnv;
  let workers: WorkerVectorEnv;
  let size: number;

  beforeAll(async () => {
    [sync, workers] = await Promise.all([
      SyncVectorEnv.create(N, 'highway', OVERRIDES),
      WorkerVectorEnv.create(N, 'highway', OVERRIDES, { workers: 2 }),
    ]);
    size = sync.observationSize;
  });

  afterAll(async () => {
    await Promise.all([sync?.close(), workers?.close()]);
  });

  it('batches flattened observations and per-env results in the documented shapes and types', async () => {
    expect(workers.numWorkers).toBe(2);
    for (const env of [sync, workers]) {
      expect(env.numEnvs).toBe(N);
      expect(env.observationSize).toBe(flatSize(env.singleObservationSpace as Space));
      expect(env.actionSize).toBe(2);
      const reset = await env.reset({ seed: 0 });
      expect(reset.observations).toBeInstanceOf(Float32Array);
      expect(reset.observations.length).toBe(N * size);
      expect(reset.infos.map((info) => info.seed)).toEqual([0, 1, 2, 3]);
      const step = await env.step(new Float32Array(N * 2));
      expect(step.observations.length).toBe(N * size);
      expect(step.rewards).toBeInstanceOf(Float32Array);
      expect(step.rewards.length).toBe(N);
      expect(step.terminated).toBeInstanceOf(Uint8Array);
      expect(step.truncated).toBeInstanceOf(Uint8Array);
      expect(step.terminated.length).toBe(N);
      expect(step.infos).toHaveLength(N);
      expect(step.rewards.every(Number.isFinite)).toBe(true);
    }
    // The workers write straight into shared memory.
    expect((await workers.reset({ seed: 0 })).observations.buffer).toBeInstanceOf(SharedArrayBuffer);
    await expect(sync.step(new Float32Array(3))).rejects.toThrow(/needs 4 × 2 = 8 action values, got 3/);
  });

  it('gives identical results in the calling thread, in workers and for single envs seeded s + i', async () => {
    const actions = randomActions(42);
    const a = await runVector(sync, 10, actions);
    const b = await runVector(workers, 10, actions);
    expectSameTrace(a, b);
    for (let i = 0; i < N; i++) expectSameTrace(row(a, i, size), await runSingle(10 + i, i, actions));
    // The sequence must have crossed at least one episode boundary to test autoreset as well.
    expect(a.dones.some((d) => d.some(Boolean))).toBe(true);
  });

  it('seeds from an array, and continues each env stream without a seed', async () => {
    for (const env of [sync, workers]) {
      const r = await env.reset({ seed: [7, 3, 7, 1] });
      expect(r.infos.map((info) => info.seed)).toEqual([7, 3, 7, 1]);
      // The same seed gives the same first observation.
      expect(bits(r.observations.slice(0, size))).toEqual(bits(r.observations.slice(2 * size, 3 * size)));
      const next = await env.reset();
      const single = await make('highway', OVERRIDES);
      single.reset({ seed: 7 });
      expect(next.infos[0].seed).toBe(single.reset().info.seed);
      single.close();
    }
    await expect(sync.reset({ seed: [1, 2] })).rejects.toThrow(/one seed per env \(4\), got 2/);
  });

  it('resets an env within the step that ends its episode (same-step autoreset)', async () => {
    const zero = new Float32Array(N * 2);
    const singles: Env<Observation, Action>[] = [];
    for (let i = 0; i < N; i++) singles.push(await make('highway', OVERRIDES));
    for (const env of [sync, workers]) {
      await env.reset({ seed: 20 });
      singles.forEach((s, i) => s.reset({ seed: 20 + i }));
      let last!: { observations: Float32Array; terminated: Uint8Array; truncated: Uint8Array; infos: Info[] };
      for (let t = 1; t <= 30; t++) {
        last = await env.step(zero);
        if (t < 30) expect([...last.truncated, ...last.terminated]).toEqual(new Array(2 * N).fill(0));
      }
      expect([...last.truncated]).toEqual([1, 1, 1, 1]);
      expect([...last.terminated]).toEqual([0, 0, 0, 0]);
      for (let i = 0; i < N; i++) {
        const info = last.infos[i];
        const observation = last.observations.slice(i * size, (i + 1) * size);
        const final = info.finalObservation as Float32Array;
        expect(final).toBeInstanceOf(Float32Array);
        expect(final.length).toBe(size);
        expect(bits(observation)).not.toEqual(bits(final));
        expect((info.finalInfo as Info).outcome).toBe('time-limit');

        // The single env's 30th step gives the final observation; its reset() without a seed the new one.
        const single = singles[i];
        let r = single.step(new Float32Array(2));
        for (let t = 2; t <= 30; t++) r = single.step(new Float32Array(2));
        expect(r.truncated).toBe(true);
        const flatFinal = new Float32Array(size);
        flattenInto(single.observationSpace, r.observation, flatFinal);
        expect(bits(final)).toEqual(bits(flatFinal));
        const fresh = single.reset();
        const flatFresh = new Float32Array(size);
        flattenInto(single.observationSpace, fresh.observation, flatFresh);
        expect(bits(observation)).toEqual(bits(flatFresh));
        expect(info.seed).toBe(fresh.info.seed);
        expect(info.step).toBe(0);
      }
    }
    for (const s of singles) s.close();
  });
});

describe('WorkerVectorEnv errors and shutdown', () => {
  it('reports errors from the calling thread\'s own block and from a worker thread alike', async () => {
    const env = await WorkerVectorEnv.create(N, 'highway', OVERRIDES, { workers: 2 });
    expect(env.runningWorkers).toBe(1);
    await env.reset({ seed: 0 });
    const local = new Float32Array(N * 2);
    local[3 * 2] = Number.NaN; // env 3: the last block, stepped by the calling thread
    await expect(env.step(local)).rejects.toThrow('env 3: action[0] (steer) must be finite, got NaN in [NaN, 0]');
    await env.reset({ seed: 0 });
    const remote = new Float32Array(N * 2);
    remote[0] = Number.NaN; // env 0: the worker thread
    await expect(env.step(remote)).rejects.toThrow('env 0: action[0] (steer) must be finite, got NaN in [NaN, 0]');
    await env.close();
    expect(env.runningWorkers).toBe(0);
  });

  it("rejects with the env's own error when a worker throws, and still closes", async () => {
    const env = await WorkerVectorEnv.create(N, 'highway', OVERRIDES, { workers: 2, mainThread: false });
    await env.reset({ seed: 0 });
    const actions = new Float32Array(N * 2);
    actions[2 * 2] = Number.NaN; // env 2, in the second worker
    await expect(env.step(actions)).rejects.toThrow('env 2: action[0] (steer) must be finite, got NaN in [NaN, 0]');
    // A seeded reset brings every env back to a known state.
    await env.reset({ seed: 0 });
    await env.step(new Float32Array(N * 2));
    expect(env.runningWorkers).toBe(2);
    await expect(env.close()).resolves.toBeUndefined();
    expect(env.runningWorkers).toBe(0);
    await expect(env.step(new Float32Array(N * 2))).rejects.toThrow(/closed/);
    await env.close();
  });

  it('rejects an unknown scenario before starting any worker', async () => {
    await expect(WorkerVectorEnv.create(2, 'no-such-scenario')).rejects.toThrow(/unknown scenario "no-such-scenario"/);
  });

  it('runs under plain tsx and lets the process exit after close()', async () => {
    const script = `
      import { WorkerVectorEnv } from './sim/env/vector/index.ts';
      const env = await WorkerVectorEnv.create(2, 'highway', { traffic: { vehicles: 2 } }, { workers: 2 });
      await env.reset({ seed: 1 });
      const r = await env.step(new Float32Array(4));
      await env.close();
      console.log(JSON.stringify({ rewards: [...r.rewards].length, running: env.runningWorkers }));
    `;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        'node_modules/.bin/tsx',
        ['--input-type=module', '--eval', script],
        { cwd: ROOT },
        (err, out, errText) => (err ? reject(new Error(`${err.message}\n${errText}`)) : resolve(out)),
      );
    });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ rewards: 2, running: 0 });
  });
});
