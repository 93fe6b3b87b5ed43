import { describe, expect, it } from 'vitest';
import { EpisodeRecorder } from '../../../src/bench/EpisodeRecorder.ts';
import { computeMetrics, TTC_THRESHOLD } from '../../../src/bench/metrics.ts';
import { make } from '../../../sim/env/registry.ts';
import type { Actor } from '../../../sim/world/actors.ts';

/** Where another car is put relative to the ego, in the ego's frame: position [m], heading [rad], velocity [m/s]. */
interface Placement {
  forward: number;
  left: number;
  heading: number;
  /** Forward and leftward velocity of the other car */
  vForward: number;
  vLeft: number;
}

/**
 * One step of an empty highway with a parked car far away; after the step the car is moved to a
 * placement relative to the ego and the recorder samples the world, as it does after every step.
 * Returns the recorder's trace and the ego's speed at that moment.
 */
async function recordWith(place: (egoSpeed: number) => Placement) {
  const env = await make('highway', { traffic: { vehicles: 0 }, ego: { lane: 1, position: 50, speed: 20 }, obstacles: [{ lane: 2, position: 600, kind: 'car' }] });
  env.reset({ seed: 0 });
  const world = env.unwrapped.world;
  const recorder = new EpisodeRecorder(world);
  const r = env.step(Float32Array.of(0, 0));
  const ego = world.egoActor;
  const other = world.actors.find((a) => a.kind === 'obstacle') as Actor;
  const p = place(ego.speed);
  const c = Math.cos(ego.heading), s = Math.sin(ego.heading);
  other.x = ego.x + c * p.forward - s * p.left;
  other.y = ego.y + s * p.forward + c * p.left;
  other.heading = ego.heading + p.heading;
  // The recorder takes an actor's velocity along its heading, so the placement's velocity must point that way.
  expect(Math.abs(Math.atan2(p.vLeft, p.vForward) - p.heading)).toBeLessThan(1e-12);
  other.speed = Math.hypot(p.vForward, p.vLeft);
  recorder.onStep(r.reward, r.info);
  env.close();
  return { trace: recorder.trace, egoSpeed: ego.speed };
}

/**
 * A car alongside, `behind` metres further back than the ego (centre to centre) and 3.5 m to its
 * left, at the ego's forward speed v and closing sideways at 1 m/s, so turned by α = atan(1/v)
 * towards the ego. Its front-right corner is 2.3 sin α + 0.95 cos α below its centre and lies
 * within the ego's length; it closes the gap to the ego's left side (0.95 m) at 1 m/s.
 */
const cutIn = (behind: number) => (v: number): Placement => ({ forward: -behind, left: 3.5, heading: -Math.atan(1 / v), vForward: v, vLeft: -1 });
const cutInTtc = (v: number) => 3.5 - 0.95 - 2.3 * Math.sin(Math.atan(1 / v)) - 0.95 * Math.cos(Math.atan(1 / v));

describe('TTC as the recorder samples it', () => {
  it('counts a car alongside cutting in although its centre is 0.3 m behind the ego’s', async () => {
    const { trace, egoSpeed } = await recordWith(cutIn(0.3));
    expect(egoSpeed).toBeGreaterThan(15);
    const expected = cutInTtc(egoSpeed);
    // About 1.49 s at 20 m/s: below the 1.5 s threshold.
    expect(expected).toBeLessThan(TTC_THRESHOLD);
    expect(trace.ttc).toHaveLength(1);
    expect(Math.abs(trace.ttc[0] - expected)).toBeLessThan(1e-9);
    const m = computeMetrics(trace);
    expect(Math.abs(m.minTtc - expected)).toBeLessThan(1e-9);
    expect(m.ttcBelowThresholdTime).toBeCloseTo(0.1, 12);
  });

  it('counts a car 139° round from the ego’s heading, leaves out one straight behind that runs into it', async () => {
    // Centre 4 m back, 3.5 m left: bearing 180° − atan(3.5 / 4) = 138.8°, short of nuPlan's 150°.
    const side = await recordWith(cutIn(4));
    expect(Math.abs(side.trace.ttc[0] - cutInTtc(side.egoSpeed))).toBeLessThan(1e-9);
    // 8 m behind, centre to centre, 10 m/s faster: its bumper would reach the ego's in (8 − 4.6) / 10 s,
    // but that is the other driver's conflict, not the ego's.
    const rear = await recordWith((v) => ({ forward: -8, left: 0, heading: 0, vForward: v + 10, vLeft: 0 }));
    expect(rear.trace.ttc[0]).toBe(Infinity);
    expect(computeMetrics(rear.trace).ttcBelowThresholdTime).toBe(0);
  });

  it('sees a car coming head-on from 100 m away at 30 m/s', async () => {
    const { trace, egoSpeed } = await recordWith(() => ({ forward: 100, left: 0, heading: Math.PI, vForward: -30, vLeft: 0 }));
    // Bumpers 100 − 4.6 m apart, closing at v + 30.
    expect(Math.abs(trace.ttc[0] - (100 - 4.6) / (egoSpeed + 30))).toBeLessThan(1e-9);
  });
});

