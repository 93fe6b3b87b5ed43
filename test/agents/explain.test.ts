/**
 * `explain`: what a policy makes of an observation, for the viewer's HUD. It must agree with what
 * `act` does, leave the policy's state alone (no random draw, no step counted) and leak no tensor.
 * The shipped policies are the subjects; the DQN's values are checked against a forward pass
 * written out here from weights.bin.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { load as loadDqn, type DqnPolicy } from '../../agents/dqn.ts';
import { load as loadPpo } from '../../agents/ppo.ts';
import { load as loadReinforce } from '../../agents/reinforce.ts';
import { load as loadQlearning } from '../../agents/qlearning.ts';
import { ActorCritic, ActorCriticPolicy, actorCriticFor, networkOptions } from '../../agents/common/ActorCritic.ts';
import { TablePolicy } from '../../agents/common/TablePolicy.ts';
import { startTracking, stateOf } from '../../agents/common/tabularState.ts';
import type { ActionValues, Policy } from '../../agents/common/Policy.ts';
import { META_ACTIONS } from '../../sim/control/MetaController.ts';
import type { Action, Observation } from '../../sim/env/DrivingEnv.ts';
import type { Env } from '../../sim/env/Env.ts';
import { make } from '../../sim/env/registry.ts';
import { flatSize, flattenInto } from '../../sim/env/spaces.ts';
import { initTf } from '../../perception/runtime/tfjs.ts';
import { scenarioForRun } from '../../src/agents.ts';

const MODELS = join(import.meta.dirname, '../../models');

beforeAll(async () => {
  await initTf('wasm');
});

async function shipped<P>(name: string, load: (dir: string, env: Env<Observation, Action>) => Promise<P>) {
  const dir = join(MODELS, name);
  const env = await make(await scenarioForRun(dir, undefined));
  return { env, dir, a: await load(dir, env), b: await load(dir, env) };
}

/**
 * Plays `steps` steps of one episode with two copies of a policy, `a` explained twice before every
 * `act` and `b` never: sampling (`deterministic: false`) makes any random draw or step counted by
 * `explain` show as a different action. Returns the explanations and `a`'s actions.
 */
function twinEpisode(env: Env<Observation, Action>, a: Policy<Observation, Action>, b: Policy<Observation, Action>, steps: number, deterministic = false) {
  const seed = 1_000_007;
  a.reset(seed);
  b.reset(seed);
  let { observation } = env.reset({ seed });
  const explained: (ActionValues | null)[] = [];
  const actions: Action[] = [];
  for (let k = 0; k < steps; k++) {
    const e = a.explain!(observation);
    expect(a.explain!(observation), `step ${k}`).toEqual(e);
    const action = a.act(observation, { deterministic });
    expect(b.act(observation, { deterministic }), `step ${k}`).toEqual(action);
    explained.push(e);
    actions.push(action);
    const step = env.step(action);
    if (step.terminated || step.truncated) break;
    observation = step.observation;
  }
  return { explained, actions };
}

/** The arrays of a weights.bin, read here without the agents' code */
function readWeights(file: string): Record<string, { shape: number[]; data: Float32Array }> {
  const bytes = readFileSync(file);
  const headerLength = bytes.readUInt32LE(4);
  const header = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength)) as Record<string, { shape: number[]; offset: number }>;
  const body = new Float32Array(Uint8Array.from(bytes.subarray(8 + headerLength)).buffer);
  return Object.fromEntries(Object.entries(header).map(([k, h]) => [k, { shape: h.shape, data: body.subarray(h.offset, h.offset + h.shape.reduce((p, d) => p * d, 1)) }]));
}

/** x·w + b, then relu if asked */
function layer(x: number[], w: { shape: number[]; data: Float32Array }, b: { data: Float32Array }, relu: boolean): number[] {
  const [n, m] = w.shape;
  return Array.from({ length: m }, (_, j) => {
    let z = b.data[j];
    for (let i = 0; i < n; i++) z += x[i] * w.data[i * m + j];
    return relu ? Math.max(0, z) : z;
  });
}

