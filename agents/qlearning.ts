/**
 * Tabular Q-learning (Watkins 1989) for path planning with the discrete meta-actions: the feature
 * observation is cut into a small state (`agents/common/laneGaps.ts`), or taken as it is when the
 * env's observation space is already Discrete, and one table of action values is learnt by
 *
 *   Q(s, a) ← Q(s, a) + α (r + γ max_a' Q(s', a') − Q(s, a))
 *
 * with ε-greedy exploration. The agent decides every `decisionInterval` env steps and sends IDLE in
 * between, as highway-env's agents decide at 1 Hz over a faster simulation: a meta-action is a
 * one-off change of the controller's targets, so r is the reward summed over the decision's steps
 * and γ is per decision.
 *
 * Training episode i runs on env seed `trainSeedStart + i`, far above the test seeds 0–49.
 */
import { z } from 'zod';
import { formatPath } from '../scenarios/parse.ts';
import { META_ACTIONS } from '../sim/control/MetaController.ts';
import type { Env } from '../sim/env/Env.ts';
import type { SpaceValue } from '../sim/env/spaces.ts';
import { mix32, Rng } from '../sim/rng.ts';
import type { Callback, EpisodeSummary, TrainContext } from './common/callbacks.ts';
import { laneGapsState } from './common/laneGaps.ts';
import { Logger } from './common/logger.ts';
import { readPolicyManifest, writePolicyManifest, MANIFEST } from './common/manifest.ts';
import type { ActOptions, Policy } from './common/Policy.ts';
import { linearSchedule } from './common/schedules.ts';

export interface QLearningArgs {
  /** Env steps to train for */
  totalSteps: number;
  /** Step size α of the update */
  alpha: number;
  /** Discount γ per decision */
  gamma: number;
  /** Exploration rate ε at the start of training */
  epsilonStart: number;
  /** ε at the end of its schedule, and from then on */
  epsilonEnd: number;
  /** Fraction of totalSteps over which ε falls linearly from epsilonStart to epsilonEnd */
  explorationFraction: number;
  /** Env steps per decision; the steps between send IDLE, so above 1 it needs the meta-actions */
  decisionInterval: number;
  /** Seed of the exploration stream: ε draws and tie-breaks */
  seed: number;
  /** Env seed of the first training episode; episode i runs on trainSeedStart + i */
  trainSeedStart: number;
  /** Latest episodes the rollout/ means are taken over */
  statsWindow: number;
  /** Env steps between rows of the logger */
  logInterval: number;
}

export const DEFAULT_QLEARNING: QLearningArgs = {
  totalSteps: 200_000,
  alpha: 0.1,
  gamma: 0.95,
  epsilonStart: 1,
  epsilonEnd: 0.02,
  explorationFraction: 0.5,
  decisionInterval: 5,
  seed: 0,
  trainSeedStart: 1_000_000,
  statsWindow: 100,
  logInterval: 5_000,
};

const unit = z.number().min(0).max(1);
const count = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const ArgsInput = z.strictObject({
  totalSteps: count, alpha: unit.positive(), gamma: unit, epsilonStart: unit, epsilonEnd: unit,
  explorationFraction: unit.positive(), decisionInterval: count.max(1000), seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  trainSeedStart: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), statsWindow: count, logInterval: count,
}).partial();

/** The defaults with `args` merged in; a bad field is a one-line error naming it. */
export function qlearningArgs(args: unknown): QLearningArgs {
  const result = ArgsInput.safeParse(args ?? {});
  if (!result.success) {
    throw new Error(result.error.issues.map((i) => `args.${formatPath(i.path)}: ${i.message}`).join('; '));
  }
  return { ...DEFAULT_QLEARNING, ...result.data };
}

/** The meta-action that keeps the controller's targets; also taken in states never visited. */
const IDLE = META_ACTIONS.indexOf('IDLE');

