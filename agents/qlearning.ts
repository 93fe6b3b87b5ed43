/**
 * Tabular Q-learning (Watkins 1989) for path planning with the discrete meta-actions:
 *
 *   Q(s, a) ← Q(s, a) + α (r + γ^τ max_a' Q(s', a') − Q(s, a))
 *
 * States come from `common/tabularState.ts`: the env's own when its observations are Discrete,
 * else lane gaps read from the features. A meta-action is a one-off change of the controller's
 * targets, so the agent decides every `decisionInterval` env steps and sends IDLE in between, as
 * highway-env's agents decide at 1 Hz over a faster simulation: r is the reward summed over a
 * decision's steps and τ its length in decision intervals. A pair's step size is 1/n over its
 * first n updates (the mean of its samples) until that falls to α, which falls over training.
 *
 * Exploration is ε-greedy, random in a state never seen; an optional bonus β/√n favours seldom
 * tried actions, untried ones first. The bonus is off by default: it makes training drive elsewhere than the greedy policy
 * will, which then meets states it never learned (on obstacle-avoidance, β = 50 cost 8 points of
 * success on the test seeds). At an episode's end its decisions
 * are updated again from the last to the first (Lin 1992), and remembered decisions drawn at random
 * are replayed (Dyna-Q's planning, Sutton 1990), so that each costly env step teaches more than once.
 * Validation episodes now and then keep the best table, as Stable-Baselines3's EvalCallback does;
 * 50 of them: with 30, the tables chosen did up to 8 points worse on the test seeds.
 * Training episode i runs on env seed trainSeedStart + i, validation on evalSeedStart + i: by
 * default the training and validation ranges of `common/agentFiles.ts`, clear of the test seeds.
 */
import { META_ACTIONS } from '../sim/control/MetaController.ts';
import type { Env } from '../sim/env/Env.ts';
import type { SpaceValue } from '../sim/env/spaces.ts';
import { Rng } from '../sim/rng.ts';
import type { Callback, TrainContext } from './common/callbacks.ts';
import { parseArgs, TRAIN_SEEDS, VALIDATION_SEED, type ArgSpec } from './common/agentFiles.ts';
import { Logger } from './common/logger.ts';
import { MANIFEST, readPolicyManifest } from './common/manifest.ts';
import type { Policy } from './common/Policy.ts';
import { fileName, sourceOf, type PolicySource } from './common/policySource.ts';
import { linearSchedule } from './common/schedules.ts';
import { afterDecision, afterStep, allowedIn, encodingFor, startTracking, stateOf, type StateEncoding, type Tracker } from './common/tabularState.ts';
import { epsilonGreedy, IDLE, isAllowed, parseTable, qRow, readJson, readTable, TABLE_FILE, tableFromRows, tableRows, tableText, TablePolicy, type QTable } from './common/TablePolicy.ts';

export interface QLearningArgs {
  /** Env steps to train for (validation episodes not counted) */
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
  /** Optimism β of training's greedy choices, which maximise Q + β / √(updates of the pair); an untried action comes first. 0 for none */
  explorationBonus: number;
  /** Env steps per decision; the steps between send IDLE, so above 1 it needs the meta-actions */
  decisionInterval: number;
  /** Env steps after which a lane change not yet done is taken as lost; 0 tracks no lane changes */
  laneChangeHold: number;
  /** At each episode's end, update its decisions again from the last to the first */
  replayBackward: boolean;
  /** Remembered decisions replayed at each episode's end, per decision of the episode */
  replayRatio: number;
  /** Decisions remembered for replay; the oldest are forgotten */
  bufferSize: number;
  /** Validation episodes the greedy policy runs every evalInterval steps; train returns the best table they saw. 0 for none */
  evalEpisodes: number;
  /** Env steps between validations */
  evalInterval: number;
  /** Env seed of the first validation episode */
  evalSeedStart: number;
  /** Seed of the exploration stream: ε draws, tie-breaks and replay draws */
  seed: number;
  /** Env seed of the first training episode */
  trainSeedStart: number;
  /** Latest episodes the rollout/ means are taken over */
  statsWindow: number;
  /** Env steps between rows of the logger */
  logInterval: number;
}

