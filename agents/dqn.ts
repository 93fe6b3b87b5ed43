/**
 * Deep Q-learning (Mnih et al. 2015) with Double DQN targets (van Hasselt et al. 2016), a target
 * network, experience replay, optional dueling heads (Wang et al. 2016) and n-step returns, over
 * discrete meta-actions and the flattened feature observation. Read top to bottom: arguments, the
 * Q-network, the update, the training loop, the policy.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../sim/rng.ts';
import { flatSize, flattenInto, type Space } from '../sim/env/spaces.ts';
import type { VectorEnv } from '../sim/env/vector/types.ts';
import type { Env } from '../sim/env/Env.ts';
import type { Action, Observation } from '../sim/env/DrivingEnv.ts';
import { AdamW } from '../perception/training/AdamW.ts';
import type { Callback } from './common/callbacks.ts';
import { readCheckpoint, writeCheckpoint } from './common/checkpoint.ts';
import { Mlp, mlpArrays, restoreMlp } from './common/nn.ts';
import type { ActionValues, ActOptions, Policy } from './common/Policy.ts';
import { actionLabels, argMax } from './common/actionValues.ts';
import { sourceOf, type PolicySource } from './common/policySource.ts';
import { ReplayBuffer } from './common/ReplayBuffer.ts';
import { linearSchedule } from './common/schedules.ts';
import { TrainRun, type TrainOptions } from './common/TrainRun.ts';
import { AgentInputError, loadWeights, parseArgs, saveWeights, trainSeeds, type ArgSpec } from './common/agentFiles.ts';
import { FeatureExtractor } from './common/FeatureExtractor.ts';
import { clipByGlobalNorm } from './common/gradients.ts';

export interface DqnArgs {
  /** Env steps to train for, summed over envs */
  totalSteps: number;
  /** Seeds the network, exploration and replay sampling; training episodes use seeds from 1,000,000 up */
  seed: number;
  /** AdamW learning rate */
  learningRate: number;
  /** AdamW decoupled weight decay */
  weightDecay: number;
  /** Replay capacity [transitions] */
  bufferSize: number;
  /** Steps of random play before the first update */
  learningStarts: number;
  /** Minibatch size */
  batchSize: number;
  /** Discount factor γ per decision */
  gamma: number;
  /** Rewards are multiplied by this before learning, keeping Q-values near unit scale for the Huber loss */
  rewardScale: number;
  /** Env steps each chosen action is held for (a decision every actionRepeat × 0.1 s) */
  actionRepeat: number;
  /** Transitions (decisions) added between updates */
  trainFrequency: number;
  /** Gradient updates each time */
  gradientSteps: number;
  /** Env steps between hard copies of the online network into the target network */
  targetUpdateInterval: number;
  /** ε falls linearly from explorationInitial to explorationFinal over this fraction of training */
  explorationFraction: number;
  explorationInitial: number;
  explorationFinal: number;
  /** Widths of the hidden layers */
  hidden: number[];
  /** Separate state-value and advantage heads */
  dueling: boolean;
  /** Rewards summed before bootstrapping */
  nStep: number;
  /** Double DQN: the online network picks the next action, the target network values it */
  double: boolean;
  /** Clip the global gradient norm to this; 0 disables */
  maxGradNorm: number;
  /** With a camera observation: CNN settings changed from the Nature-DQN default (see perception/backbones/cnn.ts) */
  cnn: Record<string, unknown> | null;
}

export const DEFAULT_DQN: DqnArgs = {
  totalSteps: 150_000,
  seed: 0,
  learningRate: 1e-4,
  weightDecay: 0,
  bufferSize: 15_000,
  learningStarts: 500,
  batchSize: 64,
  gamma: 0.98,
  rewardScale: 0.1,
  actionRepeat: 5,
  trainFrequency: 1,
  gradientSteps: 1,
  targetUpdateInterval: 1_000,
  explorationFraction: 0.4,
  explorationInitial: 1,
  explorationFinal: 0.05,
  hidden: [256, 256],
  dueling: true,
  nStep: 3,
  double: true,
  maxGradNorm: 10,
  cnn: null,
};

