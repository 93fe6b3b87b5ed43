/**
 * Tabular Q-learning (Watkins 1989) for path planning with the discrete meta-actions. The feature
 * observation is cut into a small state (`agents/common/laneGaps.ts`), or taken as it is when the
 * env's observation space is already Discrete, and one table of action values is learnt by
 *
 *   Q(s, a) ← Q(s, a) + α (r + γ^τ max_a' Q(s', a') − Q(s, a))
 *
 * with ε-greedy exploration. A meta-action is a one-off change of the controller's targets, so the
 * agent decides every `decisionInterval` env steps and sends IDLE in between, as highway-env's
 * agents decide at 1 Hz over a faster simulation. A lane change is waited out until the ego
 * crosses into the new lane, so that no decision falls halfway across, where the state cannot
 * say which lane the controller is heading for. r is the reward summed over a decision's steps
 * and τ its length in decision intervals (a semi-MDP). The step size of a state–action pair is
 * 1/n over its first n updates, the mean of its samples, until that falls to `alpha`.
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
import { laneBeside, laneGapsAllowed, laneGapsState, laneOffsetOf, speedLevelOf, TOP_SPEED_LEVEL } from './common/laneGaps.ts';
import { Logger } from './common/logger.ts';
import { MANIFEST, readPolicyManifest, writePolicyManifest } from './common/manifest.ts';
import type { ActOptions, Policy } from './common/Policy.ts';
import { qRow, readJson, readTable, TABLE_FILE, tableFromRows, tableRows, tableText, type QTable, type StateEncoding } from './common/qtable.ts';
import { linearSchedule } from './common/schedules.ts';

export interface QLearningArgs {
  /** Env steps to train for */
  totalSteps: number;
  /** Step size α at the start of training, once a pair has had 1/α updates (before that, 1/n) */
  alpha: number;
  /** α at the end of training, reached linearly, so that the values settle */
  alphaEnd: number;
  /** Discount γ per decision interval */
  gamma: number;
  /** Exploration rate ε at the start of training */
  epsilonStart: number;
  /** ε at the end of its schedule, and from then on */
  epsilonEnd: number;
  /** Fraction of totalSteps over which ε falls linearly from epsilonStart to epsilonEnd */
  explorationFraction: number;
  /** Optimism β in training's greedy choices: Q + β / √(updates of the pair); 0 for none */
  explorationBonus: number;
  /** Env steps per decision; the steps between send IDLE, so above 1 it needs the meta-actions */
  decisionInterval: number;
  /** Env steps a lane change may run before the next decision, which comes sooner when the ego crosses into the new lane; 0 waits for no lane change */
  laneChangeHold: number;
  /** At each episode's end, the latest this many episodes are updated again, each from its last decision to its first */
  replayEpisodes: number;
  /** Validation episodes the greedy policy runs every evalInterval steps; train returns the best table they saw. 0 for none */
  evalEpisodes: number;
  /** Env steps between validations */
  evalInterval: number;
  /** Env seed of the first validation episode, apart from the training and test seeds */
  evalSeedStart: number;
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
  totalSteps: 300_000,
  alpha: 0.1,
  alphaEnd: 0.1,
  gamma: 0.95,
  epsilonStart: 1,
  epsilonEnd: 0.02,
  explorationFraction: 0.5,
  explorationBonus: 0,
  decisionInterval: 5,
  laneChangeHold: 100,
  replayEpisodes: 1,
  evalEpisodes: 0,
  evalInterval: 50_000,
  evalSeedStart: 500_000,
  seed: 0,
  trainSeedStart: 1_000_000,
  statsWindow: 100,
  logInterval: 5_000,
};

const unit = z.number().min(0).max(1);
const count = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const seed = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const ArgsInput = z.strictObject({
  totalSteps: count, alpha: unit.positive(), alphaEnd: unit.positive(), gamma: unit, epsilonStart: unit, epsilonEnd: unit, explorationFraction: unit.positive(), explorationBonus: z.number().min(0).max(1e6),
  decisionInterval: count.max(1000), laneChangeHold: z.number().int().min(0).max(1000), replayEpisodes: z.number().int().min(0).max(10_000), evalEpisodes: z.number().int().min(0).max(10_000), evalInterval: count, evalSeedStart: seed, seed, trainSeedStart: seed, statsWindow: count, logInterval: count,
}).partial();

