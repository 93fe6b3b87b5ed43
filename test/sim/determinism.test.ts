import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createExpert } from '../../agents/expert.ts';
import { builtinScenarioIds } from '../../scenarios/library.ts';
import { make } from '../../sim/env/registry.ts';
import { Rng } from '../../sim/rng.ts';
import { hashEpisode } from './episodeHash.ts';

const root = join(import.meta.dirname, '../..');

/** SHA-256 over the Rapier snapshot and every observation of one whole episode. */
async function episodeHash(id: string, seed: number, policy: 'expert' | 'random'): Promise<string> {
  const env = await make(id);
  const hash = createHash('sha256');
  const expert = createExpert(env);
  const rng = Rng.seeded(seed + 1000);
  let { observation } = env.reset({ seed });
  for (;;) {
    const action = policy === 'expert' ? expert.act(observation) : env.actionSpace.sample(rng);
    const r = env.step(action as Float32Array);
    hash.update(env.unwrapped.world.takeSnapshot());
    for (const key of Object.keys(r.observation)) hash.update(new Uint8Array(r.observation[key].buffer));
    hash.update(Float64Array.of(r.reward));
    observation = r.observation;
    if (r.terminated || r.truncated) break;
  }
  env.close();
  return hash.digest('hex');
}

describe('determinism', () => {
  afterEach(() => vi.restoreAllMocks());

  it('the same scenario, seed and actions give bit-identical episodes; another seed differs', async () => {
    const a = await episodeHash('highway', 7, 'expert');
    const b = await episodeHash('highway', 7, 'expert');
    const c = await episodeHash('highway', 8, 'expert');
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  for (const id of builtinScenarioIds) {
    it(`${id}: two random-action episodes with seed 3 hash the same`, async () => {
      expect(await episodeHash(id, 3, 'random')).toBe(await episodeHash(id, 3, 'random'));
    });
  }

  it('the world never calls Math.random', async () => {
    vi.spyOn(Math, 'random').mockImplementation(() => {
      throw new Error('Math.random called');
    });
    for (const id of builtinScenarioIds) await episodeHash(id, 1, 'random');
  });
});

/** The hash of one short episode, computed by a new Node process that does nothing else. */
function hashInFreshProcess(id: string, seed: number, steps: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // Liftoff only: optimising the physics wasm costs more than a 60-step episode saves, mostly at exit.
    // It also shows the hash does not depend on which wasm compiler ran the physics.
    const child = spawn(process.execPath, ['--liftoff-only', join(root, 'bin/run-ts.mjs'), join(root, 'test/sim/episodeHash.ts'), String(seed), String(steps), id], { cwd: root });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`hashing ${id} in a child process failed (${code}): ${err}`))));
  });
}

/** `f` over `items`, at most `limit` at a time, results in order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

describe('no state carries over from one episode to the next', () => {
  const SEED = 11, OTHER = 12, STEPS = 60;

  // No time limit: child processes on a busy machine take what they take.
  it('every built-in scenario hashes alike in a fresh process and here, after other seeds, scenarios and envs', async () => {
    const ids = builtinScenarioIds;
    const fresh = mapLimited(ids, 2, (id) => hashInFreshProcess(id, SEED, STEPS));
    // Awaited below; this only keeps a failure from being reported as unhandled if the rest throws first.
    fresh.catch(() => {});

    const envs = await Promise.all(ids.map((id) => make(id)));
    const spare = await Promise.all(ids.map((id) => make(id)));
    // Leave whatever an episode can leave behind: another seed on every env, each scenario's
    // spare env running another seed while a different scenario's env ran before it.
    const other = ids.map((_, i) => hashEpisode(envs[i], OTHER, STEPS));
    ids.forEach((_, i) => hashEpisode(spare[(i + 1) % ids.length], OTHER + 1, STEPS));
    const here = ids.map((_, i) => hashEpisode(envs[i], SEED, STEPS));
    // Once more on the spare envs, now in reverse order, each after its own other-seed episode.
    const spareHashes: string[] = [];
    for (let i = ids.length - 1; i >= 0; i--) spareHashes[i] = hashEpisode(spare[i], SEED, STEPS);
    for (const env of [...envs, ...spare]) env.close();

    expect(here).toEqual(await fresh);
    expect(spareHashes).toEqual(here);
    ids.forEach((id, i) => expect(other[i], `${id}: seeds ${OTHER} and ${SEED}`).not.toBe(here[i]));
  }, 0);
});