export const DEFAULT_QLEARNING: QLearningArgs = {
  totalSteps: 600_000,
  alpha: 0.1,
  alphaEnd: 0.005,
  gamma: 0.99,
  epsilonStart: 1,
  epsilonEnd: 0.02,
  explorationFraction: 0.5,
  explorationBonus: 0,
  decisionInterval: 5,
  laneChangeHold: 100,
  replayBackward: true,
  replayRatio: 4,
  bufferSize: 200_000,
  evalEpisodes: 50,
  evalInterval: 50_000,
  evalSeedStart: VALIDATION_SEED,
  seed: 0,
  trainSeedStart: TRAIN_SEEDS[0],
  statsWindow: 100,
  logInterval: 5_000,
};

const ARG_SPEC: ArgSpec<QLearningArgs> = {
  totalSteps: 'count', alpha: 'fraction', alphaEnd: 'fraction', gamma: 'unit', epsilonStart: 'unit', epsilonEnd: 'unit', explorationFraction: 'fraction',
  explorationBonus: 'nonNegative', decisionInterval: 'count', laneChangeHold: 'nonNegativeInt', replayBackward: 'boolean', replayRatio: 'nonNegative',
  bufferSize: 'count', evalEpisodes: 'nonNegativeInt', evalInterval: 'count', evalSeedStart: 'seed', seed: 'seed', trainSeedStart: 'seed', statsWindow: 'count', logInterval: 'count',
};

/** The defaults with `args` merged in; a bad field is a one-line error naming it (`where.field: ...`). */
export const qlearningArgs = (args: unknown, where?: string): QLearningArgs => parseArgs('qlearning', ARG_SPEC, DEFAULT_QLEARNING, args, where);

/** One update of Q(state, action) towards r + discount · max Q(next, ·) over the `nextAllowed` actions (bits), r alone when `terminal`; returns the TD error. */
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

/** The greedy policy over `table`, saved as agent "qlearning" with args `a` */
const qPolicy = (a: QLearningArgs, table: QTable, actions: number, encoding: StateEncoding) =>
  new TablePolicy('qlearning', a, { decisionInterval: a.decisionInterval, laneChangeHold: a.laneChangeHold, epsilon: a.epsilonEnd, seed: a.seed }, table, actions, encoding);

/** One decision's experience: state, action, reward, next state, terminal (1) or not (0), discount */
type Transition = [number, number, number, number, number, number];

/** Everything a run needs to go on exactly where it stopped, besides the table and the args. */
interface TrainState {
  step: number;
  episodes: number;
  rng: number[];
  /** Updates of each state–action pair, for step sizes and optimism */
  visits: Record<string, number[]>;
  /** The episode under way: its seed and env actions so far (replayed on resume), the tracker, the open decision and the decisions made */
  episode: { seed: number; actions: number[]; return: number; tracker: Tracker; decision: { state: number; action: number; reward: number } | null; transitions: Transition[] } | null;
  /** Remembered decisions */
  buffer: Transition[];
  /** The latest episodes, for the rollout/ means */
  recent: { return: number; length: number; success: boolean }[];
  /** Steps of the next and the last validation; the best one and its table */
  nextEval: number;
  evaluatedAt: number;
  best: { successRate: number; meanReward: number; step: number; q: Record<string, number[]> } | null;
  /** |TD error| summed and counted since the last logger row; updates in all */
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

const TRAIN_STATE = 'train-state.json';

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
  let s: TrainState = { step: 0, episodes: 0, rng: [], visits: {}, episode: null, buffer: [], recent: [], nextEval: a.evalInterval, evaluatedAt: -1, best: null, tdSum: 0, tdCount: 0, updates: 0 };
  if (options.resume) {
    const { join } = await import('node:path');
    table = (await readTable(join(options.resume, TABLE_FILE), actions)).table;
    s = await readTrainState(join(options.resume, TRAIN_STATE));
    logger.truncateAfter(s.step);
  }
  const rng = options.resume ? Rng.fromState(s.rng) : Rng.seeded(a.seed);
  const visits = new Map(Object.entries(s.visits).map(([k, v]) => [Number(k), Uint32Array.from(v)]));
  const policy = qPolicy(a, table, actions, encoding);
  let result = policy;
  const ctx: TrainContext = {
    algorithm: 'qlearning',
    get step() { return s.step; },
    totalSteps: a.totalSteps,
    get episodes() { return s.episodes; },
    logger,
    get policy() { return result; },
    // Serialised at once, so that training going on meanwhile cannot change what is written.
    checkpoint: (dir) => policy.write(dir, tableText(table, actions, encoding), {
      [TRAIN_STATE]: JSON.stringify({ ...s, rng: rng.state(), visits: Object.fromEntries([...visits].map(([k, v]) => [k, Array.from(v)])) }),
    }),
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
    if (s.tdCount > 0) logger.record('train/td_error', s.tdSum / s.tdCount);
    logger.record('train/learning_rate', alpha(s.step / a.totalSteps));
    logger.record('train/n_updates', s.updates);
    logger.record('train/n_states', table.size);
    logger.record('time/episodes', s.episodes);
    logger.record('time/fps', (s.step - step0) / Math.max((performance.now() - t0) / 1000, 1e-9));
    logger.dump(s.step);
    s.tdSum = s.tdCount = 0;
  };

