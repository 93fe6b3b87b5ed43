import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { load, qUpdate, train, type QLearningArgs } from '../../agents/qlearning.ts';
import { afterDecision, afterStep, allowedIn, encodingFor, laneGapsParts, laneGapsState, startTracking, stateOf } from '../../agents/common/tabularState.ts';
import type { Callback } from '../../agents/common/callbacks.ts';
import { Logger } from '../../agents/common/logger.ts';
import type { Policy } from '../../agents/common/Policy.ts';
import type { QTable } from '../../agents/common/TablePolicy.ts';
import { META_ACTIONS } from '../../sim/control/MetaController.ts';
import { EGO_FEATURES, OBJECT_FEATURES } from '../../sim/sensors/FeatureSensor.ts';
import type { DrivingEnv } from '../../sim/env/DrivingEnv.ts';
import type { Env, ResetResult, StepResult } from '../../sim/env/Env.ts';
import { make } from '../../sim/env/registry.ts';
import { Discrete, type SpaceValue } from '../../sim/env/spaces.ts';

const isAllowed = (bits: number, action: number) => ((bits >>> action) & 1) === 1;
const tmp = () => mkdtempSync(join(tmpdir(), 'drivelab-qlearning-'));
const IDLE = META_ACTIONS.indexOf('IDLE');

/** An env of small discrete states; not a driving env, so `unwrapped` has nothing to give. */
abstract class ToyEnv implements Env<number, number> {
  abstract readonly observationSpace: Discrete;
  abstract readonly actionSpace: Discrete;
  abstract reset(args?: { seed?: number }): ResetResult<number>;
  abstract step(action: number): StepResult<number>;
  render() {
    return null;
  }
  close() {}
  get unwrapped(): DrivingEnv {
    throw new Error('a toy env has no driving env inside');
  }
}

/**
 * A chain of states and one action: state i earns rewards[i] and leads to i + 1; the last ends the
 * episode, by a terminal state on even seeds and by a time limit on odd ones, back at state 0.
 */
class Chain extends ToyEnv {
  readonly observationSpace: Discrete;
  readonly actionSpace = new Discrete(1);
  private state = 0;
  private seed = 0;
  constructor(private readonly rewards: number[]) {
    super();
    this.observationSpace = new Discrete(rewards.length);
  }
  reset(args: { seed?: number } = {}) {
    this.seed = args.seed ?? 0;
    this.state = 0;
    return { observation: 0, info: {} };
  }
  step() {
    const from = this.state;
    const end = from === this.rewards.length - 1;
    this.state = end ? 0 : from + 1;
    return { observation: this.state, reward: this.rewards[from], terminated: end && this.seed % 2 === 0, truncated: end && this.seed % 2 === 1, info: {} };
  }
}

/**
 * A 5 × 5 grid route from the top-left to the bottom-right around walls: up, right, down, left;
 * −1 a step, 'goal' at the corner, a time limit of 60 steps. Moving into a wall or off the grid
 * stays put.
 */
const WALLS = new Set([1, 6, 11, 13, 18, 23, 8]);
const SIZE = 5, START = 0, GOAL = 24;
class GridRoute extends ToyEnv {
  readonly observationSpace = new Discrete(SIZE * SIZE);
  readonly actionSpace = new Discrete(4);
  private cell = START;
  private t = 0;
  reset() {
    this.cell = START;
    this.t = 0;
    return { observation: this.cell, info: {} };
  }
  step(action: number) {
    this.cell = move(this.cell, action);
    this.t++;
    const goal = this.cell === GOAL;
    const truncated = !goal && this.t >= 60;
    return { observation: this.cell, reward: -1, terminated: goal, truncated, info: goal ? { outcome: 'goal' } : truncated ? { outcome: 'time-limit' } : {} };
  }
}

function move(cell: number, action: number): number {
  const r = Math.floor(cell / SIZE), c = cell % SIZE;
  const [nr, nc] = [[r - 1, c], [r, c + 1], [r + 1, c], [r, c - 1]][action];
  if (nr < 0 || nr >= SIZE || nc < 0 || nc >= SIZE || WALLS.has(nr * SIZE + nc)) return cell;
  return nr * SIZE + nc;
}

