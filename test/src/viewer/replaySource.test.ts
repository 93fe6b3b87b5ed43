/**
 * A recording played back by the page's ReplaySource, in Node: each frame carries the step's
 * reward and terms, the return up to it, and nulls for inactive actors, as the live session does.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DrivingEnv } from '../../../sim/env/DrivingEnv.ts';
import { initPhysics } from '../../../sim/world/physics.ts';
import { builtinScenario } from '../../../scenarios/library.ts';
import { ReplayRecorder, type EpisodeRecord } from '../../../src/bench/record.ts';
import { encodeFloats, parseRecord, type Replay } from '../../../src/bench/recordFormat.ts';
import type { ClientMessage, FrameMessage, ServerMessage } from '../../../src/viewer/protocol.ts';

/**
 * replay.ts belongs to the page's program (DOM lib): its gzip helper names DOM-only types, so the
 * Node type check cannot take it in. It is loaded here through a specifier tsc does not follow, and
 * typed by what these tests use of it. Nothing of the DOM runs when a ReplaySource is built.
 */
const REPLAY_MODULE = '../../../src/viewer/app/sources/replay.ts';
interface ReplaySourceLike {
  readonly mode: string;
  readonly steps: number;
  frame(t: number): FrameMessage;
  start(listener: (m: ServerMessage) => void): Promise<void>;
  send(m: ClientMessage): void;
  close(): void;
}
let ReplaySource: new (replay: Replay, name: string) => ReplaySourceLike;

const STEPS = 8;
let record: EpisodeRecord;
let replay: Replay;
/** What the env gave at each step */
const rewards: number[] = [];
const terms: Record<string, number>[] = [];

beforeAll(async () => {
  ({ ReplaySource } = (await import(REPLAY_MODULE)) as { ReplaySource: typeof ReplaySource });
  await initPhysics();
  const env = new DrivingEnv(builtinScenario('highway')!);
  env.reset({ seed: 7 });
  const recorder = new ReplayRecorder(env.unwrapped.world, 'expert');
  for (let i = 0; i < STEPS; i++) {
    const action = Float32Array.from([0.05 * (i - 4), i % 2 ? 1 : -0.5]);
    const r = env.step(action);
    recorder.onStep(action, r.reward, r.info);
    rewards.push(r.reward);
    terms.push({ ...(r.info.rewards as Record<string, number>) });
  }
  record = recorder.toRecord('time-limit');
  env.close();
  replay = parseRecord(record, 'highway-7.drec.json.gz');
});

describe('replay source', () => {
  it('is built in Node from a parsed recording', () => {
    const source = new ReplaySource(replay, 'highway-7.drec.json.gz');
    expect(source.steps).toBe(STEPS);
    expect(source.mode).toBe('replay');
  });

  it('gives step 0 no reward, no terms, no action and a zero return', () => {
    const f = new ReplaySource(replay, 'r').frame(0);
    expect(f).toMatchObject({ type: 'frame', step: 0, time: 0, reward: 0, return: 0, action: null, outcome: null });
    expect(Object.keys(f.rewards), 'reward terms at step 0').toEqual([]);
  });

  it('gives step t the reward and terms of the t-th env step, and the sum of rewards up to it', () => {
    const source = new ReplaySource(replay, 'r');
    const names = Object.keys(terms[0]);
    expect(names.length).toBeGreaterThanOrEqual(2);
    // The rewards differ from step to step, so an off-by-one shows.
    expect(new Set(rewards.map((r) => Math.fround(r))).size).toBeGreaterThan(1);
    let total = 0;
    for (let t = 1; t <= STEPS; t++) {
      const f = source.frame(t);
      expect(f.step).toBe(t);
      expect(f.time).toBeCloseTo(t * record.dt, 9);
      expect(f.reward, `reward of step ${t}`).toBe(replay.rewards[t - 1]);
      expect(f.reward).toBeCloseTo(rewards[t - 1], 5);
      total += replay.rewards[t - 1];
      expect(f.return, `return at step ${t}`).toBeCloseTo(total, 9);
      expect(Object.keys(f.rewards).sort()).toEqual([...names].sort());
      for (const name of names) {
        expect(f.rewards[name], `${name} at step ${t}`).toBe(replay.terms[name][t - 1]);
        expect(f.rewards[name]).toBeCloseTo(terms[t - 1][name], 5);
      }
      expect(f.action).toEqual(Array.from(replay.actions.subarray((t - 1) * 2, t * 2)));
      expect(f.outcome).toBe(t === STEPS ? 'time-limit' : null);
    }
  });

  it('sends poses as recorded, an inactive actor (NaN) as nulls, and the ego speed from slot 3', () => {
    const n = record.actors.length * 4;
    expect(record.actors.length).toBeGreaterThanOrEqual(2);
    const poses = Array.from(replay.poses);
    poses.splice(2 * n + 4, 4, NaN, NaN, NaN, NaN); // actor 1 inactive at step 2
    const source = new ReplaySource(parseRecord({ ...record, poses: encodeFloats(poses) }, 'r'), 'r');
    const f = source.frame(2);
    expect(f.poses.slice(4, 8)).toEqual([null, null, null, null]);
    expect(f.poses.slice(0, 4)).toEqual(poses.slice(2 * n, 2 * n + 4).map((v) => Math.fround(v)));
    expect(f.poses.slice(8)).toEqual(poses.slice(2 * n + 8, 3 * n).map((v) => Math.fround(v)));
    expect(f.speed).toBe(f.poses[3]);
    expect(source.frame(1).poses.slice(4, 8).every((v) => typeof v === 'number' && Number.isFinite(v))).toBe(true);
  });

  it('starts with the episode and its first frame, and steps one frame per step message', async () => {
    const source = new ReplaySource(replay, 'r');
    const sent: ServerMessage[] = [];
    source.send({ type: 'pause' });
    await source.start((m) => sent.push(m));
    expect(sent[0]).toMatchObject({ type: 'episode', seed: 7, agent: 'expert', frame: { step: 0 } });
    source.send({ type: 'step' });
    source.send({ type: 'step' });
    const frames = sent.filter((m) => m.type === 'frame');
    expect(frames.map((f) => f.step)).toEqual([1, 2]);
    expect(frames[1].return).toBeCloseTo(replay.rewards[0] + replay.rewards[1], 9);
    source.close();
  });
});