/** How observations become states; saved with the table, so a policy reads them as it learnt them. */
export type StateEncoding = { type: 'discrete' } | { type: 'lane-gaps'; key: string; range: number; laneWidth: number };

/** The encoding for `env`: its own states when its observations are Discrete, else lane gaps. */
function encodingFor(env: Env<SpaceValue, SpaceValue>): StateEncoding {
  const space = env.observationSpace;
  if (space.type === 'discrete') return { type: 'discrete' };
  const scenario = env.unwrapped.scenario;
  const sensor = scenario.sensors.find((s) => s.type === 'features');
  if (space.type !== 'dict' || !sensor || !(sensor.id in space.spaces)) throw new Error('qlearning needs a Discrete observation space or a features sensor');
  const map = scenario.map as { laneWidth?: number };
  return { type: 'lane-gaps', key: sensor.id, range: sensor.range, laneWidth: map.laneWidth ?? 3.6 };
}

function stateOf(encoding: StateEncoding, observation: SpaceValue): number {
  if (encoding.type === 'discrete') return observation as number;
  return laneGapsState((observation as Record<string, Float32Array>)[encoding.key], encoding);
}

/** Action values by state; a state never visited has none. */
export type QTable = Map<number, Float64Array>;

function row(table: QTable, state: number, actions: number): Float64Array {
  let q = table.get(state);
  if (!q) table.set(state, (q = new Float64Array(actions)));
  return q;
}

/**
 * One Q-learning update of Q(state, action) towards the tdTarget r + γ max Q(next) (r alone when
 * `terminal`); returns the TD error.
 */
export function qUpdate(table: QTable, actions: number, state: number, action: number, reward: number, next: number, terminal: boolean, alpha: number, gamma: number): number {
  const q = row(table, state, actions);
  let best = 0;
  const qNext = table.get(next);
  if (!terminal && qNext) best = Math.max(...qNext);
  const tdTarget = terminal ? reward : reward + gamma * best;
  const tdError = tdTarget - q[action];
  q[action] += alpha * tdError;
  return tdError;
}

/** The greedy action: ties go to IDLE if it is among them, else to the first; unseen states to IDLE. */
function greedy(q: Float64Array | undefined, actions: number): number {
  const keep = Math.min(IDLE, actions - 1);
  if (!q) return keep;
  let best = 0;
  for (let a = 1; a < actions; a++) if (q[a] > q[best]) best = a;
  return q[keep] === q[best] ? keep : best;
}

/** ε-greedy with seeded tie-breaking among the best actions. */
function epsilonGreedy(q: Float64Array | undefined, actions: number, epsilon: number, rng: Rng): number {
  if (rng.next() < epsilon || !q) return rng.int(0, actions - 1);
  const max = Math.max(...q);
  const ties: number[] = [];
  for (let a = 0; a < actions; a++) if (q[a] === max) ties.push(a);
  return ties.length === 1 ? ties[0] : ties[rng.int(0, ties.length - 1)];
}

class QPolicy implements Policy<SpaceValue, number> {
  readonly name = 'qlearning';
  private since = 0;
  private rng = Rng.seeded(0);

  constructor(readonly table: QTable, readonly actions: number, readonly encoding: StateEncoding, readonly args: QLearningArgs) {}

  /** Greedy by default; with `deterministic: false`, ε-greedy at epsilonEnd. */
  act(observation: SpaceValue, options: ActOptions = {}): number {
    const decide = this.since === 0;
    this.since = (this.since + 1) % this.args.decisionInterval;
    if (!decide) return IDLE;
    const q = this.table.get(stateOf(this.encoding, observation));
    return options.deterministic === false ? epsilonGreedy(q, this.actions, this.args.epsilonEnd, this.rng) : greedy(q, this.actions);
  }