/** Shortest route length by breadth-first search, found independently of the agent. */
function shortestRoute(): number {
  const dist = new Map([[START, 0]]);
  const queue = [START];
  while (queue.length > 0) {
    const cell = queue.shift()!;
    for (let a = 0; a < 4; a++) {
      const next = move(cell, a);
      if (!dist.has(next)) {
        dist.set(next, dist.get(cell)! + 1);
        queue.push(next);
      }
    }
  }
  return dist.get(GOAL)!;
}

/** Steps the greedy policy takes to the goal, or Infinity. */
function greedyRoute(policy: Policy<SpaceValue, number>): number {
  const env = new GridRoute();
  let obs = env.reset().observation;
  policy.reset(0);
  for (let t = 1; t <= 60; t++) {
    const r = env.step(policy.act(obs));
    if (r.terminated) return t;
    obs = r.observation;
  }
  return Infinity;
}

/**
 * One state, two actions, one step an episode. Validation episodes (seeds from 900,000) reach the goal with action 0 only. Training pays for action 0 in its first 20 episodes,
 * then punishes it: the greedy table gets worse at the validation's task as training goes on.
 */
class Drift extends ToyEnv {
  readonly observationSpace = new Discrete(1);
  readonly actionSpace = new Discrete(2);
  private seed = 0;
  private trainingEpisodes = 0;
  reset(args: { seed?: number } = {}) {
    this.seed = args.seed ?? 0;
    if (this.seed < 900_000) this.trainingEpisodes++;
    return { observation: 0, info: {} };
  }
  step(action: number) {
    const validation = this.seed >= 900_000;
    const reward = validation || action === 1 ? 0 : this.trainingEpisodes <= 20 ? 1 : -5;
    return { observation: 0, reward, terminated: true, truncated: false, info: { outcome: validation && action === 0 ? 'goal' : 'collision' } };
  }
}

const table = (p: Policy<SpaceValue, number>) => (p as unknown as { table: QTable }).table;
/** The table as text, rows in state order */
const tableHash = (p: Policy<SpaceValue, number>) => JSON.stringify([...table(p)].sort((x, y) => x[0] - y[0]).map(([s, q]) => [s, Array.from(q)]));
const GRID: Partial<QLearningArgs> = { totalSteps: 6000, decisionInterval: 1, gamma: 0.99, alpha: 0.2, explorationFraction: 0.6, explorationBonus: 0, evalEpisodes: 0 };

/** The obstacle-avoidance scenario with meta-actions and only the feature sensor, which is all the agent reads. */
const driving = () => make('obstacle-avoidance', { action: { type: 'discrete' }, sensors: [{ type: 'features', id: 'features', objects: 8, range: 100 }] });

