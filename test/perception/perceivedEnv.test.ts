import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createExpert } from '../../agents/expert.ts';
import { loadNoisyOracle, loadOracle } from '../../perception/detectors/oracle.ts';
import type { CameraFrame, Detector } from '../../perception/detectors/types.ts';
import { PerceivedEnv } from '../../perception/perceivedEnv.ts';
import type { Action, Observation } from '../../sim/env/DrivingEnv.ts';
import { Wrapper, type ResetArgs } from '../../sim/env/Env.ts';
import { make } from '../../sim/env/registry.ts';
import { Rng } from '../../sim/rng.ts';
import { EGO_FEATURES, OBJECT_FEATURES, SPEED_SCALE } from '../../sim/sensors/FeatureSensor.ts';

/** Keeps the wrapped env's (ground-truth) observation of the last reset or step */
class Keep extends Wrapper<Observation, Action, Observation, Action> {
  last: Observation = {};
  override reset(args?: ResetArgs) {
    const r = this.env.reset(args);
    this.last = r.observation;
    return r;
  }
  override step(action: Action) {
    const r = this.env.step(action);
    this.last = r.observation;
    return r;
  }
}

/** Object slots as [present, x, y, ...] rows */
function slots(features: Float32Array): Float32Array[] {
  const out: Float32Array[] = [];
  for (let o = EGO_FEATURES; o < features.length; o += OBJECT_FEATURES) out.push(features.subarray(o, o + OBJECT_FEATURES));
  return out;
}

const RANGE = 100; // the features sensor's range in the highway scenario [m]