/** What a step's info holds when nothing happened. */
const quiet = { rewards: {}, offRoad: false, collision: null };

/** The intersection's world without traffic, before its first step, and the ego's route lanes. */
async function junction() {
  const env = await make('intersection', { traffic: { vehicles: 0 } });
  env.reset({ seed: 0 });
  const world = env.unwrapped.world;
  const lanes = world.routeLanes.map((id) => world.network.lanes[id]);
  return { env, world, lanes };
}

describe('what the recorder samples along the route', () => {
  it('runs a red light when the front bumper crosses the stop line, before the centre does', async () => {
    const { env, world, lanes } = await junction();
    const stop = lanes[0].stops.find((p) => p.kind === 'signal');
    if (stop?.kind !== 'signal') throw new Error('the approach has no signal');
    const plan = world.network.signalPlan!;
    let red = 0;
    while (plan.state(stop.group, red) !== 'red') red += 0.1;
    let green = 0;
    while (plan.state(stop.group, green) !== 'green') green += 0.1;
    const half = world.egoActor.length / 2;
    for (const [time, expected] of [[red, 1], [green, 0]] as const) {
      world.time = time;
      world.egoState.s = stop.s - half - 0.5;
      const recorder = new EpisodeRecorder(world);
      // The front moves 1 m, from 0.5 m short of the line to 0.5 m past it; the centre stays 1.8 m short.
      world.egoState.s = stop.s - half + 0.5;
      recorder.onStep(0, quiet);
      expect(recorder.trace.redLights, `at ${time.toFixed(1)} s`).toBe(expected);
    }
    env.close();
  });

  it('counts a lane invasion for a lane that does not follow the last one, none for the next lane of the route', async () => {
    const { env, world, lanes } = await junction();
    const recorder = new EpisodeRecorder(world);
    world.egoState.lane = lanes[1].id; // the connector after the approach lane
    recorder.onStep(0, quiet);
    world.egoState.lane = lanes[2].id;
    recorder.onStep(0, quiet);
    expect(recorder.trace.laneInvasions).toBe(0);
    const beside = world.network.lanes.find((l) => l.kind === 'lane' && !lanes[2].next.includes(l.id) && l.id !== lanes[2].id)!;
    world.egoState.lane = beside.id;
    recorder.onStep(0, quiet);
    expect(recorder.trace.laneInvasions).toBe(1);
    env.close();
  });

  it('takes the speed limit of the lane the ego is on: slower on the turn than on the approach', async () => {
    const { env, world, lanes } = await junction();
    const recorder = new EpisodeRecorder(world);
    expect(lanes[1].speedLimit).toBeLessThan(lanes[0].speedLimit);
    for (const lane of lanes) {
      world.egoState.lane = lane.id;
      recorder.onStep(0, quiet);
    }
    expect(recorder.trace.speedLimit).toEqual(lanes.map((l) => l.speedLimit));
    env.close();
  });

  it('takes lateral acceleration as speed × yaw rate: 10 m/s at 0.2 rad/s is v²/R on R = 50 m, 2 m/s²', async () => {
    const { env, world } = await junction();
    const recorder = new EpisodeRecorder(world);
    world.egoActor.speed = 10;
    world.egoActor.yawRate = 0.2;
    recorder.onStep(0, quiet);
    expect(recorder.trace.latAccel[0]).toBeCloseTo(10 ** 2 / 50, 12);
    env.close();
  });
});