  reset(episodeSeed: number): void {
    if (!Number.isSafeInteger(episodeSeed) || episodeSeed < 0) throw new Error(`reset: expected the episode's seed, a non-negative integer, got ${episodeSeed}`);
    this.since = 0;
    // The agent's seed and the episode's, hashed with a constant of this agent's own.
    this.rng = Rng.seeded(mix32(mix32(0x51a7e ^ this.args.seed) ^ episodeSeed) >>> 0);
  }

  save(dir: string): Promise<void> {
    return this.saveTable(dir, JSON.stringify(tableJson(this.table, this.actions, this.encoding)));
  }

  async saveTable(dir: string, tableText: string): Promise<void> {
    await writePolicyManifest(dir, { agent: 'qlearning', args: this.args, actionSpace: { type: 'discrete', n: this.actions } });
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    await writeFile(join(dir, TABLE), tableText + '\n');
  }
}

/** Everything a run needs to go on exactly where it stopped, besides the table and the args. */
interface TrainState {
  step: number;
  episodes: number;
  rng: number[];
  /** The episode under way: its seed and env actions so far (replayed on resume), and the open decision */
  episode: { seed: number; actions: number[]; return: number; decision: { state: number; action: number; reward: number } | null } | null;
  /** The latest episodes, for the rollout/ means */
  recent: { return: number; length: number; success: boolean }[];
  /** Sum of |TD error| and updates since the last logger row; updates in all */
  tdSum: number;
  tdCount: number;
  updates: number;
}

export interface TrainOptions {
  /** A checkpoint directory written by `ctx.checkpoint` to go on from */
  resume?: string;
  /** Where the rows go; an in-memory logger if none */
  logger?: Logger;
}