/** The defaults with `args` merged in; a bad field is a one-line error naming it. */
export function qlearningArgs(args: unknown): QLearningArgs {
  const result = ArgsInput.safeParse(args ?? {});
  if (!result.success) throw new Error(result.error.issues.map((i) => `args.${formatPath(i.path)}: ${i.message}`).join('; '));
  return { ...DEFAULT_QLEARNING, ...result.data };
}

/** The meta-action that keeps the controller's targets; also taken in states never visited. */
const IDLE = META_ACTIONS.indexOf('IDLE');
const FASTER = META_ACTIONS.indexOf('FASTER'), SLOWER = META_ACTIONS.indexOf('SLOWER');
const LANE_CHANGES: Record<number, number> = { [META_ACTIONS.indexOf('LANE_LEFT')]: 1, [META_ACTIONS.indexOf('LANE_RIGHT')]: -1 };

/** The encoding for `env`: its own states when its observations are Discrete, else lane gaps. */
function encodingFor(env: Env<SpaceValue, SpaceValue>): StateEncoding {
  const space = env.observationSpace;
  if (space.type === 'discrete') return { type: 'discrete' };
  const scenario = env.unwrapped.scenario;
  const sensor = scenario.sensors.find((s) => s.type === 'features');
  if (space.type !== 'dict' || !sensor || !(sensor.id in space.spaces)) throw new Error('qlearning needs a Discrete observation space or a features sensor');
  return { type: 'lane-gaps', key: sensor.id, range: sensor.range, laneWidth: (scenario.map as { laneWidth?: number }).laneWidth ?? 3.6 };
}

const features = (encoding: StateEncoding & { type: 'lane-gaps' }, observation: SpaceValue) => (observation as Record<string, Float32Array>)[encoding.key];

/**
 * Where an episode stands between decisions: env steps since the last; the controller's target
 * lane, in lanes left of the ego's (+1 left, −1 right, 0 the ego's own), as the agent tracks it from
 * its own lane changes and the ego's crossings; steps since that last changed; the ego's lane offset.
 */
interface Clock { steps: number; change: number; changeSteps: number; offset: number; level: number }

function newClock(encoding: StateEncoding, observation: SpaceValue): Clock {
  if (encoding.type !== 'lane-gaps') return { steps: 0, change: 0, changeSteps: 0, offset: 0, level: 0 };
  const f = features(encoding, observation);
  return { steps: 0, change: 0, changeSteps: 0, offset: laneOffsetOf(f), level: speedLevelOf(f) };
}

/**
 * After each env step. Crossing into the next lane flips the ego's lane offset from one edge to
 * the other; to the left (+1 to −1) it leaves the target lane one lane less to the left. A change
 * still under way after laneChangeHold steps is taken as lost (a safety net; it should not happen).
 */
function tick(a: QLearningArgs, encoding: StateEncoding, clock: Clock, observation: SpaceValue): void {
  clock.steps++;
  if (encoding.type !== 'lane-gaps' || a.laneChangeHold === 0) return;
  const offset = laneOffsetOf(features(encoding, observation));
  if (Math.abs(offset - clock.offset) > 1) {
    clock.change += Math.sign(offset - clock.offset);
    clock.changeSteps = 0;
  } else if (clock.change !== 0 && ++clock.changeSteps >= a.laneChangeHold) clock.change = 0;
  clock.offset = offset;
}

/** At a decision: LANE_LEFT moves the controller's target lane one to the left (where there is one), LANE_RIGHT one to the right. */
function decided(a: QLearningArgs, encoding: StateEncoding, clock: Clock, action: number, observation: SpaceValue): void {
  clock.steps = 0;
  if (action === FASTER) clock.level = Math.min(clock.level + 1, TOP_SPEED_LEVEL);
  if (action === SLOWER) clock.level = Math.max(clock.level - 1, 0);
  const side = LANE_CHANGES[action] ?? 0;
  if (encoding.type !== 'lane-gaps' || a.laneChangeHold === 0 || side === 0) return;
  // The features show the lanes beside the ego's, so a change is tracked from the ego's lane, or back to it.
  if (clock.change === -side || (clock.change === 0 && laneBeside(features(encoding, observation), side))) {
    clock.change += side;
    clock.changeSteps = 0;
  }
}

