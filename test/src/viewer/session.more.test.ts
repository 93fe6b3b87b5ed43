/**
 * More of the viewer session in Node: every pose slot (speed included), the controls' statuses,
 * a step after the end of an episode, and the session's clock under fake timers (late steps are
 * made up without drift, a long stall does not turn into a burst of steps, speed sets the rate).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DrivingEnv } from '../../../sim/env/DrivingEnv.ts';
import { TimeLimit } from '../../../sim/env/wrappers.ts';
import { initPhysics } from '../../../sim/world/physics.ts';
import { loadAgent, scenarioForRun } from '../../../src/agents.ts';
import { nodeHost } from '../../../src/viewer/nodeHost.ts';
import type { ClientMessage, EpisodeMessage, FrameMessage, ServerMessage, StatusMessage } from '../../../src/viewer/protocol.ts';
import { ViewerSession, type OpenedRun, type SessionHost, type SessionStart } from '../../../src/viewer/session.ts';

type Start = Partial<SessionStart> & { detector?: string | null; overrides?: object };

/** A session and everything it sent */
async function session(host: SessionHost, start: Partial<SessionStart> = {}) {
  const sent: ServerMessage[] = [];
  const s = new ViewerSession(host, (m) => sent.push(m), { scenario: 'highway', agent: 'expert', seed: 3, paused: true, ...start });
  await s.start();
  const send = async (m: ClientMessage) => {
    const before = sent.length;
    await s.handle(m);
    return sent.slice(before);
  };
  const frames = () => sent.filter((m): m is FrameMessage => m.type === 'frame');
  const episodes = () => sent.filter((m): m is EpisodeMessage => m.type === 'episode');
  const statuses = () => sent.filter((m): m is StatusMessage => m.type === 'status');
  return { s, sent, send, frames, episodes, statuses };
}

/** A paused session on a real env, as `drivelab view` runs it */
function realSession(start: Start = {}) {
  const host = nodeHost({ scenario: start.scenario ?? 'highway', agent: start.agent ?? 'expert', detector: start.detector ?? null, overrides: start.overrides });
  return session(host, start);
}

/**
 * A host whose env only counts: one actor, a fixed control step, and a hook run at each step
 * (where a test moves the fake clock, as a slow step or a late timer would).
 */
function countingHost(o: { stepDt?: number; onStep?: (step: number) => void; episodeSteps?: number } = {}) {
  const stepDt = o.stepDt ?? 0.1;
  const stepTimes: number[] = [];
  const actor = { active: true, x: 0, y: 0, heading: 0, speed: 10 };
  const world = { actors: [actor], egoActor: actor, time: 0 };
  let steps = 0;
  const env = {
    actionSpace: { type: 'box', shape: [2], low: -1, high: 1 },
    unwrapped: { scenario: { id: 'counting', sim: { stepDt } }, world },
    reset: () => {
      steps = 0;
      world.time = 0;
      return { observation: {}, info: {} };
    },
    step: () => {
      stepTimes.push(Date.now());
      steps++;
      o.onStep?.(steps);
      world.time = steps * stepDt;
      actor.x = steps;
      return { observation: {}, reward: 1, terminated: false, truncated: steps >= (o.episodeSteps ?? Infinity), info: {} };
    },
    close: () => {},
  };
  const policy = { reset: () => {}, act: () => Float32Array.from([0, 0]) };
  const host: SessionHost = {
    scenarios: ['counting'],
    agents: ['counter'],
    open: async () => ({ env, perceived: null, policy, agent: 'counter', detector: null, close: () => {} }) as unknown as OpenedRun,
  };
  return { host, stepTimes };
}

/** Lets a step in progress finish (setImmediate is not faked) */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Fires the session's timers one at a time (letting each step finish) until `done()` */
async function runUntil(done: () => boolean, limit = 1000): Promise<void> {
  for (let i = 0; i < limit && !done(); i++) {
    await settle();
    if (vi.getTimerCount() === 0) throw new Error('the session has no timer pending');
    await vi.advanceTimersToNextTimerAsync();
    await settle();
  }
  if (!done()) throw new Error(`not done after ${limit} timers`);
}