describe('PerceivedEnv', () => {
  it('with the oracle, lists the visible nearby objects where ground truth has them, nearest first', async () => {
    // Tolerances: position 1 m (lidar-placed centres), relative velocity 3 m/s (a young track's velocity
    // rests on a few frames), relative heading about 0.1 rad, leader gap 1 m.
    let compared = 0, turned = 0, leaders = 0;
    // Fast down the straight middle lane, catching up with cars ahead; and the expert in dense
    // traffic on a bend (radius 200 m), where other cars' relative headings are not zero.
    for (const [seed, curvature] of [[1000001, 0], [1000002, 0], [1000003, 0.005]]) {
      const inner = new Keep(await make('highway', curvature ? { map: { type: 'highway', curvature }, traffic: { vehicles: 40 } } : {}));
      const env = new PerceivedEnv(inner, loadOracle(), { groundTruthFrames: true });
      const expert = curvature ? createExpert(inner) : null;
      let { observation } = await env.reset({ seed });
      const shown = new Map<number, number>();
      for (let i = 0; i < 150; i++) {
        const r = await env.step(expert ? expert.act(observation) : new Float32Array([0, 0.6]));
        observation = r.observation;
        const world = env.unwrapped.world, ego = world.egoActor;
        const c = Math.cos(ego.heading), s = Math.sin(ego.heading);
        const perceived = slots(r.observation.features).filter((s) => s[0] === 1);
        const truth = slots(inner.last.features).filter((s) => s[0] === 1);
        const distances = perceived.map((s) => Math.hypot(s[1], s[2]));
        expect(distances).toEqual([...distances].sort((a, b) => a - b));
        // Objects the camera has shown well (50 px) for the last 4 frames, the tracker's confirmation time, within 50 m.
        const boxes = env.camera.boxes().filter((b) => b.pixels >= 50);
        for (const id of [...shown.keys()]) if (!boxes.some((b) => b.actorId === id)) shown.delete(id);
        for (const b of boxes) shown.set(b.actorId, (shown.get(b.actorId) ?? 0) + 1);
        for (const b of boxes) {
          const a = world.actors.find((x) => x.id === b.actorId)!;
          if (shown.get(a.id)! < 4 || Math.hypot(a.x - ego.x, a.y - ego.y) > 50) continue;
          // Its ground-truth slot, then the perceived slot nearest that.
          const fx = (c * (a.x - ego.x) + s * (a.y - ego.y)) / RANGE, fy = (-s * (a.x - ego.x) + c * (a.y - ego.y)) / RANGE;
          const gt = truth.reduce((p, q) => (Math.hypot(q[1] - fx, q[2] - fy) < Math.hypot(p[1] - fx, p[2] - fy) ? q : p));
          // Either list holds the nearest 8 only.
          if (Math.hypot(gt[1] - fx, gt[2] - fy) > 1e-4 || (perceived.length === 8 && Math.hypot(fx, fy) > distances[7] - 0.01)) continue;
          const near = perceived.reduce((p, q) => (Math.hypot(q[1] - gt[1], q[2] - gt[2]) < Math.hypot(p[1] - gt[1], p[2] - gt[2]) ? q : p), new Float32Array(OBJECT_FEATURES).fill(9));
          expect(Math.hypot(near[1] - gt[1], near[2] - gt[2]) * RANGE).toBeLessThan(1);
          expect(Math.hypot(near[3] - gt[3], near[4] - gt[4]) * SPEED_SCALE).toBeLessThan(3);
          // Relative heading, as cos and sin: within about 0.1 rad.
          expect(Math.abs(near[5] - gt[5]) + Math.abs(near[6] - gt[6])).toBeLessThan(0.1);
          expect([...near.subarray(7)]).toEqual([...gt.subarray(7)]);
          compared++;
          if (Math.abs(gt[6]) > 0.05) turned++;
        }
        // No object where there is none: every perceived one within 50 m lies within 2 m of an actor
        // (the oracle reports no false positives; a car half hidden is placed by the part it shows).
        for (const p of perceived) {
          if (Math.hypot(p[1], p[2]) * RANGE > 50) continue;
          const x = ego.x + (c * p[1] - s * p[2]) * RANGE, y = ego.y + (s * p[1] + c * p[2]) * RANGE;
          expect(Math.min(...world.actors.filter((a) => a !== ego && a.active).map((a) => Math.hypot(a.x - x, a.y - y)))).toBeLessThan(2);
        }
        const gap = r.observation.features[16], truthGap = inner.last.features[16];
        if (gap < 1 && truthGap < 1) {
          expect(Math.abs(gap - truthGap) * RANGE).toBeLessThan(1);
          expect(Math.abs(r.observation.features[17] - inner.last.features[17]) * SPEED_SCALE).toBeLessThan(3);
          leaders++;
        }
        // The ego entries are the wrapped env's.
        expect(r.observation.features.subarray(0, 16)).toEqual(inner.last.features.subarray(0, 16));
        expect(r.observation.lidar).toBe(inner.last.lidar);
        if (r.terminated || r.truncated) break;
      }
      env.close();
    }
    // Enough comparisons for the checks above to mean something.
    expect(compared).toBeGreaterThan(100);
    expect(leaders).toBeGreaterThan(50);
    expect(turned).toBeGreaterThan(40);
  });

  it('with a detector that finds nothing, the object slots are empty and no leader is within range', async () => {
    const inner = new Keep(await make('highway'));
    const frames: string[][] = [];
    const blind: Detector = {
      name: 'blind',
      classes: ['vehicle'],
      detect: async (frame: CameraFrame) => {
        frames.push(Object.keys(frame).sort());
        return [];
      },
      dispose: () => {},
    };
    const env = new PerceivedEnv(inner, blind);
    let truthObjects = 0;
    await env.reset({ seed: 1000003 });
    for (let i = 0; i < 60; i++) {
      const r = await env.step(new Float32Array([0, 0.6]));
      const f = r.observation.features;
      expect([...f.subarray(EGO_FEATURES)].every((v) => v === 0)).toBe(true);
      expect(f[16]).toBe(1);
      expect(f[17]).toBe(0);
      truthObjects += slots(inner.last.features).filter((s) => s[0] === 1).length;
      if (r.terminated || r.truncated) break;
    }
    expect(truthObjects).toBeGreaterThan(0);
    // Without groundTruthFrames, a detector gets the contract's frame and nothing more.
    expect(frames[0]).toEqual(['cameraId', 'data', 'height', 'intrinsics', 'timestamp', 'width']);
    env.close();
  });

  it('is deterministic: the same seed and detector give the same episode; ground truth gives another', async () => {
    const hash = async (perceive: boolean) => {
      const inner = await make('highway');
      const env = perceive ? new PerceivedEnv(inner, loadNoisyOracle({ seed: 3 }), { groundTruthFrames: true }) : null;
      const h = createHash('sha256');
      const actions = Rng.seeded(7);
      const update = (o: Observation) => {
        for (const key of Object.keys(o)) h.update(new Uint8Array(o[key].buffer, o[key].byteOffset, o[key].byteLength));
      };
      update(env ? (await env.reset({ seed: 1000005 })).observation : inner.reset({ seed: 1000005 }).observation);
      for (let i = 0; i < 80; i++) {
        const action = inner.actionSpace.sample(actions) as Action;
        const r = env ? await env.step(action) : inner.step(action);
        h.update(inner.unwrapped.world.takeSnapshot());
        update(r.observation);
        if (r.terminated || r.truncated) break;
      }
      inner.close();
      return h.digest('hex');
    };
    const a = await hash(true);
    expect(await hash(true)).toBe(a);
    expect(await hash(false)).not.toBe(a);
  });

  it('refuses an env whose observation has no features entry, in one line', async () => {
    const env = await make('highway', { sensors: [{ type: 'lidar' }] });
    expect(() => new PerceivedEnv(env, loadOracle())).toThrow(/^PerceivedEnv: scenario highway: the observation has no features entry \(a features sensor\), where the perceived objects go$/);
    env.close();
  });
});