function stateOf(encoding: StateEncoding, observation: SpaceValue, clock: Clock): number {
  return encoding.type === 'discrete' ? (observation as number) : laneGapsState(features(encoding, observation), encoding, clock.change, clock.level);
}

/** The actions with an effect in `state`, as bits: a lane change is not one toward no lane, nor a second while one is under way. */
function allowedIn(encoding: StateEncoding, state: number, actions: number): number {
  return encoding.type === 'lane-gaps' ? laneGapsAllowed(state) : 2 ** actions - 1;
}

const isAllowed = (allowed: number, action: number) => ((allowed >>> action) & 1) === 1;

/**
 * One update of Q(state, action) towards the tdTarget r + discount · max Q(next, a') over the
 * actions `nextAllowed` (bits) — r alone when `terminal`; returns the TD error.
 */
export function qUpdate(table: QTable, actions: number, state: number, action: number, reward: number, next: number, terminal: boolean, alpha: number, discount: number, nextAllowed = -1): number {
  const q = qRow(table, state, actions);
  const qNext = table.get(next);
  let best = -Infinity;
  if (!terminal && qNext) for (let b = 0; b < actions; b++) if (isAllowed(nextAllowed, b) && qNext[b] > best) best = qNext[b];
  const tdTarget = best === -Infinity ? reward : reward + discount * best;
  const tdError = tdTarget - q[action];
  q[action] += alpha * tdError;
  return tdError;
}

/** The greedy action among `allowed`: ties go to IDLE if it is among them, else to the first; unseen states to IDLE. */
function greedy(q: Float64Array | undefined, actions: number, allowed: number): number {
  const keep = Math.min(IDLE, actions - 1);
  if (!q) return keep;
  let best = -1;
  for (let a = 0; a < actions; a++) if (isAllowed(allowed, a) && (best < 0 || q[a] > q[best])) best = a;
  return isAllowed(allowed, keep) && q[keep] === q[best] ? keep : best;
}

/**
 * ε-greedy among `allowed`, with seeded tie-breaking among the best. With visit counts `n`, the
 * greedy choice is optimistic about what was seldom tried: it maximises Q + bonus / √n, and an
 * action never tried comes first (MBIE-EB, Strehl & Littman 2008).
 */
function epsilonGreedy(q: Float64Array | undefined, actions: number, allowed: number, epsilon: number, rng: Rng, n?: Uint32Array, bonus = 0): number {
  const explore = rng.next() < epsilon || !q;
  const value = (a: number) => (n && bonus > 0 ? (n[a] === 0 ? Infinity : q![a] + bonus / Math.sqrt(n[a])) : q![a]);
  let max = -Infinity;
  if (!explore) for (let a = 0; a < actions; a++) if (isAllowed(allowed, a) && value(a) > max) max = value(a);
  const candidates: number[] = [];
  for (let a = 0; a < actions; a++) if (isAllowed(allowed, a) && (explore || value(a) === max)) candidates.push(a);
  return candidates.length === 1 ? candidates[0] : candidates[rng.int(0, candidates.length - 1)];
}

class QPolicy implements Policy<SpaceValue, number> {
  readonly name = 'qlearning';
  private clock: Clock | null = null;
  private rng = Rng.seeded(0);

  constructor(readonly table: QTable, readonly actions: number, readonly encoding: StateEncoding, readonly args: QLearningArgs) {}

  /** Greedy by default; with `deterministic: false`, ε-greedy at epsilonEnd. */
  act(observation: SpaceValue, options: ActOptions = {}): number {
    if (!this.clock) this.clock = newClock(this.encoding, observation);
    else tick(this.args, this.encoding, this.clock, observation);
    if (this.clock.steps > 0 && this.clock.steps < this.args.decisionInterval) return IDLE;
    const state = stateOf(this.encoding, observation, this.clock);
    const q = this.table.get(state), allowed = allowedIn(this.encoding, state, this.actions);
    const action = options.deterministic === false ? epsilonGreedy(q, this.actions, allowed, this.args.epsilonEnd, this.rng) : greedy(q, this.actions, allowed);
    decided(this.args, this.encoding, this.clock, action, observation);
    return action;
  }

