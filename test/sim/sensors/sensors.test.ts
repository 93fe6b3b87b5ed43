import { describe, expect, it } from 'vitest';
import type { ScenarioOverrides } from '../../../scenarios/parse.ts';
import { make } from '../../../sim/env/registry.ts';
import { SemanticClass } from '../../../sim/scene/semantics.ts';
import { EGO_FEATURES, OBJECT_FEATURES } from '../../../sim/sensors/FeatureSensor.ts';

/** A straight empty highway with the ego in lane 1 at 20 m and a barrier ahead in the same lane at 60 m. */
function wallAhead(sensors: unknown[], extra: ScenarioOverrides = {}): ScenarioOverrides {
  return {
    traffic: { vehicles: 0 },
    ego: { lane: 1, position: 20, speed: 10 },
    obstacles: [{ lane: 1, position: 60, kind: 'barrier' }],
    sensors: sensors as ScenarioOverrides['sensors'],
    ...extra,
  };
}

describe('feature vector', () => {
  it("gives the leader in the ego's lane as a bumper gap and a relative speed, and the nearest objects in the ego's frame", async () => {
    const env = await make('highway', wallAhead([{ type: 'features', range: 100, objects: 2 }], {
      obstacles: [{ lane: 1, position: 60, kind: 'barrier' }, { lane: 2, position: 30, kind: 'cone' }],
    }));
    const f = env.reset({ seed: 0 }).observation.features;
    const world = env.unwrapped.world;
    const ego = world.egoActor;
    expect(f).toHaveLength(EGO_FEATURES + 2 * OBJECT_FEATURES);
    expect(ego.speed).toBeCloseTo(10, 6);
    // The barrier (0.6 m long) centred 40 m ahead in the ego's lane; the cone, nearer, is in another lane.
    expect(f[EGO_FEATURES - 2] * 100).toBeCloseTo(40 - (ego.length + 0.6) / 2, 2);
    expect(f[EGO_FEATURES - 1] * 40).toBeCloseTo(-10, 4);
    // Objects nearest first: the cone 10 m ahead and one lane width to the side, then the barrier.
    const laneWidth = world.network.lanes[ego.lane].width;
    const cone = f.subarray(EGO_FEATURES, EGO_FEATURES + OBJECT_FEATURES);
    expect([cone[0], cone[1] * 100, Math.abs(cone[2] * 100), cone[3] * 40, cone[9]].map((v) => +v.toFixed(3))).toEqual([1, 10, +laneWidth.toFixed(3), -10, 1]);
    const barrier = f.subarray(EGO_FEATURES + OBJECT_FEATURES);
    expect([barrier[0], barrier[1] * 100, Math.abs(barrier[2] * 100)].map((v) => +v.toFixed(3))).toEqual([1, 40, 0]);
    env.close();
  });

  it('reports no leader (the full range, same speed) when the lane ahead is clear', async () => {
    const env = await make('highway', wallAhead([{ type: 'features', range: 100 }], { obstacles: [{ lane: 0, position: 60, kind: 'barrier' }] }));
    const f = env.reset({ seed: 0 }).observation.features;
    expect([f[EGO_FEATURES - 2], f[EGO_FEATURES - 1]]).toEqual([1, 0]);
    env.close();
  });
});

describe('lidar', () => {
  it('measures the range to a wall at a known distance within 1 cm', async () => {
    const env = await make('highway', wallAhead([{ type: 'lidar', rays: 360, range: 80, height: 0.5, classes: true }]));
    const { observation } = env.reset({ seed: 0 });
    // Barrier 0.6 m deep centred at 60 m: its near face is at 59.7 m, 39.7 m ahead of the ego at 20 m.
    expect(observation.lidar[0] * 80).toBeCloseTo(39.7, 2);
    expect(Math.abs(observation.lidar[0] * 80 - 39.7)).toBeLessThan(0.01);
    // 1° to the left the same face is 39.7 / cos(1°) away.
    expect(Math.abs(observation.lidar[1] * 80 - 39.7 / Math.cos(Math.PI / 180))).toBeLessThan(0.01);
    expect(observation['lidar.classes'][0]).toBe(SemanticClass.obstacle);
    // Straight back there is nothing within range.
    expect(observation.lidar[180]).toBe(1);
    env.close();
  });

  it('has channels looking down at the road and range noise of the given size', async () => {
    const env = await make('highway', wallAhead([{ type: 'lidar', rays: 90, channels: 3, verticalFov: [-20, 0], range: 50, height: 1.5, noise: 0.05, classes: true }]));
    const { observation } = env.reset({ seed: 1 });
    expect(env.observationSpace.type === 'dict' && env.observationSpace.spaces.lidar).toMatchObject({ shape: [3, 90] });
    // Channel 0 points 20° down from 1.5 m: it meets the road 1.5 / sin(20°) = 4.39 m away.
    const down = observation.lidar[45] * 50;
    expect(Math.abs(down - 1.5 / Math.sin((20 * Math.PI) / 180))).toBeLessThan(0.2);
    expect([SemanticClass.road, SemanticClass.terrain]).toContain(observation['lidar.classes'][45]);
    env.close();
  });
});