  // Validation runs between training episodes, greedy, on the same env with seeds of its own, and
  // writes a logger row at once, as Stable-Baselines3's EvalCallback does.
  const validate = () => {
    const greedyPolicy = qPolicy(a, table, actions, encoding);
    let successes = 0, total = 0, length = 0;
    for (let i = 0; i < a.evalEpisodes; i++) {
      let obs = env.reset({ seed: a.evalSeedStart + i }).observation;
      greedyPolicy.reset(a.evalSeedStart + i);
      for (let done = false; !done; length++) {
        const r = env.step(greedyPolicy.act(obs));
        total += r.reward;
        obs = r.observation;
        done = r.terminated || r.truncated;
        if (done && r.info.outcome === 'goal') successes++;
      }
    }
    const successRate = successes / a.evalEpisodes, meanReward = total / a.evalEpisodes;
    s.evaluatedAt = s.step;
    logger.record('eval/success_rate', successRate);
    logger.record('eval/mean_reward', meanReward);
    logger.record('eval/mean_ep_length', length / a.evalEpisodes);
    dump();
    // The most successes, then (as Stable-Baselines3) the highest mean reward.
    if (!s.best || successRate > s.best.successRate || (successRate === s.best.successRate && meanReward > s.best.meanReward)) {
      s.best = { successRate, meanReward, step: s.step, q: tableRows(table) };
    }
  };

  const replay = ([state, action, reward, next, terminal, discount]: Transition) =>
    qUpdate(table, actions, state, action, reward, next, terminal === 1, alpha(s.step / a.totalSteps), discount, allowedIn(encoding, next, actions));