  reset(episodeSeed: number): void {
    if (!Number.isSafeInteger(episodeSeed) || episodeSeed < 0) throw new Error(`reset: expected the episode's seed, a non-negative integer, got ${episodeSeed}`);
    this.clock = null;
    // The agent's seed and the episode's, hashed with a constant of this agent's own.
    let h = mix32(0x51a7e ^ (this.args.seed >>> 0) ^ Math.floor(this.args.seed / 2 ** 32));
    h = mix32(h ^ (episodeSeed >>> 0) ^ Math.floor(episodeSeed / 2 ** 32));
    this.rng = Rng.seeded(h >>> 0);
  }

  save(dir: string): Promise<void> {
    return this.write(dir, tableText(this.table, this.actions, this.encoding));
  }

  async write(dir: string, table: string): Promise<void> {
    await writePolicyManifest(dir, { agent: 'qlearning', args: this.args, actionSpace: { type: 'discrete', n: this.actions } });
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    await writeFile(join(dir, TABLE_FILE), table + '\n');
  }
}

/** One decision's experience: state, action, reward, next state, terminal (1) or not (0), discount */
type Transition = [number, number, number, number, number, number];

/** Everything a run needs to go on exactly where it stopped, besides the table and the args. */
interface TrainState {
  step: number;
  episodes: number;
  rng: number[];
  /** Updates of each state–action pair, for the step size */
  visits: Record<string, number[]>;
  /** The episode under way: its seed and env actions so far (replayed on resume), and the open decision */
  episode: { seed: number; actions: number[]; return: number; clock: Clock; decision: { state: number; action: number; reward: number } | null; transitions: Transition[] } | null;
  /** The latest episodes' decisions, replayed at each episode's end */
  replay: Transition[][];
  /** The latest episodes, for the rollout/ means */
  recent: { return: number; length: number; success: boolean }[];
  /** Steps of the next and the last validation; the best validation so far and its table; the latest validation's scalars, for the next logger row */
  nextEval: number;
  evaluatedAt: number;
  best: { successRate: number; meanReward: number; step: number; q: Record<string, number[]> } | null;
  evalRow: Record<string, number> | null;
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
  const alpha = linearSchedule(a.alpha, a.alphaEnd);
  const logger = options.logger ?? new Logger();

  let table: QTable = new Map();
  let s: TrainState = { step: 0, episodes: 0, rng: [], visits: {}, episode: null, replay: [], recent: [], nextEval: a.evalInterval, evaluatedAt: -1, best: null, evalRow: null, tdSum: 0, tdCount: 0, updates: 0 };
  if (options.resume) {
    ({ table, state: s } = await readCheckpoint(options.resume, actions));
    logger.truncateAfter(s.step);
  }
  const rng = options.resume ? Rng.fromState(s.rng) : Rng.seeded(a.seed);
  const visits = new Map(Object.entries(s.visits).map(([k, v]) => [Number(k), Uint32Array.from(v)]));
  const policy = new QPolicy(table, actions, encoding, a);
  let result = policy;
  const ctx: TrainContext = {
    algorithm: 'qlearning',
    get step() { return s.step; },
    totalSteps: a.totalSteps,
    get episodes() { return s.episodes; },
    logger,
    get policy() { return result; },
    checkpoint: (dir) => {
      // Serialised at once, so that training going on meanwhile cannot change what is written.
      const state = JSON.stringify({ ...s, rng: rng.state(), visits: Object.fromEntries([...visits].map(([k, v]) => [k, Array.from(v)])) });
      return writeCheckpoint(dir, policy, tableText(table, actions, encoding), state);
    },
  };

  // On resume, the episode under way is replayed to where it stood.
  let observation: SpaceValue = 0;
  if (s.episode) {
    observation = env.reset({ seed: s.episode.seed }).observation;
    for (const action of s.episode.actions) {
      const r = env.step(action);
      if (r.terminated || r.truncated) throw new Error(`resume: episode ${s.episode.seed} ended while it was replayed; the env is not deterministic`);
      observation = r.observation;
    }
  }