const ARG_SPEC: ArgSpec<DqnArgs> = {
  totalSteps: 'count', seed: 'seed', learningRate: 'positive', weightDecay: 'nonNegative', bufferSize: 'count',
  learningStarts: 'nonNegativeInt', batchSize: 'count', gamma: 'unit', rewardScale: 'positive', actionRepeat: 'count', trainFrequency: 'count', gradientSteps: 'count',
  targetUpdateInterval: 'count', explorationFraction: 'fraction', explorationInitial: 'unit', explorationFinal: 'unit',
  hidden: 'widths', dueling: 'boolean', nStep: 'count', double: 'boolean', maxGradNorm: 'nonNegative', cnn: 'objectOrNull',
};

/** Q(s, ·): a feature extractor (a CNN for camera images), then an MLP or an MLP trunk with a state-value head and an advantage head. */
export class QNetwork {
  private readonly extractor: FeatureExtractor;
  private readonly trunk: Mlp;
  private readonly value: Mlp | null = null;
  private readonly advantage: Mlp | null = null;

  constructor(space: Space, readonly actions: number, hidden: number[], readonly dueling: boolean, seed: number, cnn: Record<string, unknown> | null) {
    this.extractor = new FeatureExtractor(space, cnn, seed + 11);
    const inputs = this.extractor.outputSize;
    if (!dueling) {
      this.trunk = new Mlp({ inputs, hidden, outputs: actions, activation: 'relu', outputGain: 1 }, seed);
      return;
    }
    const width = hidden[hidden.length - 1];
    this.trunk = new Mlp({ inputs, hidden: hidden.slice(0, -1), outputs: width, activation: 'relu', outputActivation: 'relu', outputGain: 1 }, seed);
    this.value = new Mlp({ inputs: width, hidden: [], outputs: 1, activation: 'relu', outputGain: 1 }, seed + 1);
    this.advantage = new Mlp({ inputs: width, hidden: [], outputs: actions, activation: 'relu', outputGain: 1 }, seed + 2);
  }