describe('viewer session frames and controls', () => {
  it('sends each active actor\'s speed in pose slot 3, as the env has it', async () => {
    const v = await realSession({ seed: 11 });
    for (let i = 0; i < 20; i++) await v.send({ type: 'step' });
    const streamed = [v.episodes()[0].frame, ...v.frames()];

    await initPhysics();
    const scenario = await scenarioForRun('expert', 'highway');
    const env = new TimeLimit(new DrivingEnv(scenario), 600);
    const policy = await loadAgent('expert', env);
    let obs = env.reset({ seed: 11 }).observation;
    policy.reset(11);
    let moving = 0;
    for (let t = 0; t <= 20; t++) {
      const world = env.unwrapped.world;
      const f = streamed[t];
      expect(f.poses).toHaveLength(world.actors.length * 4);
      world.actors.forEach((a, i) => {
        if (!a.active) return expect(f.poses[i * 4 + 3]).toBeNull();
        expect(f.poses[i * 4 + 3], `speed of actor ${i} at step ${t}`).toBeCloseTo(a.speed, 2);
        if (Math.abs(a.speed - a.heading) > 0.5 && Math.abs(a.speed - a.x) > 0.5 && Math.abs(a.speed - a.y) > 0.5) moving++;
      });
      expect(f.poses[3]).toBeCloseTo(f.speed, 2); // the ego is actor 0
      if (t === 20) break;
      obs = env.step(policy.act(obs, { deterministic: true })).observation;
    }
    // The speeds differ from every other slot, so a slot mix-up cannot pass.
    expect(moving).toBeGreaterThan(20);
    env.close();
    v.s.close();
  });

  it('says paused after pause and playing after play', async () => {
    const { host } = countingHost();
    const v = await session(host, { paused: true });
    expect(v.statuses().at(-1)!.paused).toBe(true);
    const play = await v.send({ type: 'play' });
    expect(play).toEqual([expect.objectContaining({ type: 'status', paused: false })]);
    const pause = await v.send({ type: 'pause' });
    expect(pause).toEqual([expect.objectContaining({ type: 'status', paused: true })]);
    expect((await v.send({ type: 'play' })).at(-1)).toMatchObject({ type: 'status', paused: false });
    expect((await v.send({ type: 'pause' })).at(-1)).toMatchObject({ type: 'status', paused: true });
    v.s.close();
  });

  it('starts the same seed again when stepped after the episode ended', async () => {
    const v = await realSession({ seed: 9, overrides: { limits: { duration: 0.3 } } });
    for (let i = 0; i < 20 && v.frames().at(-1)?.outcome == null; i++) await v.send({ type: 'step' });
    const last = v.frames().at(-1)!;
    expect(last.outcome).toBe('time-limit');
    expect(last.step).toBe(3);
    const after = await v.send({ type: 'step' });
    expect(after.filter((m) => m.type === 'frame')).toEqual([]);
    const episode = after.find((m): m is EpisodeMessage => m.type === 'episode');
    expect(episode, 'a new episode').toBeDefined();
    expect(episode!.seed).toBe(9);
    expect(episode!.frame).toMatchObject({ step: 0, return: 0, outcome: null });
    expect(episode!.frame.poses).toEqual(v.episodes()[0].frame.poses); // the same start as before
    // …and the step after that is the new episode's first.
    const next = await v.send({ type: 'step' });
    expect(next.filter((m): m is FrameMessage => m.type === 'frame').map((f) => f.step)).toEqual([1]);
    expect(v.statuses().at(-1)!.paused).toBe(true);
    v.s.close();
  });

  it('clamps the speed it reports to [0.1, 16], and takes a speed that is not a number as 1', async () => {
    const { host } = countingHost();
    const v = await session(host);
    const speed = async (value: number) => {
      const out = await v.send({ type: 'speed', speed: value });
      expect(out).toHaveLength(1);
      return (out[0] as StatusMessage).speed;
    };
    expect(await speed(2)).toBe(2);
    expect(await speed(0.25)).toBe(0.25);
    expect(await speed(100)).toBe(16);
    expect(await speed(16)).toBe(16);
    expect(await speed(0.01)).toBe(0.1);
    expect(await speed(-3)).toBe(0.1);
    expect(await speed(NaN)).toBe(1);
    expect(await speed(Infinity)).toBe(1);
    v.s.close();
  });
});