  const t0 = performance.now(), step0 = s.step;
  const dump = () => {
    const n = s.recent.length;
    if (n > 0) {
      logger.record('rollout/ep_rew_mean', s.recent.reduce((x, e) => x + e.return, 0) / n);
      logger.record('rollout/ep_len_mean', s.recent.reduce((x, e) => x + e.length, 0) / n);
      logger.record('rollout/success_rate', s.recent.filter((e) => e.success).length / n);
    }
    logger.record('rollout/exploration_rate', epsilon(s.step / a.totalSteps));
    for (const [key, value] of Object.entries(s.evalRow ?? {})) logger.record(key, value);
    s.evalRow = null;
    if (s.tdCount > 0) logger.record('train/td_error', s.tdSum / s.tdCount);
    logger.record('train/n_updates', s.updates);
    logger.record('train/n_states', table.size);
    logger.record('time/episodes', s.episodes);
    logger.record('time/fps', (s.step - step0) / Math.max((performance.now() - t0) / 1000, 1e-9));
    logger.dump(s.step);
    s.tdSum = s.tdCount = 0;
  };

  // Validation runs between training episodes, on the same env, with its own seeds.
  const validate = () => {
    const greedy = new QPolicy(table, actions, encoding, a);
    let successes = 0, total = 0, length = 0;
    for (let i = 0; i < a.evalEpisodes; i++) {
      let obs = env.reset({ seed: a.evalSeedStart + i }).observation;
      greedy.reset(a.evalSeedStart + i);
      for (let done = false; !done; length++) {
        const r = env.step(greedy.act(obs));
        total += r.reward;
        obs = r.observation;
        done = r.terminated || r.truncated;
        if (done && r.info.outcome === 'goal') successes++;
      }
    }
    const successRate = successes / a.evalEpisodes, meanReward = total / a.evalEpisodes;
    s.evaluatedAt = s.step;
    s.evalRow = { 'eval/success_rate': successRate, 'eval/mean_reward': meanReward, 'eval/mean_ep_length': length / a.evalEpisodes };
    // The most successes, and among as many, the highest mean reward (Stable-Baselines3's EvalCallback keeps the highest mean reward).
    if (!s.best || successRate > s.best.successRate || (successRate === s.best.successRate && meanReward > s.best.meanReward)) {
      s.best = { successRate, meanReward, step: s.step, q: tableRows(table) };
    }
  };

  for (const cb of callbacks) await cb.onTrainingStart?.(ctx);
  while (s.step < a.totalSteps) {
    if (!s.episode && a.evalEpisodes > 0 && s.step >= s.nextEval) {
      validate();
      s.nextEval += a.evalInterval;
    }
    if (!s.episode) {
      const seed = a.trainSeedStart + s.episodes;
      observation = env.reset({ seed }).observation;
      s.episode = { seed, actions: [], return: 0, clock: newClock(encoding, observation), decision: null, transitions: [] };
    }
    const ep = s.episode;
    let action = IDLE;
    if (!ep.decision) {
      const state = stateOf(encoding, observation, ep.clock);
      action = epsilonGreedy(table.get(state), actions, allowedIn(encoding, state, actions), epsilon(s.step / a.totalSteps), rng, visits.get(state), a.explorationBonus);
      decided(a, encoding, ep.clock, action, observation);
      ep.decision = { state, action, reward: 0 };
    }
    const d = ep.decision;
    const r = env.step(action);
    s.step++;
    ep.actions.push(action);
    ep.return += r.reward;
    d.reward += r.reward;
    observation = r.observation;
    tick(a, encoding, ep.clock, observation);
    const done = r.terminated || r.truncated;

    if (done || ep.clock.steps >= a.decisionInterval) {
      let v = visits.get(d.state);
      if (!v) visits.set(d.state, (v = new Uint32Array(actions)));
      const n = ++v[d.action];
      // A decision cut short by the time limit is discounted for the steps it had.
      const discount = a.gamma ** (ep.clock.steps / a.decisionInterval);
      const next = stateOf(encoding, observation, ep.clock);
      const stepSize = Math.max(alpha(s.step / a.totalSteps), 1 / n);
      const tdError = qUpdate(table, actions, d.state, d.action, d.reward, next, r.terminated, stepSize, discount, allowedIn(encoding, next, actions));
      if (a.replayEpisodes > 0) ep.transitions.push([d.state, d.action, d.reward, next, r.terminated ? 1 : 0, discount]);
      ep.decision = null;
      s.tdSum += Math.abs(tdError);
      s.tdCount++;
      s.updates++;
      for (const cb of callbacks) cb.onUpdate?.(ctx, { 'train/td_error': tdError, 'train/learning_rate': stepSize });
    }
    if (done) {
      const summary: EpisodeSummary = { return: ep.return, length: ep.actions.length, success: r.info.outcome === 'goal', truncated: r.truncated && !r.terminated };
      s.recent.push({ return: summary.return, length: summary.length, success: summary.success });
      if (s.recent.length > a.statsWindow) s.recent.shift();
      // Lin's (1992) backward replay: the latest episodes' lessons again, each from its end, so that
      // what an end taught reaches the decisions that led there in one sweep.
      s.replay.push(ep.transitions);
      if (s.replay.length > a.replayEpisodes) s.replay.shift();
      for (let e = s.replay.length - 1; e >= 0; e--) {
        for (let i = s.replay[e].length - 1; i >= 0; i--) {
          const [state, action, reward, next, terminal, discount] = s.replay[e][i];
          qUpdate(table, actions, state, action, reward, next, terminal === 1, alpha(s.step / a.totalSteps), discount, allowedIn(encoding, next, actions));
        }
      }
      s.episodes++;
      s.episode = null;
      for (const cb of callbacks) cb.onEpisodeEnd?.(ctx, summary);
    }
    if (s.step % a.logInterval === 0) dump();
    let go = true;
    for (const cb of callbacks) if ((await cb.onStep?.(ctx)) === false) go = false;
    if (!go) break;
  }
  if (a.evalEpisodes > 0) {
    if (s.evaluatedAt !== s.step) validate();
    if (s.best!.step !== s.step) result = new QPolicy(tableFromRows(s.best!.q), actions, encoding, a);
  }
  if (s.step % a.logInterval !== 0 || s.evalRow) dump();
  for (const cb of callbacks) await cb.onTrainingEnd?.(ctx);
  return result;
}