  /** [batch, actions] */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const h = this.trunk.apply(this.extractor.apply(x), this.extractor.variables.length > 0);
    if (!this.value || !this.advantage) return h;
    // Q = V + A − mean(A): the mean keeps V and A identifiable.
    const a = this.advantage.apply(h, true);
    return tf.add(this.value.apply(h, true), tf.sub(a, tf.mean(a, 1, true)));
  }

  private get parts(): [string, Mlp][] {
    return this.value && this.advantage ? [['trunk', this.trunk], ['value', this.value], ['advantage', this.advantage]] : [['q', this.trunk]];
  }

  get variables(): tf.Variable[] {
    return [...this.extractor.variables, ...this.parts.flatMap(([, m]) => m.variables)];
  }

  copyFrom(other: QNetwork): void {
    const mine = this.variables, theirs = other.variables;
    for (let i = 0; i < mine.length; i++) mine[i].assign(theirs[i]);
  }

  arrays(prefix: string) {
    return Object.assign(this.extractor.arrays(prefix), ...this.parts.map(([name, m]) => mlpArrays(`${prefix}/${name}`, m)));
  }

  restore(prefix: string, read: (name: string, shape: readonly number[]) => Float32Array): void {
    this.extractor.restore(prefix, read);
    for (const [name, m] of this.parts) restoreMlp(`${prefix}/${name}`, m, read);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/** Greedy actions of `q` for `rows` observations in `obs` */
function greedy(q: QNetwork, obs: Float32Array, rows: number): Int32Array {
  return tf.tidy(() => tf.argMax(q.apply(tf.tensor2d(obs, [rows, obs.length / rows])), 1).dataSync() as Int32Array);
}

/**
 * One gradient step on a minibatch: the TD target r + γᵏ·Q_target(s', argmax_a Q(s', a)) (plain
 * DQN takes the max of Q_target), the Huber loss against Q(s, a), AdamW. Returns the loss.
 */
export function update(online: QNetwork, target: QNetwork, optimizer: AdamW, batch: ReturnType<ReplayBuffer['batch']>, args: DqnArgs): number {
  const n = batch.rewards.length, d = batch.observations.length / n, A = online.actions;
  return tf.tidy(() => {
    const nextObs = tf.tensor2d(batch.nextObservations, [n, d]);
    const qNextTarget = target.apply(nextObs);
    const nextValue = args.double
      ? tf.sum(tf.mul(qNextTarget, tf.oneHot(tf.argMax(online.apply(nextObs), 1), A)), 1)
      : tf.max(qNextTarget, 1);
    // discounts hold γᵏ per row, already 0 where the episode terminated.
    const tdTarget = tf.add(tf.tensor1d(batch.rewards), tf.mul(tf.tensor1d(batch.discounts), nextValue));
    const actionMask = tf.oneHot(tf.tensor1d(Int32Array.from(batch.actions), 'int32'), A);
    const obs = tf.tensor2d(batch.observations, [n, d]);
    const { value: loss, grads } = tf.variableGrads(
      () => tf.losses.huberLoss(tdTarget, tf.sum(tf.mul(online.apply(obs), actionMask), 1)) as tf.Scalar,
      online.variables,
    );
    optimizer.applyGradients(args.maxGradNorm > 0 ? clipByGlobalNorm(grads, args.maxGradNorm) : grads);
    return loss.dataSync()[0];
  });
}

/** Per env, the last n transitions, folded into n-step rows: Σ γⁱ rᵢ and the bootstrap discount γⁿ. */
class NStep {
  private readonly pending: { obs: Float32Array; action: number; reward: number }[][];

  constructor(numEnvs: number, private readonly n: number, private readonly gamma: number) {
    this.pending = Array.from({ length: numEnvs }, () => []);
  }

  /** Adds env i's transition; writes finished rows into `buffer`. `next` is the state after it. */
  push(buffer: ReplayBuffer, i: number, obs: Float32Array, action: number, reward: number, next: Float32Array, terminated: boolean, ended: boolean): void {
    const q = this.pending[i];
    q.push({ obs, action, reward });
    if (q.length === this.n) this.emit(buffer, q, next, terminated);
    if (ended) while (q.length > 0) this.emit(buffer, q, next, terminated);
  }

  /** Ends every env's pending rows as if cut by a time limit (they bootstrap from `next`) */
  flush(buffer: ReplayBuffer, next: (i: number) => Float32Array): void {
    this.pending.forEach((q, i) => {
      while (q.length > 0) this.emit(buffer, q, next(i), false);
    });
  }

  private emit(buffer: ReplayBuffer, q: { obs: Float32Array; action: number; reward: number }[], next: Float32Array, terminated: boolean): void {
    let ret = 0;
    for (let k = q.length - 1; k >= 0; k--) ret = q[k].reward + this.gamma * ret;
    const first = q.shift()!;
    buffer.add(first.obs, first.action, ret, next, terminated, terminated ? 0 : this.gamma ** (q.length + 1));
  }
}

/** Trains a DQN on `env` (Discrete actions); resolves to the greedy policy. */
export async function train(env: VectorEnv, argsIn: Partial<DqnArgs>, callbacks: Callback[] = [], options: TrainOptions = {}): Promise<DqnPolicy> {
  const ckpt = options.resumeFrom ? readCheckpoint(options.resumeFrom, 'dqn') : null;
  // A resumed run keeps its saved arguments; those given now (e.g. more totalSteps) win.
  const args = parseArgs('dqn', ARG_SPEC, DEFAULT_DQN, { ...ckpt?.meta.args, ...argsIn });
  const space = env.singleActionSpace;
  if (space.type !== 'discrete') throw new AgentInputError('dqn needs a Discrete action space; set action.type to "discrete" in the scenario (--set action.type=discrete)');
  const K = env.numEnvs, D = env.observationSize, A = space.n;
  const online = new QNetwork(env.singleObservationSpace, A, args.hidden, args.dueling, args.seed, args.cnn);
  const target = new QNetwork(env.singleObservationSpace, A, args.hidden, args.dueling, args.seed, args.cnn);
  target.copyFrom(online);
  const optimizer = new AdamW({ learningRate: args.learningRate, weightDecay: args.weightDecay });
  optimizer.bind(online.variables);
  const replay = new ReplayBuffer(args.bufferSize, D);
  const batch = replay.batch(args.batchSize);
  const nStep = new NStep(K, args.nStep, args.gamma);
  const epsilon = linearSchedule(args.explorationInitial, args.explorationFinal, args.explorationFraction);
  let rng = Rng.seeded(args.seed);
  let lastTargetSync = 0;
  /** Decisions stored so far, and gradient updates due but not yet run */
  let transitions = 0;
  let dueUpdates = 0;
  const run = new TrainRun('dqn', args.totalSteps, K, callbacks, options);
  const policy = new DqnPolicy(online, args, env.singleObservationSpace, env.singleActionSpace);
  run.policy = policy;

  const obs = new Float32Array(K * D);
  // Per env: the decision being held, the observation it was taken in, its reward so far.
  const actions = new Int32Array(K);
  const held = new Int32Array(K);
  const decisionObs = new Float32Array(K * D);
  const decisionReward = new Float64Array(K);
  /** All envs start fresh episodes whose seeds depend on the step alone, so a resumed run matches */
  const restart = async () => obs.set((await env.reset({ seed: trainSeeds(args.seed, run.step, K) })).observations);

  if (ckpt) {
    const s = ckpt.meta.state as { rng: number[]; lastTargetSync: number; transitions: number; dueUpdates: number; run: unknown };
    online.restore('online', ckpt.read);
    target.restore('target', ckpt.read);
    optimizer.restoreState(ckpt.read);
    const saved: Record<string, Float32Array> = {};
    for (const key of ['observations', 'nextObservations', 'actions', 'rewards', 'terminated', 'discounts', 'position']) saved[key] = ckpt.raw(`replay/${key}`) ?? new Float32Array(0);
    replay.restore(saved);
    rng = Rng.fromState(s.rng);
    lastTargetSync = s.lastTargetSync;
    transitions = s.transitions;
    dueUpdates = s.dueUpdates;
    run.resumeAt(ckpt.meta.step, ckpt.meta.episodes, s.run);
  }
  run.saveCheckpoint = async (dir) => {
    // Cut every running episode (bootstrapped, as a time limit) so the checkpoint is a clean start.
    nStep.flush(replay, (i) => obs.subarray(i * D, (i + 1) * D).slice());
    const replayArrays = Object.fromEntries(Object.entries(replay.arrays()).map(([k, v]) => [`replay/${k}`, { shape: [v.length], data: v }]));
    writeCheckpoint(dir, { algorithm: 'dqn', args: { ...args }, step: run.step, episodes: run.episodes, state: { rng: [...rng.state()], lastTargetSync, transitions, dueUpdates, run: run.snapshot() } },
      { ...online.arrays('online'), ...target.arrays('target'), ...optimizer.stateArrays(), ...replayArrays });
    await restart();
    run.cutEpisodes();
    held.fill(0);
  };

  const runUpdates = () => {
    for (; dueUpdates > 0; dueUpdates--) {
      replay.sample(rng, batch);
      run.afterUpdate({ 'train/loss': update(online, target, optimizer, batch, args) });
    }
  };

  await restart();
  await run.start();
  while (!run.done) {
    const eps = epsilon(run.step / args.totalSteps);
    const explore = run.step < args.learningStarts;
    let best: Int32Array | null = null;
    for (let i = 0; i < K; i++) {
      if (held[i] > 0) continue;
      if (!explore && best === null) best = greedy(online, obs, K);
      actions[i] = explore || rng.next() < eps ? rng.int(0, A - 1) : best![i];
      decisionObs.set(obs.subarray(i * D, (i + 1) * D), i * D);
      decisionReward[i] = 0;
      held[i] = args.actionRepeat;
    }
    const pending = env.step(actions);
    // The updates due from the last step run while the envs step: in parallel when the vector env
    // steps in worker threads, in the same order either way, so results do not depend on it.
    try {
      runUpdates();
    } catch (err) {
      await pending.catch(() => undefined);
      throw err;
    }
    const result = await pending;
    for (let i = 0; i < K; i++) {
      decisionReward[i] += result.rewards[i];
      const ended = result.terminated[i] === 1 || result.truncated[i] === 1;
      if (--held[i] > 0 && !ended) continue;
      held[i] = 0;
      const next = ended ? (result.infos[i].finalObservation as Float32Array) : result.observations.subarray(i * D, (i + 1) * D);
      nStep.push(replay, i, decisionObs.slice(i * D, (i + 1) * D), actions[i], decisionReward[i] * args.rewardScale, next.slice(), result.terminated[i] === 1, ended);
      transitions++;
      // n-step rows reach the buffer n decisions late: no update before there is one to sample.
      if (run.step + K >= args.learningStarts && replay.size > 0 && transitions % args.trainFrequency === 0) dueUpdates += args.gradientSteps;
    }
    obs.set(result.observations);
    run.logger.set('rollout/exploration_rate', eps);
    run.countStep(result.rewards, result.terminated, result.truncated, result.infos);
    run.logger.set('train/n_updates', optimizer.iterations);
    if (run.step - lastTargetSync >= args.targetUpdateInterval) {
      target.copyFrom(online);
      lastTargetSync = run.step;
    }
    if (!(await run.endStep())) break;
  }
  runUpdates();
  await run.end();
  target.dispose();
  optimizer.dispose();
  return policy;
}

/** The greedy policy of a Q-network; `deterministic: false` acts ε-greedily with the final ε. */
export class DqnPolicy implements Policy<Observation, Action> {
  readonly name = 'dqn';
  private rng = Rng.seeded(0);
  private readonly input: Float32Array;
  private held = 0;
  private last = 0;

  constructor(private readonly q: QNetwork, readonly args: DqnArgs, private readonly observationSpace: Space, private readonly actionSpace: Space) {
    this.input = new Float32Array(flatSize(observationSpace));
  }

  /** A new decision every `actionRepeat` calls, as in training; the held action in between */
  act(observation: Observation, options: ActOptions = {}): Action {
    if (this.held > 0) {
      this.held--;
      return this.last;
    }
    this.held = this.args.actionRepeat - 1;
    const n = this.q.actions;
    if (options.deterministic === false && this.rng.next() < this.args.explorationFinal) return (this.last = this.rng.int(0, n - 1));
    flattenInto(this.observationSpace, observation, this.input);
    return (this.last = greedy(this.q, this.input, 1)[0]);
  }

  /** Q(s, ·) of each meta-action; `chosen` is the greedy one, whether or not an action is being held */
  explain(observation: Observation): ActionValues {
    const input = new Float32Array(this.input.length);
    flattenInto(this.observationSpace, observation, input);
    const values = Array.from(tf.tidy(() => this.q.apply(tf.tensor2d(input, [1, input.length])).dataSync()));
    return { kind: 'q', labels: actionLabels(this.actionSpace), values, chosen: argMax(values) };
  }

  reset(episodeSeed: number): void {
    this.held = 0;
    this.rng = Rng.seeded((episodeSeed ^ 0x5bd1e995) >>> 0);
  }

  async save(dir: string): Promise<void> {
    await saveWeights(dir, 'dqn', this.args, this.observationSpace, this.actionSpace, this.q.arrays('q'));
  }

  dispose(): void {
    this.q.dispose();
  }
}

/** Rebuilds a policy written by `DqnPolicy.save` for `env`, from its directory or another source */
export async function load(dirOrSource: string | PolicySource, env: Env<Observation, Action>): Promise<DqnPolicy> {
  const source = sourceOf(dirOrSource);
  const { args, read } = await loadWeights(source, 'dqn', ARG_SPEC, DEFAULT_DQN, env);
  const space = env.actionSpace;
  if (space.type !== 'discrete') throw new Error(`${source.name}: a dqn policy needs a Discrete action space`);
  const q = new QNetwork(env.observationSpace, space.n, args.hidden, args.dueling, args.seed, args.cnn);
  q.restore('q', read);
  return new DqnPolicy(q, args, env.observationSpace, env.actionSpace);
}