describe('qlearning', () => {
  it('updates a value by the Q-learning formula', () => {
    const t: QTable = new Map([[0, Float64Array.of(1, 2)], [1, Float64Array.of(3, 5)]]);
    // tdTarget = 0.5 + 0.9 · max(3, 5) = 5; Q ← 2 + 0.1 · (5 − 2)
    expect(qUpdate(t, 2, 0, 1, 0.5, 1, false, 0.1, 0.9)).toBeCloseTo(3, 12);
    expect(t.get(0)![1]).toBeCloseTo(2.3, 12);
    // At a terminal state the target is the reward alone: 3 + 0.1 · (0.5 − 3)
    qUpdate(t, 2, 1, 0, 0.5, 0, true, 0.1, 0.9);
    expect(t.get(1)![0]).toBeCloseTo(2.75, 12);
    expect(t.get(0)).toEqual(Float64Array.of(1, 2.3));
  });

  /** Plain online Q-learning on a chain, so that every update can be worked by hand */
  const HAND: Partial<QLearningArgs> = { alpha: 0.5, alphaEnd: 0.5, gamma: 0.9, decisionInterval: 1, trainSeedStart: 0, replayBackward: false, replayRatio: 0, evalEpisodes: 0 };

  it('trains a two-state toy by hand: 1/n step sizes down to alpha, bootstraps through time limits but not terminal states', async () => {
    const errors: number[] = [];
    const policy = await train(new Chain([1, 2]), { ...HAND, totalSteps: 6 }, [{ onUpdate: (_, m) => void errors.push(m['train/td_error']) }]);
    // Episode 0 (terminated): Q0 = 1; Q1 = 2. Episode 1 (time limit): Q0 = 1 + ½(1 + 0.9·2 − 1) = 1.9;
    // Q1 = 2 + ½(2 + 0.9·1.9 − 2) = 2.855. Episode 2 (terminated): Q0 = 1.9 + ½(1 + 0.9·2.855 − 1.9) = 2.73475;
    // Q1 = 2.855 + ½(2 − 2.855) = 2.4275.
    expect(table(policy).get(0)![0]).toBeCloseTo(2.73475, 12);
    expect(table(policy).get(1)![0]).toBeCloseTo(2.4275, 12);
    const expected = [1, 2, 1.8, 1.71, 1.6695, -0.855];
    expect(errors.length).toBe(expected.length);
    errors.forEach((e, i) => expect(e).toBeCloseTo(expected[i], 12));
  });

  it('replays an episode backwards at its end, last decision first', async () => {
    const policy = await train(new Chain([1, 2, 4]), { ...HAND, totalSteps: 3, replayBackward: true });
    // Online: Q0 = 1, Q1 = 2, Q2 = 4 (terminal). Backwards: Q2 = 4; Q1 = 2 + ½(2 + 0.9·4 − 2) = 3.8;
    // Q0 = 1 + ½(1 + 0.9·3.8 − 1) = 2.71. Forwards, Q0 would see the old Q1 and be 1.9.
    expect([0, 1, 2].map((st) => table(policy).get(st)![0])).toEqual([2.71, 3.8, 4].map((v) => expect.closeTo(v, 12)));
  });

  it('replays remembered decisions, drawn at random, towards the values they imply', async () => {
    const policy = await train(new Chain([1, 2, 4]), { ...HAND, totalSteps: 3, replayRatio: 100 });
    // 300 replays of the episode's three decisions at α = ½ settle on Q2 = 4, Q1 = 2 + 0.9·4,
    // Q0 = 1 + 0.9·5.6; the online updates alone leave Q0 = 1, Q1 = 2.
    expect([0, 1, 2].map((st) => table(policy).get(st)![0])).toEqual([6.04, 5.6, 4].map((v) => expect.closeTo(v, 6)));
  });

  it('learns the shortest route through a 5 × 5 grid', async () => {
    const optimal = shortestRoute();
    expect(optimal).toBe(14);
    const logger = new Logger();
    const policy = await train(new GridRoute(), GRID, [], { logger });
    expect(greedyRoute(policy)).toBe(optimal);
    const last = logger.rows.at(-1)!;
    expect(last['rollout/success_rate']).toBeGreaterThan(0.9);
    expect(last['rollout/exploration_rate']).toBeCloseTo(0.02, 12);
  });

  it('returns the table that did best in validation, not the last one', async () => {
    const logger = new Logger();
    let atEnd: Policy | null = null;
    const args: Partial<QLearningArgs> = { totalSteps: 60, decisionInterval: 1, alpha: 0.5, alphaEnd: 0.5, epsilonStart: 0.5, epsilonEnd: 0.5, explorationBonus: 0, evalEpisodes: 2, evalInterval: 10 };
    const policy = await train(new Drift(), args, [{ onTrainingEnd: (ctx) => void (atEnd = ctx.policy) }], { logger });
    const validations = logger.rows.map((r) => r['eval/success_rate']).filter((v) => v !== undefined);
    expect(validations[0]).toBe(1);
    expect(validations.at(-1), 'the last table fails validation').toBe(0);
    policy.reset(0);
    expect(policy.act(0)).toBe(0);
    expect(atEnd).toBe(policy);
  });

  it('is deterministic in its seed', async () => {
    const hash = async (seed: number) => tableHash(await train(new GridRoute(), { ...GRID, totalSteps: 1500, seed }));
    const a = await hash(3);
    expect(await hash(3)).toBe(a);
    expect(await hash(4)).not.toBe(a);
  });

  it('smoke-trains on obstacle-avoidance: callbacks, logger keys, and onStep false stops', async () => {
    const env = await driving();
    const seen = { start: 0, steps: 0, updates: 0, episodes: [] as number[], end: 0 };
    const seeds: number[] = [];
    const reset = env.reset.bind(env), step = env.step.bind(env);
    env.reset = (args) => {
      seeds.push(args!.seed!);
      return reset(args);
    };
    // How each training episode ended, as the env said (validation episodes come after the last).
    const outcomes: unknown[] = [];
    env.step = (action) => {
      const r = step(action);
      if (r.terminated || r.truncated) outcomes.push(r.info.outcome);
      return r;
    };
    const successes: boolean[] = [];
    const cb: Callback = {
      onTrainingStart: () => void seen.start++,
      onStep: (ctx) => {
        seen.steps++;
        return ctx.step < 1200;
      },
      onUpdate: (_, m) => {
        expect(Number.isFinite(m['train/td_error'])).toBe(true);
        seen.updates++;
      },
      onEpisodeEnd: (_, e) => {
        seen.episodes.push(e.length);
        successes.push(e.success);
      },
      onTrainingEnd: (ctx) => {
        seen.end++;
        expect(ctx.step).toBe(1200);
      },
    };
    const logger = new Logger();
    const policy = await train(env, { totalSteps: 5000, logInterval: 500, evalEpisodes: 2 }, [cb], { logger });
    expect(seen).toMatchObject({ start: 1, steps: 1200, end: 1 });
    expect(seen.episodes.length).toBeGreaterThan(0);
    expect(successes).toEqual(outcomes.slice(0, successes.length).map((o) => o === 'goal'));
    // One update per decision of 5 steps, and one for each episode's last, shorter decision.
    expect(seen.updates).toBeGreaterThanOrEqual(1200 / 5);
    // Training episodes, then the two validation episodes at the end: none among the test seeds.
    expect(seeds.slice(0, 3)).toEqual([0, 1, 2]);
    expect(seeds.slice(-2)).toEqual([900_000, 900_001]);
    expect(seeds.every((s) => s < 1_000_000)).toBe(true);
    expect(logger.rows.map((r) => r['time/total_timesteps'])).toEqual([500, 1000, 1200]);
    for (const key of ['rollout/ep_rew_mean', 'rollout/success_rate', 'rollout/exploration_rate', 'time/fps', 'train/td_error', 'eval/success_rate', 'eval/mean_reward']) {
      expect(Number.isFinite(logger.rows.at(-1)![key]), key).toBe(true);
    }
    expect(table(policy).size).toBeGreaterThan(5);
    const obs = env.reset({ seed: 0 }).observation;
    policy.reset(0);
    expect(META_ACTIONS[policy.act(obs)]).toBeDefined();
  });

  it('resumes from a checkpoint taken mid-episode exactly as if never stopped', async () => {
    const env = await driving();
    // Validation, replay draws and optimism all go through the checkpoint too.
    const args: Partial<QLearningArgs> = { totalSteps: 2400, seed: 7, logInterval: 400, evalEpisodes: 1, evalInterval: 1000, replayRatio: 2 };
    const returns = (into: number[]): Callback => ({ onEpisodeEnd: (_, e) => void into.push(e.return) });
    const whole: number[] = [];
    const straight = await train(env, args, [returns(whole)]);

    const dir = tmp();
    const first: number[] = [];
    const stopAt: Callback = {
      onStep: async (ctx) => {
        if (ctx.step < 1300) return true;
        await ctx.checkpoint(dir);
        return false;
      },
    };
    await train(env, args, [returns(first), stopAt]);
    const state = JSON.parse(readFileSync(join(dir, 'train-state.json'), 'utf8'));
    expect(state.step).toBe(1300);
    expect(state.episode?.actions.length, 'the checkpoint falls inside an episode').toBeGreaterThan(0);
    const second: number[] = [];
    const resumed = await train(await driving(), args, [returns(second)], { resume: dir });

    expect([...first, ...second]).toEqual(whole);
    expect(whole.length).toBeGreaterThan(3);
    expect(tableHash(resumed)).toBe(tableHash(straight));
  });

  it('saves and loads a policy that acts the same, greedy and exploring', async () => {
    const env = await driving();
    const policy = await train(env, { totalSteps: 1500, seed: 2, evalEpisodes: 0 });
    const dir = tmp();
    await policy.save(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8'));
    expect(manifest).toMatchObject({ agent: 'qlearning', args: { totalSteps: 1500, seed: 2, evalEpisodes: 0 } });
    const loaded = await load(dir, env);
    for (const deterministic of [true, false]) {
      const run = (p: Policy<SpaceValue, number>) => {
        let obs = env.reset({ seed: 3 }).observation;
        p.reset(3);
        const out: number[] = [];
        for (let t = 0; t < 150; t++) {
          const action = p.act(obs, { deterministic });
          out.push(action);
          const r = env.step(action);
          if (r.terminated || r.truncated) break;
          obs = r.observation;
        }
        return out;
      };
      const a = run(policy);
      expect(new Set(a).size, 'the policy does more than keep its lane').toBeGreaterThan(1);
      expect(run(loaded)).toEqual(a);
      expect(run(policy), 'an episode does not depend on the one before').toEqual(a);
    }
  });

  it('keeps its lane in a state it never saw', async () => {
    const env = await driving();
    const dir = tmp();
    await (await train(env, { totalSteps: 5, evalEpisodes: 0 })).save(dir);
    writeFileSync(join(dir, 'qtable.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'qtable.json'), 'utf8')), q: {} }));
    const policy = await load(dir, env);
    policy.reset(0);
    expect(policy.act(env.reset({ seed: 0 }).observation)).toBe(IDLE);
  });

  it('rejects a corrupt table with one line naming the file and the field', async () => {
    const env = await driving();
    const dir = tmp();
    await (await train(env, { totalSteps: 50, evalEpisodes: 0 })).save(dir);
    const file = join(dir, 'qtable.json');
    const good = JSON.parse(readFileSync(file, 'utf8'));
    const state = Object.keys(good.q)[0];
    const cases: [unknown, string][] = [
      [{ ...good, q: { ...good.q, [state]: [1, 2] } }, `${file}: q["${state}"]: expected 5 finite numbers, got [1,2]`],
      [{ ...good, q: { ...good.q, [state]: [1, 2, null, 4, 5] } }, `${file}: q["${state}"]: expected 5 finite numbers, got [1,2,null,4,5]`],
      [{ ...good, q: { x: [0, 0, 0, 0, 0] } }, `${file}: q["x"]: expected a state number as the key`],
      [{ ...good, actions: 3 }, `${file}: actions: expected 5 (the env's Discrete(5)), got 3`],
      [{ ...good, encoding: { type: 'pixels' } }, `${file}: encoding: expected`],
      ['{"version": 1, "q": {', `${file}: not valid JSON`],
      [JSON.stringify({ ...good, q: { [state]: [0, 0, 0.123456789, 0, 0] } }).replace('0.123456789', '1e999'), `${file}: q["${state}"]: expected 5 finite numbers, got [0,0,null,0,0]`],
    ];
    for (const [content, message] of cases) {
      writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
      const err = await load(dir, env).then(() => null, (e: Error) => e);
      expect(err?.message, message).toContain(message);
      expect(err!.message.split('\n')).toHaveLength(1);
    }
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ version: 1, agent: 'qlearning', args: { alpha: 2 } }));
    await expect(load(dir, env)).rejects.toThrow(`${join(dir, 'policy.json')}: args.alpha:`);
  });
});

