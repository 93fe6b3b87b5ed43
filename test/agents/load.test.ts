/**
 * Saved policies load from any `PolicySource`: over HTTP (as the viewer loads them in a browser)
 * they act exactly as from their directory, and nothing `loadPolicy` reaches needs Node. tfjs runs
 * on its plain `cpu` backend here, as on a page without WebGL: no Node runtime is started.
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { builtinModules } from 'node:module';
import { join, normalize, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy, SAVED_AGENTS } from '../../agents/load.ts';
import { dirSource, urlSource } from '../../agents/common/policySource.ts';
import type { Policy } from '../../agents/common/Policy.ts';
import type { Env } from '../../sim/env/Env.ts';
import type { Action, Observation } from '../../sim/env/DrivingEnv.ts';
import { make } from '../../sim/env/registry.ts';
import { initPhysics } from '../../sim/world/physics.ts';
import { scenarioForRun } from '../../src/agents.ts';

const root = join(import.meta.dirname, '../..');
const MODELS = join(root, 'models');
const SHIPPED = ['dqn-highway', 'ppo-lane-keep-curvy', 'reinforce-lane-keep-curvy', 'qlearning-obstacle-avoidance'];

/** Each agent's own `load`, given the directory as a string: the way the CLI loads */
const LOAD_DIR: Record<string, (dir: string, env: Env<Observation, Action>) => Promise<Policy<Observation, Action>>> = {
  dqn: async (dir, env) => (await import('../../agents/dqn.ts')).load(dir, env),
  ppo: async (dir, env) => (await import('../../agents/ppo.ts')).load(dir, env),
  reinforce: async (dir, env) => (await import('../../agents/reinforce.ts')).load(dir, env),
  qlearning: async (dir, env) => (await (await import('../../agents/qlearning.ts')).load(dir, env as never)) as Policy<Observation, Action>,
};

/** Files served besides models/, by path */
const EXTRA: Record<string, string> = {
  '/made-up/policy.json': JSON.stringify({ version: 1, agent: 'sac', args: {} }),
  '/random/policy.json': JSON.stringify({ version: 1, agent: 'random', args: { seed: 3 } }),
  '/random-bad/policy.json': JSON.stringify({ version: 1, agent: 'random', args: { seed: 3, speed: 2 } }),
  '/expert/policy.json': JSON.stringify({ version: 1, agent: 'expert', args: { speedFactor: 0.8 } }),
  '/no-weights/policy.json': readFileSync(join(MODELS, 'dqn-highway', 'policy.json'), 'utf8'),
};

/** The message `promise` rejects with */
const failure = (promise: Promise<unknown>) => promise.then(() => 'resolved', (e: Error) => e.message);

let server: Server;
let base = '';
/** Requests by path */
const requests = new Map<string, number>();