describe('viewer session clock (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const STEP_MS = 100; // stepDt 0.1 s at speed 1

  it('keeps to the clock when every step finds it half a step late: N steps in N step times', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    // Each step starts, or ends, half a step after it was due (a busy page, a slow step).
    const { host, stepTimes } = countingHost({ onStep: () => vi.setSystemTime(Date.now() + STEP_MS / 2) });
    const v = await session(host);
    const start = Date.now();
    await v.send({ type: 'play' });
    await runUntil(() => stepTimes.length >= 12);
    const times = stepTimes.map((t) => t - start);
    expect(times.slice(0, 12)).toEqual(Array.from({ length: 12 }, (_, k) => k * STEP_MS));
    const N = 10;
    expect(times.filter((t) => t < N * STEP_MS)).toHaveLength(N);
    v.s.close();
  });

  it('makes up a short stall (under half a second) by stepping at once until it is back on time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { host, stepTimes } = countingHost({ onStep: (n) => n === 3 && vi.setSystemTime(Date.now() + 300) });
    const v = await session(host);
    const start = Date.now();
    await v.send({ type: 'play' });
    await runUntil(() => stepTimes.length >= 10);
    // Step 3 (due at 200) took until 500: steps 4, 5 and 6 (due at 300, 400, 500) run at 500, then on time.
    expect(stepTimes.slice(0, 10).map((t) => t - start)).toEqual([0, 100, 200, 500, 500, 500, 600, 700, 800, 900]);
    v.s.close();
  });

  it('starts the clock afresh after a stall of more than half a second, without a burst of catch-up steps', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const STALL = 2000;
    const { host, stepTimes } = countingHost({ onStep: (n) => n === 3 && vi.setSystemTime(Date.now() + STALL) });
    const v = await session(host);
    const start = Date.now();
    await v.send({ type: 'play' });
    await runUntil(() => stepTimes.length >= 8 || (stepTimes.length > 3 && stepTimes.at(-1)! - start > 2 * STALL));
    const times = stepTimes.map((t) => t - start);
    const resumed = 200 + STALL; // step 3 was due at 200 and took the stall
    const burst = times.filter((t) => t >= resumed && t < resumed + 50);
    expect(burst.length, `steps within 50 ms after the stall: ${times.join(', ')}`).toBeLessThanOrEqual(1);
    expect(times.slice(0, 8)).toEqual([0, 100, 200, resumed, resumed + 100, resumed + 200, resumed + 300, resumed + 400]);
    v.s.close();
  });

  it('steps faster at a higher speed: at 2× a step every half step time, at 0.5× every two', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { host, stepTimes } = countingHost();
    const v = await session(host);
    await v.send({ type: 'play' });
    await runUntil(() => stepTimes.length >= 4);
    const gaps = (from: number) => stepTimes.slice(from).map((t, i, all) => (i === 0 ? null : t - all[i - 1])).slice(1);
    expect(gaps(0)).toEqual([STEP_MS, STEP_MS, STEP_MS]);

    expect((await v.send({ type: 'speed', speed: 2 }))[0]).toMatchObject({ type: 'status', speed: 2 });
    let from = stepTimes.length;
    await runUntil(() => stepTimes.length >= from + 6);
    // The step already scheduled keeps its time; every one after it comes at half the step time.
    expect(gaps(from - 1)).toEqual([STEP_MS, 50, 50, 50, 50, 50]);

    await v.send({ type: 'speed', speed: 0.5 });
    from = stepTimes.length;
    await runUntil(() => stepTimes.length >= from + 4);
    expect(gaps(from - 1)).toEqual([50, 200, 200, 200]);

    // Simulated time per wall time: 2× runs 20 steps in one wall second.
    await v.send({ type: 'speed', speed: 2 });
    await runUntil(() => stepTimes.length >= from + 8);
    const mark = stepTimes.at(-1)!;
    const count = stepTimes.length;
    await vi.advanceTimersByTimeAsync(1000);
    expect(stepTimes.filter((t) => t > mark && t <= mark + 1000)).toHaveLength(20);
    expect(stepTimes.length - count).toBe(20);
    v.s.close();
  });

  it('moves no more once paused, and waits between episodes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { host, stepTimes } = countingHost({ episodeSteps: 3 });
    const v = await session(host, { pauseBetweenMs: 700 });
    const start = Date.now();
    await v.send({ type: 'play' });
    await runUntil(() => v.episodes().length >= 2);
    expect(stepTimes.map((t) => t - start)).toEqual([0, 100, 200]);
    // The last step (at 200) ended the episode; the next starts 700 ms after it, with the next seed.
    expect(Date.now() - start).toBe(900);
    expect(v.episodes().map((e) => e.seed)).toEqual([3, 4]);
    await v.send({ type: 'pause' });
    expect(vi.getTimerCount()).toBe(0);
    const frames = v.frames().length;
    await vi.advanceTimersByTimeAsync(5000);
    expect(v.frames()).toHaveLength(frames);
    v.s.close();
  });
});