const TRAIN_STATE = 'train-state.json';

/** A checkpoint is a saved policy (policy.json and the table) plus the run's own state. */
async function writeCheckpoint(dir: string, policy: QPolicy, table: string, state: string): Promise<void> {
  await policy.write(dir, table);
  const { writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  await writeFile(join(dir, TRAIN_STATE), state + '\n');
}

async function readCheckpoint(dir: string, actions: number): Promise<{ table: QTable; state: TrainState }> {
  const { join } = await import('node:path');
  const { table } = await readTable(join(dir, TABLE_FILE), actions);
  const file = join(dir, TRAIN_STATE);
  const state = (await readJson(file)) as TrainState;
  for (const key of ['step', 'episodes', 'tdSum', 'tdCount', 'updates'] as const) {
    if (typeof state?.[key] !== 'number' || !Number.isFinite(state[key])) throw new Error(`${file}: ${key}: expected a number, got ${JSON.stringify(state?.[key])}`);
  }
  for (const key of ['rng', 'recent', 'replay'] as const) if (!Array.isArray(state[key])) throw new Error(`${file}: ${key}: expected an array, got ${JSON.stringify(state[key])}`);
  if (typeof state.visits !== 'object' || state.visits === null) throw new Error(`${file}: visits: expected an object, got ${JSON.stringify(state.visits)}`);
  return { table, state };
}

/** The greedy policy saved in `dir` (by `save` or a checkpoint), for `env`. */
export async function load(dir: string, env: Env<SpaceValue, SpaceValue>): Promise<Policy<SpaceValue, number>> {
  const { join } = await import('node:path');
  const manifest = await readPolicyManifest(dir);
  const file = join(dir, MANIFEST);
  if (manifest.agent !== 'qlearning') throw new Error(`${file}: agent: expected "qlearning", got "${manifest.agent}"`);
  let args: QLearningArgs;
  try {
    args = qlearningArgs(manifest.args);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  if (env.actionSpace.type !== 'discrete') throw new Error('qlearning needs a Discrete action space; set action.type to "discrete"');
  const { table, encoding } = await readTable(join(dir, TABLE_FILE), env.actionSpace.n);
  return new QPolicy(table, env.actionSpace.n, encoding, args);
}