describe('tabular states of a driving env', () => {
  const [LEFT, , RIGHT, FASTER, SLOWER] = [0, 1, 2, 3, 4];

  /** Features of an ego at 20 m/s (limit 25) in the middle of three 3.6 m lanes, with `objects` as [x, y, relative speed along the lane, standing] */
  const features = (...objects: [number, number, number, boolean][]) => {
    const f = new Float32Array(EGO_FEATURES + OBJECT_FEATURES * 8);
    f[0] = 20 / 40;
    f[8] = 25 / 40;
    f[9] = f[10] = 1;
    objects.forEach(([x, y, rel, standing], i) => f.set([1, x / 100, y / 100, rel / 40, 0, 1, 0, standing ? 0 : 1, 0, standing ? 1 : 0], EGO_FEATURES + OBJECT_FEATURES * i));
    return f;
  };
  const parts = (...objects: [number, number, number, boolean][]) => laneGapsParts(laneGapsState(features(...objects), { range: 100, laneWidth: 3.6 }));

  it('judges side lanes by headway and closing time, and the own lane by time to reach what is ahead', () => {
    // Left lane, same speed: 12 m ahead leaves 7.5 m, under half a second at 20 m/s; 20 m leaves 15.5 m.
    expect(parts([12, 3.6, 0, false]).left).toBe(1);
    expect(parts([20, 3.6, 0, false]).left).toBe(3);
    // Right lane, 8 m/s faster from behind: 25.5 m of gap is 3.2 s away, 20.5 m is 2.6 s.
    expect(parts([-30, -3.6, 8, false]).right).toBe(3);
    expect(parts([-25, -3.6, 8, false]).right).toBe(1);
    // Left lane, 6 m/s slower ahead: 25.5 m is reached in 4.25 s, 20.5 m in 3.4 s.
    expect(parts([30, 3.6, -6, false]).left).toBe(3);
    expect(parts([25, 3.6, -6, false]).left).toBe(1);
    // A standing barrier in the own lane 40 m ahead is 1.8 s away at 20 m/s; 90 m ahead, 4.3 s; beside, it blocks the side lane.
    expect(parts([40, 0, -20, true]).own).toBe(5);
    expect(parts([90, 0, -20, true]).own).toBe(4);
    expect(parts([60, -3.6, -20, true]).right).toBe(2);
    expect(parts([2, -3.6, -20, true]).right).toBe(1);
    expect(parts()).toEqual({ motion: 0, own: 0, left: 3, right: 3, speed: 3 });
  });

  it("tracks the controller's target lane through a lane change and its target speed level", async () => {
    const env = await driving();
    const encoding = encodingFor(env);
    let obs = env.reset({ seed: 0 }).observation;
    const world = env.unwrapped.world;
    const t = startTracking(encoding, obs);
    const step = (action: number) => {
      if (action !== IDLE) afterDecision(encoding, t, action, obs, 100);
      obs = env.step(action).observation;
      afterStep(encoding, t, obs, 100);
    };
    // 18 m/s of a 25 m/s limit: the controller starts at the level of 0.8.
    expect(t.level).toBe(3);
    step(FASTER);
    step(FASTER);
    expect(t.level).toBe(4);
    const lane = world.egoState.lane;
    step(RIGHT);
    expect(t.change).toBe(-1);
    for (let steps = 0; world.egoState.lane === lane && steps < 60; steps++) {
      expect(t.change, `step ${steps}, before the ego crossed`).toBe(-1);
      step(IDLE);
    }
    expect(world.egoState.lane).not.toBe(lane);
    expect(t.change, 'the ego is in the lane the controller heads for').toBe(0);
    // The controller holds the level the tracker names: 1.0 of the limit.
    for (let i = 0; i < 60; i++) step(IDLE);
    expect(t.change).toBe(0);
    expect(world.egoActor.speed).toBeCloseTo(25, 0);
    for (let i = 0; i < 5; i++) afterDecision(encoding, t, SLOWER, obs, 100);
    expect(t.level).toBe(0);
    expect(isAllowed(allowedIn(encoding, stateOf(encoding, obs, t), 5), SLOWER), 'SLOWER at the bottom level').toBe(false);
  });

  it('turns back a lane change under way, and allows no lane change toward no lane', async () => {
    const env = await driving();
    const encoding = encodingFor(env);
    const obs = env.reset({ seed: 0 }).observation;
    const t = startTracking(encoding, obs);
    afterDecision(encoding, t, RIGHT, obs, 100);
    expect(t.change).toBe(-1);
    const changing = stateOf(encoding, obs, t);
    expect(isAllowed(allowedIn(encoding, changing, 5), RIGHT), 'a second change the same way').toBe(false);
    expect(isAllowed(allowedIn(encoding, changing, 5), LEFT), 'turning back').toBe(true);
    afterDecision(encoding, t, LEFT, obs, 100);
    expect(t.change).toBe(0);
    afterDecision(encoding, t, LEFT, obs, 100);
    expect(t.change).toBe(1);
    expect(isAllowed(allowedIn(encoding, stateOf(encoding, obs, t), 5), LEFT), 'a second change to the left').toBe(false);
    // From the leftmost of the three lanes there is no lane further left, from the rightmost none further right.
    for (const [lane, expected] of [[2, [false, true]], [0, [true, false]]] as const) {
      const edge = await make('obstacle-avoidance', { action: { type: 'discrete' }, ego: { lane }, sensors: [{ type: 'features', id: 'features', objects: 8, range: 100 }] });
      const edgeObs = edge.reset({ seed: 0 }).observation;
      const atEdge = allowedIn(encoding, stateOf(encoding, edgeObs, startTracking(encoding, edgeObs)), 5);
      expect([LEFT, RIGHT].map((a) => isAllowed(atEdge, a)), `lane ${lane}`).toEqual(expected);
    }
  });
});