/** Trains a Q-table in `env` (Discrete actions) and returns the greedy policy over it. */
export async function train(env: Env<SpaceValue, SpaceValue>, args: Partial<QLearningArgs> = {}, callbacks: Callback[] = [], options: TrainOptions = {}): Promise<Policy<SpaceValue, number>> {
  const a = qlearningArgs(args);
  if (env.actionSpace.type !== 'discrete') throw new Error('qlearning needs a Discrete action space; set action.type to "discrete"');
  const actions = env.actionSpace.n;
  if (a.decisionInterval > 1 && actions !== META_ACTIONS.length) throw new Error('args.decisionInterval: the steps between decisions send IDLE, which only the meta-actions have; use 1');
  const encoding = encodingFor(env);
  const epsilon = linearSchedule(a.epsilonStart, a.epsilonEnd, a.explorationFraction);
  const logger = options.logger ?? new Logger();

  let table: QTable = new Map();
  let s: TrainState = { step: 0, episodes: 0, rng: [], episode: null, recent: [], tdSum: 0, tdCount: 0, updates: 0 };
  let rng = Rng.seeded(a.seed);
  if (options.resume) {
    ({ table, state: s } = await readCheckpoint(options.resume, actions));
    rng = Rng.fromState(s.rng);
    logger.truncateAfter(s.step);
  }
  const policy = new QPolicy(table, actions, encoding, a);
  const ctx: TrainContext = {
    algorithm: 'qlearning',
    get step() { return s.step; },
    totalSteps: a.totalSteps,
    get episodes() { return s.episodes; },
    logger,
    policy,
    // Serialised at once, so that training going on meanwhile cannot change what is written.
    checkpoint: (dir) => writeCheckpoint(dir, policy, JSON.stringify({ ...s, rng: rng.state() })),
  };

  // The observation's state; on resume, the episode under way is replayed to where it stood.
  let state = 0;
  if (s.episode) {
    let r = env.reset({ seed: s.episode.seed });
    let obs = r.observation;
    for (const action of s.episode.actions) {
      const step = env.step(action);
      if (step.terminated || step.truncated) throw new Error(`resume: episode ${s.episode.seed} ended while replaying it; the env is not deterministic`);
      obs = step.observation;
    }
    state = stateOf(encoding, obs);
  }

  const t0 = performance.now(), step0 = s.step;
  const counts = new Map<number, Uint32Array>();
  const dump = () => {
    const n = s.recent.length;
    if (n > 0) {
      logger.record('rollout/ep_rew_mean', s.recent.reduce((x, e) => x + e.return, 0) / n);
      logger.record('rollout/ep_len_mean', s.recent.reduce((x, e) => x + e.length, 0) / n);
      logger.record('rollout/success_rate', s.recent.filter((e) => e.success).length / n);
    }
    logger.record('rollout/exploration_rate', epsilon(s.step / a.totalSteps));
    if (s.tdCount > 0) logger.record('train/td_error', s.tdSum / s.tdCount);
    logger.record('train/learning_rate', a.alpha);
    logger.record('train/n_updates', s.updates);
    logger.record('train/n_states', table.size);
    logger.record('time/episodes', s.episodes);
    logger.record('time/fps', (s.step - step0) / Math.max((performance.now() - t0) / 1000, 1e-9));
    logger.dump(s.step);
    s.tdSum = s.tdCount = 0;
  };

  for (const cb of callbacks) await cb.onTrainingStart?.(ctx);
  while (s.step < a.totalSteps) {
    if (!s.episode) {
      const seed = a.trainSeedStart + s.episodes;
      state = stateOf(encoding, env.reset({ seed }).observation);
      s.episode = { seed, actions: [], return: 0, decision: null };
    }
    const ep = s.episode;
    let action = IDLE;
    if (!ep.decision) {
      action = epsilonGreedy(table.get(state), actions, epsilon(s.step / a.totalSteps), rng);
      ep.decision = { state, action, reward: 0 };
    }
    const r = env.step(action);
    s.step++;
    ep.actions.push(action);
    ep.return += r.reward;
    ep.decision.reward += r.reward;
    state = stateOf(encoding, r.observation);
    const done = r.terminated || r.truncated;

    if (done || ep.actions.length % a.decisionInterval === 0) {
      const d = ep.decision;
      const cnt = counts.get(d.state) ?? new Uint32Array(actions); counts.set(d.state, cnt); cnt[d.action]++;
      const tdError = qUpdate(table, actions, d.state, d.action, d.reward, state, r.terminated, Math.max(a.alpha, 1 / cnt[d.action]), a.gamma);
      ep.decision = null;
      s.tdSum += Math.abs(tdError);
      s.tdCount++;
      s.updates++;
      for (const cb of callbacks) cb.onUpdate?.(ctx, { 'train/td_error': tdError, 'train/learning_rate': a.alpha });
    }
    if (done) {
      const summary: EpisodeSummary = { return: ep.return, length: ep.actions.length, success: r.info.outcome === 'goal', truncated: r.truncated && !r.terminated };
      s.recent.push({ return: summary.return, length: summary.length, success: summary.success });
      if (s.recent.length > a.statsWindow) s.recent.shift();
      s.episodes++;
      s.episode = null;
      for (const cb of callbacks) cb.onEpisodeEnd?.(ctx, summary);
    }
    if (s.step % a.logInterval === 0) dump();
    let go = true;
    for (const cb of callbacks) if ((await cb.onStep?.(ctx)) === false) go = false;
    if (!go) break;
  }
  if (s.step % a.logInterval !== 0) dump();
  for (const cb of callbacks) await cb.onTrainingEnd?.(ctx);
  return policy;
}

const TABLE = 'qtable.json';
const TRAIN_STATE = 'train-state.json';
const TABLE_VERSION = 1;

function tableJson(table: QTable, actions: number, encoding: StateEncoding) {
  const q: Record<string, number[]> = {};
  for (const [state, values] of [...table].sort((x, y) => x[0] - y[0])) q[state] = Array.from(values);
  return { version: TABLE_VERSION, encoding, actions, q };
}