describe('DQN explain', () => {
  it('gives the Q-values of the meta-actions, the greedy one chosen, as a forward pass of weights.bin computes them', async () => {
    const { env, dir, a } = await shipped('dqn-highway', loadDqn);
    const w = readWeights(join(dir, 'weights.bin'));
    a.reset(1_000_000);
    const { observation } = env.reset({ seed: 1_000_000 });
    const e = a.explain(observation);
    expect(e.kind).toBe('q');
    expect(e.labels).toEqual([...META_ACTIONS]);
    // Dueling heads over a relu trunk: Q = V + A − mean(A).
    const x = new Float32Array(flatSize(env.observationSpace));
    flattenInto(env.observationSpace, observation, x);
    let h = Array.from(x);
    for (let i = 0; w[`q/trunk/${i}/w`]; i++) h = layer(h, w[`q/trunk/${i}/w`], w[`q/trunk/${i}/b`], true);
    const v = layer(h, w['q/value/0/w'], w['q/value/0/b'], false)[0];
    const adv = layer(h, w['q/advantage/0/w'], w['q/advantage/0/b'], false);
    const mean = adv.reduce((s, z) => s + z, 0) / adv.length;
    const q = adv.map((z) => v + z - mean);
    expect(e.values).toHaveLength(META_ACTIONS.length);
    e.values.forEach((value, i) => expect(value).toBeCloseTo(q[i], 4));
    const best = q.indexOf(Math.max(...q));
    expect(e.chosen).toBe(best);
    // On fresh state act decides, and takes the action explain chose.
    expect(a.act(observation)).toBe(best);
    a.dispose();
    env.close();
  }, 120_000);

  it('changes nothing: twice the same, and the same actions after it, held and sampled ones included', async () => {
    const { env, a, b } = await shipped('dqn-highway', loadDqn);
    // Sampling explores at one decision in two, so a random draw taken by explain shows.
    a.args.explorationFinal = b.args.explorationFinal = 0.5;
    const before = tf.memory().numTensors;
    const { explained, actions } = twinEpisode(env, a, b, 40);
    expect(tf.memory().numTensors).toBe(before);
    expect(actions).toHaveLength(40);
    // Decisions fall every actionRepeat steps; there the deterministic choice is explain's.
    const det = twinEpisode(env, a, b, 40, true);
    for (let k = 0; k < det.actions.length; k += a.args.actionRepeat) expect(det.actions[k], `step ${k}`).toBe(det.explained[k]!.chosen);
    expect(explained.every((e) => e!.values.every(Number.isFinite))).toBe(true);
    (a as DqnPolicy).dispose();
    (b as DqnPolicy).dispose();
    env.close();
  }, 120_000);
});

describe('policy-gradient explain', () => {
  it.each([
    ['ppo-lane-keep-curvy', loadPpo],
    ['reinforce-lane-keep-curvy', loadReinforce],
  ] as const)('%s: a Gaussian whose mean is the deterministic action before clipping, with σ in the env\'s units', async (name, load) => {
    const { env, a, b } = await shipped(name, load);
    const scale = (a.args as { actionScale: number }).actionScale;
    const sigma = Array.from(a.net.std(), (s) => scale * s);
    const before = tf.memory().numTensors;
    const { explained } = twinEpisode(env, a, b, 30);
    expect(tf.memory().numTensors).toBe(before);
    for (const e of explained) {
      expect(e!.kind).toBe('gaussian');
      expect(e!.labels).toEqual(['steer', 'acceleration']);
      expect(e!.std).toEqual(sigma);
      expect(e!.chosen).toBeUndefined();
    }
    const det = twinEpisode(env, a, b, 30, true);
    det.actions.forEach((action, k) => {
      const mean = det.explained[k]!.values;
      expect(action, `step ${k}`).toEqual(Float32Array.from(mean, (m) => Math.max(-1, Math.min(1, m))));
    });
    // Not all clipped: the mean is compared where it says something.
    expect(det.explained.some((e) => e!.values.every((m) => Math.abs(m) < 1))).toBe(true);
    a.dispose();
    b.dispose();
    env.close();
  }, 120_000);

  it('a categorical policy: softmax probabilities of its logits, the likeliest chosen as act chooses it', async () => {
    const env = await make('highway', { action: { type: 'discrete' }, traffic: { vehicles: 4 } });
    const args = { hidden: [16], initialStd: 0.6, normalizeObservations: false, actionScale: 1 };
    const policy = (seed: number) => {
      const net = new ActorCritic(actorCriticFor(env.observationSpace, env.actionSpace, networkOptions(args)), seed);
      // A last layer of useful size, so that the probabilities differ from uniform.
      tf.tidy(() => net.actor.layers[1].w.assign(tf.mul(net.actor.layers[1].w, 300)));
      return new ActorCriticPolicy('ppo', net, args, env.observationSpace, env.actionSpace);
    };
    const a = policy(3), b = policy(3);
    const before = tf.memory().numTensors;
    const { explained } = twinEpisode(env, a, b, 20);
    expect(tf.memory().numTensors).toBe(before);
    const x = new Float32Array(flatSize(env.observationSpace));
    let { observation } = env.reset({ seed: 1_000_011 });
    for (let k = 0; k < 10; k++) {
      const e = a.explain(observation)!;
      expect(e.kind).toBe('probability');
      expect(e.labels).toEqual([...META_ACTIONS]);
      flattenInto(env.observationSpace, observation, x);
      const logits = Array.from(a.net.evaluate(x, 1).subarray(0, META_ACTIONS.length));
      const z = logits.map((l) => Math.exp(l));
      const total = z.reduce((s, p) => s + p, 0);
      e.values.forEach((p, i) => expect(p).toBeCloseTo(z[i] / total, 6));
      expect(Math.max(...e.values)).toBeGreaterThan(0.3);
      const action = a.act(observation) as number;
      expect(e.chosen).toBe(action);
      expect(action).toBe(logits.indexOf(Math.max(...logits)));
      observation = env.step(action).observation;
    }
    expect(explained.length).toBe(20);
    a.dispose();
    b.dispose();
    env.close();
  }, 120_000);
});