  for (const cb of callbacks) await cb.onTrainingStart?.(ctx);
  while (s.step < a.totalSteps) {
    if (!s.episode) {
      if (a.evalEpisodes > 0 && s.step >= s.nextEval) {
        validate();
        s.nextEval += a.evalInterval;
      }
      const seed = a.trainSeedStart + s.episodes;
      observation = env.reset({ seed }).observation;
      s.episode = { seed, actions: [], return: 0, tracker: startTracking(encoding, observation), decision: null, transitions: [] };
    }
    const ep = s.episode;
    let action = IDLE;
    if (!ep.decision) {
      const state = stateOf(encoding, observation, ep.tracker);
      action = epsilonGreedy(table.get(state), actions, allowedIn(encoding, state, actions), epsilon(s.step / a.totalSteps), rng, visits.get(state), a.explorationBonus);
      afterDecision(encoding, ep.tracker, action, observation, a.laneChangeHold);
      ep.decision = { state, action, reward: 0 };
    }
    const d = ep.decision;
    const r = env.step(action);
    s.step++;
    ep.actions.push(action);
    ep.return += r.reward;
    d.reward += r.reward;
    observation = r.observation;
    afterStep(encoding, ep.tracker, observation, a.laneChangeHold);
    const done = r.terminated || r.truncated;

    if (done || ep.tracker.steps >= a.decisionInterval) {
      let n = visits.get(d.state);
      if (!n) visits.set(d.state, (n = new Uint32Array(actions)));
      const stepSize = Math.max(alpha(s.step / a.totalSteps), 1 / ++n[d.action]);
      // A decision cut short by the time limit is discounted for the steps it had.
      const transition: Transition = [d.state, d.action, d.reward, stateOf(encoding, observation, ep.tracker), r.terminated ? 1 : 0, a.gamma ** (ep.tracker.steps / a.decisionInterval)];
      const tdError = qUpdate(table, actions, d.state, d.action, d.reward, transition[3], r.terminated, stepSize, transition[5], allowedIn(encoding, transition[3], actions));
      ep.transitions.push(transition);
      ep.decision = null;
      s.tdSum += Math.abs(tdError);
      s.tdCount++;
      s.updates++;
      for (const cb of callbacks) cb.onUpdate?.(ctx, { 'train/td_error': tdError, 'train/learning_rate': stepSize });
    }
    if (done) {
      if (a.replayBackward) for (let i = ep.transitions.length - 1; i >= 0; i--) replay(ep.transitions[i]);
      if (a.replayRatio > 0) {
        s.buffer.push(...ep.transitions);
        if (s.buffer.length > a.bufferSize) s.buffer.splice(0, s.buffer.length - a.bufferSize);
        for (let i = Math.round(a.replayRatio * ep.transitions.length); i > 0; i--) replay(s.buffer[rng.int(0, s.buffer.length - 1)]);
      }
      const success = r.info.outcome === 'goal';
      s.recent.push({ return: ep.return, length: ep.actions.length, success });
      if (s.recent.length > a.statsWindow) s.recent.shift();
      s.episodes++;
      s.episode = null;
      for (const cb of callbacks) cb.onEpisodeEnd?.(ctx, { return: ep.return, length: ep.actions.length, success, truncated: r.truncated && !r.terminated });
    }
    if (s.step % a.logInterval === 0) dump();
    let go = true;
    for (const cb of callbacks) if ((await cb.onStep?.(ctx)) === false) go = false;
    if (!go) break;
  }
  if (a.evalEpisodes > 0) {
    if (s.evaluatedAt !== s.step) validate();
    if (s.best!.step !== s.step) result = qPolicy(a, tableFromRows(s.best!.q), actions, encoding);
  }
  if (s.step % a.logInterval !== 0 && s.evaluatedAt !== s.step) dump();
  for (const cb of callbacks) await cb.onTrainingEnd?.(ctx);
  return result;
}

async function readTrainState(file: string): Promise<TrainState> {
  const state = (await readJson(file)) as TrainState;
  for (const key of ['step', 'episodes', 'nextEval', 'evaluatedAt', 'tdSum', 'tdCount', 'updates'] as const) {
    if (typeof state?.[key] !== 'number' || !Number.isFinite(state[key])) throw new Error(`${file}: ${key}: expected a number, got ${JSON.stringify(state?.[key])}`);
  }
  for (const key of ['rng', 'recent', 'buffer'] as const) if (!Array.isArray(state[key])) throw new Error(`${file}: ${key}: expected an array, got ${JSON.stringify(state[key])}`);
  if (typeof state.visits !== 'object' || state.visits === null) throw new Error(`${file}: visits: expected an object, got ${JSON.stringify(state.visits)}`);
  return state;
}

/** The greedy policy saved in `dir` (by `save` or a checkpoint) or another source, for `env`. */
export async function load(dirOrSource: string | PolicySource, env: Env<SpaceValue, SpaceValue>): Promise<Policy<SpaceValue, number>> {
  const source = sourceOf(dirOrSource);
  const manifest = await readPolicyManifest(source);
  const file = fileName(source, MANIFEST);
  if (manifest.agent !== 'qlearning') throw new Error(`${file}: agent: expected "qlearning", got "${manifest.agent}"`);
  const args = qlearningArgs(manifest.args, `${file}: args`);
  if (env.actionSpace.type !== 'discrete') throw new Error('qlearning needs a Discrete action space; set action.type to "discrete"');
  const { table, encoding } = parseTable(await source.text(TABLE_FILE), fileName(source, TABLE_FILE), env.actionSpace.n);
  return qPolicy(args, table, env.actionSpace.n, encoding);
}