/** A checkpoint is a saved policy (policy.json, the table) plus the run's own state. */
async function writeCheckpoint(dir: string, policy: QPolicy, stateText: string): Promise<void> {
  const tableText = JSON.stringify(tableJson(policy.table, policy.actions, policy.encoding));
  await policy.saveTable(dir, tableText);
  const { writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  await writeFile(join(dir, TRAIN_STATE), stateText + '\n');
}

async function readCheckpoint(dir: string, actions: number): Promise<{ table: QTable; state: TrainState }> {
  const { join } = await import('node:path');
  const { table } = await readTable(join(dir, TABLE), actions);
  const file = join(dir, TRAIN_STATE);
  const state = (await readJson(file)) as TrainState;
  for (const key of ['step', 'episodes', 'tdSum', 'tdCount', 'updates'] as const) {
    if (typeof state[key] !== 'number' || !Number.isFinite(state[key])) throw new Error(`${file}: ${key}: expected a number, got ${JSON.stringify(state[key])}`);
  }
  if (!Array.isArray(state.rng) || !Array.isArray(state.recent)) throw new Error(`${file}: rng and recent: expected arrays`);
  return { table, state };
}

async function readJson(file: string): Promise<unknown> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(`${file}: cannot read it`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

/** A saved table, checked field by field; each problem is one line naming the file and field. */
async function readTable(file: string, actions: number): Promise<{ table: QTable; encoding: StateEncoding }> {
  const data = (await readJson(file)) as Record<string, unknown>;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error(`${file}: expected an object`);
  if (data.version !== TABLE_VERSION) throw new Error(`${file}: version: expected ${TABLE_VERSION}, got ${JSON.stringify(data.version)}`);
  if (data.actions !== actions) throw new Error(`${file}: actions: expected ${actions} (the env's Discrete(${actions})), got ${JSON.stringify(data.actions)}`);
  const enc = data.encoding as StateEncoding;
  const good = enc?.type === 'discrete' || (enc?.type === 'lane-gaps' && typeof enc.key === 'string' && enc.range > 0 && enc.laneWidth > 0);
  if (!good) throw new Error(`${file}: encoding: expected { type: "discrete" } or { type: "lane-gaps", key, range, laneWidth }, got ${JSON.stringify(enc)}`);
  const q = data.q;
  if (typeof q !== 'object' || q === null || Array.isArray(q)) throw new Error(`${file}: q: expected an object of states to action values, got ${JSON.stringify(q)}`);
  const table: QTable = new Map();
  for (const [key, values] of Object.entries(q)) {
    if (!/^(0|[1-9]\d*)$/.test(key)) throw new Error(`${file}: q["${key}"]: expected a state number as the key`);
    if (!Array.isArray(values) || values.length !== actions || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new Error(`${file}: q["${key}"]: expected ${actions} finite numbers, got ${JSON.stringify(values)}`);
    }
    table.set(Number(key), Float64Array.from(values));
  }
  return { table, encoding: enc };
}

/** The greedy policy saved in `dir` (by `save` or a checkpoint), for `env`. */
export async function load(dir: string, env: Env<SpaceValue, SpaceValue>): Promise<Policy<SpaceValue, number>> {
  const { join } = await import('node:path');
  const manifest = await readPolicyManifest(dir);
  if (manifest.agent !== 'qlearning') throw new Error(`${join(dir, MANIFEST)}: agent: expected "qlearning", got "${manifest.agent}"`);
  let args: QLearningArgs;
  try {
    args = qlearningArgs(manifest.args);
  } catch (err) {
    throw new Error(`${join(dir, MANIFEST)}: ${(err as Error).message}`);
  }
  if (env.actionSpace.type !== 'discrete') throw new Error('qlearning needs a Discrete action space; set action.type to "discrete"');
  const { table, encoding } = await readTable(join(dir, TABLE), env.actionSpace.n);
  return new QPolicy(table, env.actionSpace.n, encoding, args);
}
