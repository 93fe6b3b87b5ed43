/**
 * The viewer's session in Node, as `drivelab view` runs it behind its WebSocket: what it sends for
 * each control, and that what it streams is the world the env runs.
 */
import { describe, expect, it } from 'vitest';
import { DrivingEnv } from '../../../sim/env/DrivingEnv.ts';
import { TimeLimit } from '../../../sim/env/wrappers.ts';
import { initPhysics } from '../../../sim/world/physics.ts';
import { loadAgent, scenarioForRun } from '../../../src/agents.ts';
import { nodeHost } from '../../../src/viewer/nodeHost.ts';
import type { ClientMessage, EpisodeMessage, FrameMessage, ServerMessage, StatusMessage } from '../../../src/viewer/protocol.ts';
import { ViewerSession, type SessionStart } from '../../../src/viewer/session.ts';

/** A paused session and everything it sent */
async function session(start: Partial<SessionStart> & { detector?: string | null; overrides?: object } = {}) {
  const sent: ServerMessage[] = [];
  const host = nodeHost({ scenario: start.scenario ?? 'highway', agent: start.agent ?? 'expert', detector: start.detector ?? null, overrides: start.overrides });
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

describe('viewer session', () => {
  it('streams the trajectory the env and agent make on their own, pose for pose', async () => {
    const v = await session({ seed: 11 });
    for (let i = 0; i < 25; i++) await v.send({ type: 'step' });
    const streamed = [v.episodes()[0].frame, ...v.frames()];
    expect(streamed.map((f) => f.step)).toEqual(Array.from({ length: 26 }, (_, i) => i));

    await initPhysics();
    const scenario = await scenarioForRun('expert', 'highway');
    const env = new TimeLimit(new DrivingEnv(scenario), 600);
    const policy = await loadAgent('expert', env);
    let obs = env.reset({ seed: 11 }).observation;
    policy.reset(11);
    let total = 0;
    for (let t = 0; t <= 25; t++) {
      const world = env.unwrapped.world;
      const f = streamed[t];
      expect(f.poses).toHaveLength(world.actors.length * 4);
      world.actors.forEach((a, i) => {
        if (!a.active) return expect(f.poses[i * 4]).toBeNull();
        expect(f.poses[i * 4]).toBeCloseTo(a.x, 2);
        expect(f.poses[i * 4 + 1]).toBeCloseTo(a.y, 2);
        expect(f.poses[i * 4 + 2]).toBeCloseTo(a.heading, 3);
      });
      expect(f.speed).toBeCloseTo(world.egoActor.speed, 6);
      expect(f.return).toBeCloseTo(total, 6);
      if (t === 25) break;
      const r = env.step(policy.act(obs, { deterministic: true }));
      obs = r.observation;
      total += r.reward;
      const next = streamed[t + 1];
      expect(next.reward).toBeCloseTo(r.reward, 6);
      expect(Object.keys(next.rewards).sort()).toEqual(Object.keys(r.info.rewards as object).sort());
    }
    v.s.close();
  });

  it('pauses, steps one at a time and resets with the seed asked for', async () => {
    const v = await session();
    expect(v.statuses().at(-1)).toMatchObject({ paused: true });
    expect(v.episodes()).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(v.frames()).toHaveLength(0); // paused: nothing moves on its own
    const one = await v.send({ type: 'step' });
    expect(one.filter((m) => m.type === 'frame').map((m) => (m as FrameMessage).step)).toEqual([1]);
    const reset = await v.send({ type: 'reset', seed: 42 });
    const ep = reset.find((m): m is EpisodeMessage => m.type === 'episode')!;
    expect(ep.seed).toBe(42);
    expect(ep.frame.step).toBe(0);
    expect(ep.frame.return).toBe(0);
    v.s.close();
  });

  it('plays in real time until paused, and starts the next seed when an episode ends', async () => {
    const v = await session({ seed: 5, speed: 16, paused: false, pauseBetweenMs: 10, overrides: { limits: { duration: 0.5 } } });
    await expect.poll(() => v.episodes().map((e) => e.seed), { timeout: 20_000 }).toContain(6);
    const first = v.frames().filter((f) => f.outcome !== null)[0];
    expect(first).toMatchObject({ step: 5, outcome: 'time-limit' });
    await v.send({ type: 'pause' });
    const count = v.frames().length;
    await new Promise((r) => setTimeout(r, 200));
    expect(v.frames().length).toBe(count);
    v.s.close();
  });

  it('lets a person drive with manual actions, and hands back to the agent', async () => {
    const v = await session({ scenario: 'lane-keep-curvy' });
    await v.send({ type: 'manual', action: [1, -0.25] });
    await v.send({ type: 'step' });
    expect(v.frames().at(-1)).toMatchObject({ driver: 'manual', action: [1, -0.25] });
    await v.send({ type: 'manual', action: [3, 0] });
    await v.send({ type: 'step' });
    expect(v.frames().at(-1)!.action).toEqual([1, 0]); // clamped to the action range
    const bad = await v.send({ type: 'manual', action: 2 });
    expect(bad).toEqual([expect.objectContaining({ type: 'status', error: 'manual action: expected [steer, acceleration] in [-1, 1], got 2' })]);
    await v.send({ type: 'manual', action: null });
    await v.send({ type: 'step' });
    expect(v.frames().at(-1)!.driver).toBe('agent');
    v.s.close();
  });

  it('drives discrete meta-actions by index, and names them for the page', async () => {
    const v = await session({ agent: 'models/dqn-highway' });
    const ep = v.episodes()[0];
    expect(ep.actions).toEqual({ type: 'discrete', names: ['LANE_LEFT', 'IDLE', 'LANE_RIGHT', 'FASTER', 'SLOWER'] });
    await v.send({ type: 'step' });
    const agent = v.frames().at(-1)!;
    expect(agent.values).toMatchObject({ kind: 'q', labels: ep.actions.names });
    expect(agent.values!.chosen).toBe(agent.action![0]);
    await v.send({ type: 'manual', action: 4 });
    await v.send({ type: 'step' });
    expect(v.frames().at(-1)).toMatchObject({ driver: 'manual', action: [4] });
    expect((await v.send({ type: 'manual', action: 5 }))[0]).toMatchObject({ error: 'manual action: expected an integer in [0, 5), got 5' });
    v.s.close();
  });

  it('switches scenario and agent, and refuses ones it does not offer', async () => {
    const v = await session();
    const bad = await v.send({ type: 'scenario', id: 'moon' });
    expect(bad).toHaveLength(1);
    expect((bad[0] as StatusMessage).error).toMatch(/^scenario "moon": expected one of highway, /);
    const badAgent = await v.send({ type: 'agent', id: '../../etc' });
    expect((badAgent[0] as StatusMessage).error).toMatch(/^agent "\.\.\/\.\.\/etc": expected one of /);
    const ok = await v.send({ type: 'scenario', id: 'roundabout' });
    expect(ok.find((m): m is EpisodeMessage => m.type === 'episode')!.scenario.id).toBe('roundabout');
    const agent = await v.send({ type: 'agent', id: 'random' });
    expect(agent.find((m): m is EpisodeMessage => m.type === 'episode')).toMatchObject({ agent: 'random', seed: 3 });
    // A seed with the switch plays that seed; without one, the current episode's.
    const seeded = await v.send({ type: 'scenario', id: 'merge', seed: 17 });
    expect(seeded.find((m): m is EpisodeMessage => m.type === 'episode')).toMatchObject({ seed: 17 });
    v.s.close();
  });

  it('sends what the detector and fusion see when a detector runs', async () => {
    const v = await session({ detector: 'oracle', seed: 1 });
    for (let i = 0; i < 10; i++) await v.send({ type: 'step' });
    const f = v.frames().at(-1)!;
    expect(f.detections!.length).toBeGreaterThan(0);
    for (const d of f.detections!) expect(d.bbox.every(Number.isFinite)).toBe(true);
    expect(f.lidar!.length % 3).toBe(0);
    expect(f.lidar!.length).toBeGreaterThan(30);
    expect(f.tracks!.length).toBeGreaterThan(0);
    for (const t of f.tracks!) expect(t.cov[0] * t.cov[2] - t.cov[1] ** 2).toBeGreaterThan(0); // a covariance is positive definite
    v.s.close();
  });
});