describe('Q-learning explain', () => {
  it('gives the table row of the state the next decision sees, and its greedy action', async () => {
    const { env, a, b } = await shipped('qlearning-obstacle-avoidance', (dir, e) => loadQlearning(dir, e as never));
    const interval = (a as unknown as { args: { decisionInterval: number } }).args.decisionInterval;
    const { explained } = twinEpisode(env, a, b, 60);
    expect(explained.filter((e) => e !== null).length).toBeGreaterThan(30);
    const det = twinEpisode(env, a, b, 60, true);
    let decisions = 0;
    det.actions.forEach((action, k) => {
      const e = det.explained[k];
      if (k % interval !== 0 || e === null) return;
      decisions++;
      expect(e.kind).toBe('q');
      expect(e.labels).toEqual([...META_ACTIONS]);
      expect(action, `step ${k}`).toBe(e.chosen);
    });
    expect(decisions).toBeGreaterThan(5);
    // A row of the table, as saved.
    const rows = Object.values((JSON.parse(readFileSync(join(MODELS, 'qlearning-obstacle-avoidance', 'qtable.json'), 'utf8')) as { q: Record<string, number[]> }).q);
    const row = det.explained.find((e) => e !== null)!.values;
    expect(rows.some((r) => r.every((v, i) => v === row[i]))).toBe(true);
    env.close();
  }, 120_000);

  it('is the row of the state, the greedy action among those allowed there chosen; null in a state never seen', async () => {
    // One lane: no lane change is allowed, whatever its value.
    const env = await make('highway', { action: { type: 'discrete' }, map: { lanes: 1 }, ego: { lane: 0 } });
    const encoding = { type: 'lane-gaps', key: 'features', range: 100, laneWidth: 3.6 } as const;
    const { observation } = env.reset({ seed: 0 });
    const state = stateOf(encoding, observation, startTracking(encoding, observation));
    const row = [9, 1, 8, 0.5, -1];
    const table = new Map([[state, Float64Array.from(row)]]);
    const policy = new TablePolicy('qlearning', {}, { decisionInterval: 1, laneChangeHold: 0, epsilon: 0, seed: 0 }, table, 5, encoding);
    policy.reset(0);
    expect(policy.explain(observation)).toEqual({ kind: 'q', labels: [...META_ACTIONS], values: row, chosen: META_ACTIONS.indexOf('IDLE') });
    expect(policy.act(observation)).toBe(META_ACTIONS.indexOf('IDLE'));
    const unseen = new TablePolicy('qlearning', {}, { decisionInterval: 1, laneChangeHold: 0, epsilon: 0, seed: 0 }, new Map(), 5, encoding);
    unseen.reset(0);
    expect(unseen.explain(observation)).toBeNull();
    env.close();
  });
});