describe('radar', () => {
  it('reports range, azimuth and range rate of the object ahead', async () => {
    const env = await make(
      'highway',
      wallAhead([{ type: 'radar', fov: 40, range: 150, noise: { range: 0, azimuth: 0, rangeRate: 0 } }], {
        obstacles: [{ lane: 1, position: 80, kind: 'car' }],
      }),
    );
    const { observation } = env.reset({ seed: 0 });
    const r = observation.radar;
    expect(r[0]).toBe(1);
    // Radar 2.3 m ahead of the ego centre, target centre at 80 m: 57.7 m, dead ahead, closing at 10 m/s.
    expect(r[1] * 150).toBeCloseTo(57.7, 1);
    expect(r[2]).toBeCloseTo(0, 3);
    expect(r[3] * 50).toBeCloseTo(-10, 1);
    expect(r[5]).toBe(0);
    env.close();
  });
});

describe('navigation sensors and rates', () => {
  it('GNSS noise has the configured spread; readings come at the sensor rate with their timestamps', async () => {
    const env = await make('highway', wallAhead([{ type: 'features' }, { type: 'gnss', rate: 2, noise: 1.5, biasDrift: 0 }], { ego: { lane: 1, position: 20, speed: 0 } }));
    env.reset({ seed: 3 });
    const errors: number[] = [];
    let last = -1;
    for (let i = 0; i < 400; i++) {
      const r = env.step(Float32Array.of(0, -1));
      const t = (r.info.sensors as Record<string, { timestamp: number; rate: number }>).gnss;
      expect(t.rate).toBe(2);
      // Readings every 0.5 s: the timestamp is the last multiple of 0.5 s.
      expect(t.timestamp).toBeCloseTo(Math.floor((r.info.time as number) * 2 + 1e-9) / 2, 9);
      if (t.timestamp !== last) {
        errors.push(r.observation.gnss[0] - env.unwrapped.world.egoActor.x);
        last = t.timestamp;
      }
      if (r.terminated || r.truncated) break;
    }
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    const std = Math.sqrt(errors.reduce((a, b) => a + (b - mean) ** 2, 0) / errors.length);
    expect(errors.length).toBeGreaterThan(70);
    expect(std).toBeGreaterThan(1.5 * 0.75);
    expect(std).toBeLessThan(1.5 * 1.25);
    env.close();
  });

  it('IMU reads the ego acceleration and odometry integrates distance', async () => {
    const env = await make('highway', wallAhead([{ type: 'imu', noise: { accel: 0, gyro: 0 }, biasDrift: { accel: 0, gyro: 0 } }, { type: 'odometry', scaleError: 0, noise: 0 }], { obstacles: [] }));
    env.reset({ seed: 0 });
    let distance = 0;
    for (let i = 0; i < 30; i++) {
      const r = env.step(Float32Array.of(0, 1));
      const ego = env.unwrapped.world.egoActor;
      distance += ego.speed * 0.1;
      expect(r.observation.imu[0]).toBeCloseTo(ego.accel, 5);
      expect(r.observation.odometry[0]).toBeCloseTo(ego.speed, 5);
    }
    expect(env.step(Float32Array.of(0, 1)).observation.odometry[1]).toBeGreaterThan(distance * 0.98);
    env.close();
  });

  it('noise comes from the seed: same seed, same readings; other seed, other readings', async () => {
    const sensors = [{ type: 'gnss' }, { type: 'imu' }, { type: 'lidar', rays: 16, noise: 0.1 }];
    const run = async (seed: number) => {
      const env = await make('highway', { sensors } as ScenarioOverrides);
      env.reset({ seed });
      const out: number[] = [];
      for (let i = 0; i < 10; i++) {
        const o = env.step(Float32Array.of(0, 0.3)).observation;
        out.push(...o.gnss, ...o.imu, ...o.lidar);
      }
      env.close();
      return out;
    };
    expect(await run(4)).toEqual(await run(4));
    expect(await run(4)).not.toEqual(await run(5));
  });
});

describe('several cameras on one vehicle', () => {
  it('gives each camera its own keys, buffers, rate and view', async () => {
    const env = await make('highway', {
      sensors: [
        { type: 'camera', id: 'front', width: 64, height: 48, buffers: ['rgb', 'semantic'] },
        { type: 'camera', id: 'rear', width: 32, height: 24, rate: 5, mount: { x: -2, z: 1.4, yaw: 180 } },
      ],
    } as ScenarioOverrides);
    const space = env.observationSpace;
    expect(space.type === 'dict' && Object.keys(space.spaces)).toEqual(['front', 'front.semantic', 'rear']);
    const first = env.reset({ seed: 1 }).observation;
    expect(first.front).toHaveLength(48 * 64 * 3);
    expect(first.rear).toHaveLength(24 * 32 * 3);
    expect(first['front.semantic'].some((c) => c === SemanticClass.road)).toBe(true);
    const r1 = env.step(Float32Array.of(0, 0.5));
    // The rear camera runs at 5 Hz: after one 0.1 s step it still shows the reading from t = 0.
    expect((r1.info.sensors as Record<string, { timestamp: number }>).rear.timestamp).toBe(0);
    expect(r1.observation.rear).toBe(first.rear);
    const r2 = env.step(Float32Array.of(0, 0.5));
    expect((r2.info.sensors as Record<string, { timestamp: number }>).rear.timestamp).toBeCloseTo(0.2, 9);
    expect(r2.observation.rear).not.toBe(first.rear);
    env.close();
  });
});