beforeAll(async () => {
  await Promise.all([tf.setBackend('cpu').then(() => tf.ready()), initPhysics()]);
  // models/ over loopback HTTP, as a static file server gives it to a page.
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (EXTRA[path] !== undefined) return void res.writeHead(200, { 'content-type': 'application/json' }).end(EXTRA[path]);
    const file = normalize(join(MODELS, path));
    if (relative(MODELS, file).startsWith('..')) return void res.writeHead(403).end();
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {
      // missing: 404 below
    }
    if (!isFile) return void res.writeHead(404, 'Not Found').end();
    res.writeHead(200, { 'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => server?.close());

describe('loading saved policies from a PolicySource', () => {
  it.each(SHIPPED)('%s over HTTP acts as loaded from its directory, step for step, each file fetched once', async (name) => {
    const dir = join(MODELS, name);
    const env = await make(await scenarioForRun(dir, undefined));
    const agent = JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8')).agent as string;
    const fromDir = await LOAD_DIR[agent](dir, env);
    // No trailing slash: the base is a directory all the same.
    const fromUrl = await loadPolicy(urlSource(`${base}/${name}`), env);
    expect(fromUrl.name).toBe(agent);
    const fetched = [...requests].filter(([path]) => path.startsWith(`/${name}/`));
    expect(fetched.map(([path]) => path).sort()).toEqual([`/${name}/policy.json`, `/${name}/${agent === 'qlearning' ? 'qtable.json' : 'weights.bin'}`].sort());
    expect(fetched.every(([, n]) => n === 1)).toBe(true);
    const seed = 1_000_003;
    fromDir.reset(seed);
    fromUrl.reset(seed);
    let { observation } = env.reset({ seed });
    const actions: Action[] = [];
    for (let k = 0; k < 50; k++) {
      const a = fromDir.act(observation);
      expect(fromUrl.act(observation), `step ${k}`).toEqual(a);
      actions.push(a);
      const step = env.step(a);
      if (step.terminated || step.truncated) break;
      observation = step.observation;
    }
    expect(actions.length).toBe(50);
    (fromDir as { dispose?(): void }).dispose?.();
    (fromUrl as { dispose?(): void }).dispose?.();
    env.close();
  }, 120_000);

  it('a missing file over HTTP is one line naming its URL and the status', async () => {
    const source = urlSource(`${base}/nowhere/`);
    expect(source.name).toBe(`${base}/nowhere/`);
    const err = await source.bytes('weights.bin').then(() => null, (e: Error) => e);
    expect(err?.message).toBe(`${base}/nowhere/weights.bin: HTTP 404 Not Found`);
    const env = await make(await scenarioForRun(join(MODELS, 'dqn-highway'), undefined));
    const missing = await loadPolicy(source, env).then(() => null, (e: Error) => e);
    expect(missing?.message).toMatch(new RegExp(`^${base}/nowhere/policy\\.json: HTTP 404 Not Found; `));
    expect(missing!.message.split('\n')).toHaveLength(1);
    // A policy.json without its weights: the weights' URL.
    expect(await failure(loadPolicy(urlSource(`${base}/no-weights/`), env))).toBe(`${base}/no-weights/weights.bin: HTTP 404 Not Found`);
    // An agent no module makes: the names there are.
    expect(await failure(loadPolicy(urlSource(`${base}/made-up/`), env))).toBe(`${base}/made-up/policy.json: agent: expected one of ${SAVED_AGENTS.join(', ')}, got "sac"`);
    env.close();
  });

  it('names the unreachable server in one line', async () => {
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(closed.address() as { port: number }).port}/p/`;
    await new Promise((ok) => closed.close(ok));
    const err = await urlSource(url).text('policy.json').then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(new RegExp(`^${url}policy\\.json: cannot fetch it \\(`));
    expect(err!.message.split('\n')).toHaveLength(1);
  });

  it('builds the expert and the random agent from their saved arguments, and names a bad one', async () => {
    const env = await make('highway');
    const expert = await loadPolicy(urlSource(`${base}/expert/`), env);
    expect(expert.name).toBe('expert');
    const random = await loadPolicy(urlSource(`${base}/random/`), env);
    random.reset(5);
    const { observation } = env.reset({ seed: 5 });
    const first = random.act(observation);
    random.reset(5);
    expect(random.act(observation)).toEqual(first);
    await expect(loadPolicy(urlSource(`${base}/random-bad/`), env)).rejects.toThrow(`${base}/random-bad/policy.json: args: unknown field "speed"; the random agent takes only "seed"`);
    // A policy for other actions than the env's is refused.
    const discrete = await make('highway', { action: { type: 'discrete' } });
    await expect(loadPolicy(urlSource(`${base}/ppo-lane-keep-curvy/`), discrete)).rejects.toThrow(`${base}/ppo-lane-keep-curvy/policy.json: actionSpace: the policy was made for other actions than this env's`);
    env.close();
    discrete.close();
  });

  it('keeps the messages of a directory, through dirSource too', async () => {
    const env = await make('highway', { action: { type: 'discrete' } });
    const dir = join(MODELS, 'no-such-policy');
    const err = await loadPolicy(dirSource(dir), env).then(() => null, (e: Error) => e);
    expect(err?.message).toBe(`${join(dir, 'policy.json')}: cannot read it; expected a policy directory with policy.json`);
    env.close();
  });
});

describe('agents/load.ts in a browser bundle', () => {
  it('bundles for the browser with no static import of a Node built-in anywhere it reaches', async () => {
    const result = await build({
      entryPoints: [join(root, 'agents/load.ts')],
      bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent',
      // tfjs comes from the page; Node built-ins may only be imported on use (`await import`), where they stay external.
      external: ['@tensorflow/*', 'node:*'],
    });
    const isBuiltin = (path: string) => path.startsWith('node:') || builtinModules.includes(path);
    const inputs = Object.entries(result.metafile.inputs);
    const staticBuiltins = inputs.flatMap(([file, input]) => input.imports.filter((i) => isBuiltin(i.path) && i.kind !== 'dynamic-import').map((i) => `${file} → ${i.path}`));
    expect(staticBuiltins).toEqual([]);
    // The agents, their training code included, are in the bundle: the check covers them.
    const files = inputs.map(([file]) => file);
    for (const f of ['agents/dqn.ts', 'agents/ppo.ts', 'agents/reinforce.ts', 'agents/qlearning.ts', 'agents/expert.ts', 'agents/random.ts', 'agents/common/logger.ts', 'agents/common/checkpoint.ts']) expect(files).toContain(f);
    expect(result.outputFiles[0].text).not.toMatch(/^import\s[^;]*["']node:/m);
  });
});
