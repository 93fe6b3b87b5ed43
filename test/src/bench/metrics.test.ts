import { describe, expect, it } from 'vitest';
import { drivingScore, INFRACTION_PENALTIES } from '../../../src/bench/drivingScore.ts';
import { computeMetrics, type EpisodeTrace } from '../../../src/bench/metrics.ts';
import { timeToCollision, type MovingBox } from '../../../src/bench/ttc.ts';

function trace(n: number, overrides: Partial<EpisodeTrace> = {}): EpisodeTrace {
  return {
    dt: 0.1, speed: Array(n).fill(10), accel: Array(n).fill(0), latAccel: Array(n).fill(0), speedLimit: Array(n).fill(20),
    ttc: Array(n).fill(Infinity), offRoad: Array(n).fill(false), progress: 100, routeLength: 100,
    collisions: { vehicle: 0, pedestrian: 0, obstacle: 0 }, redLights: 0, laneInvasions: 0, npcCollisions: 0, outcome: 'goal',
    survival: false, timeLimit: 60, reward: 0, rewards: {}, wallTime: 0.5, ...overrides,
  };
}

const box = (x: number, y: number, heading: number, speed: number, length = 4.6, width = 1.9): MovingBox => ({
  x, y, heading, vx: speed * Math.cos(heading), vy: speed * Math.sin(heading), length, width,
});

describe('time to collision', () => {
  it('closing on a stopped barrier: gap / speed', () => {
    // Centres 40 m apart; the bumpers are 40 − 2.3 − 0.3 = 37.4 m apart, closed at 20 m/s.
    expect(timeToCollision(box(0, 0, 0, 20), box(40, 0, 0, 0, 0.6, 2.6))).toBeCloseTo(1.87, 3);
  });

  it('head-on at a combined 30 m/s with 60 m between bumpers', () => {
    expect(timeToCollision(box(0, 0, 0, 15), box(64.6, 0, Math.PI, 15))).toBeCloseTo(2, 3);
  });

  it('a car crossing the path from the left arrives when it arrives', () => {
    // Ego parked at the origin; the other car's front reaches the ego's left side (y = 0.95) when 10 − 2.3 − 0.95 m are covered at 10 m/s.
    expect(timeToCollision(box(0, 0, 0, 0), box(0, 10, -Math.PI / 2, 10))).toBeCloseTo(0.675, 3);
  });

  it('parallel lanes at the same speed never collide; overlapping boxes are at 0', () => {
    expect(timeToCollision(box(0, 0, 0, 25), box(5, 3.6, 0, 25))).toBe(Infinity);
    expect(timeToCollision(box(0, 0, 0, 25), box(3, 0.5, 0, 25))).toBe(0);
    expect(timeToCollision(box(0, 0, 0, 10), box(100, 0, 0, 0))).toBe(Infinity);
  });
});

describe('driving score', () => {
  it('is route completion times one factor per infraction', () => {
    expect(drivingScore(0.8, { collisionVehicle: 1, redLight: 1 })).toBeCloseTo(0.8 * 0.6 * 0.7, 12);
    expect(drivingScore(1, { collisionPedestrian: 2 })).toBeCloseTo(0.25, 12);
    expect(drivingScore(1.3, {})).toBe(1);
    expect(INFRACTION_PENALTIES.collisionObstacle).toBe(0.65);
  });
});

describe('episode metrics', () => {
  it('a known jerk: acceleration ramping by 1 m/s² per 0.1 s step is 10 m/s³', () => {
    const m = computeMetrics(trace(20, { accel: Array.from({ length: 20 }, (_, i) => i) }));
    expect(m.jerkPeak).toBeCloseTo(10, 9);
    expect(m.jerkRms).toBeCloseTo(10, 9);
  });

  it('jerk from the very first pair of steps: one jump of 1 m/s² in 0.1 s', () => {
    const m = computeMetrics(trace(4, { accel: [0, 1, 1, 1] }));
    // Three differences: 10, 0, 0 m/s³.
    expect(m.jerkPeak).toBeCloseTo(10, 9);
    expect(m.jerkRms).toBeCloseTo(Math.sqrt(100 / 3), 9);
  });

  it('mean speed is distance over simulated time: 10 m/s for 2 s is 20 m at 10 m/s', () => {
    const m = computeMetrics(trace(20));
    expect(m.distance).toBeCloseTo(20, 9);
    expect(m.duration).toBeCloseTo(2, 12);
    expect(m.meanSpeed).toBeCloseTo(10, 9);
  });

  it('lateral acceleration peak and RMS', () => {
    const m = computeMetrics(trace(4, { latAccel: [3, -4, 0, 0] }));
    expect(m.latAccelPeak).toBe(4);
    expect(m.latAccelRms).toBeCloseTo(Math.sqrt(25 / 4), 12);
  });

  it('TTC: minimum, capped at the horizon, and time spent below 1.5 s', () => {
    const m = computeMetrics(trace(6, { ttc: [Infinity, 3, 1.4, 1.0, 1.6, Infinity] }));
    expect(m.minTtc).toBe(1.0);
    expect(m.ttcBelowThresholdTime).toBeCloseTo(0.2, 12);
    expect(computeMetrics(trace(3)).minTtc).toBe(5);
  });

  it('a collision halfway: completion 0.5, score 0.5 × 0.6, failure, collisions per km', () => {
    const m = computeMetrics(trace(100, { outcome: 'collision', progress: 50, collisions: { vehicle: 1, pedestrian: 0, obstacle: 0 } }));
    expect(m.success).toBe(0);
    expect(m.routeCompletion).toBe(0.5);
    expect(m.drivingScore).toBeCloseTo(0.3, 12);
    // 100 steps at 10 m/s for 0.1 s each: 100 m driven, so 1 collision is 10 per km.
    expect(m.distance).toBeCloseTo(100, 9);
    expect(m.collisionsPerKm).toBeCloseTo(10, 9);
  });

  it('speeding counts time above the limit plus 5%', () => {
    const m = computeMetrics(trace(10, { speed: [20, 21, 21.5, 22, 30, 10, 10, 10, 10, 10] }));
    expect(m.speedingTime).toBeCloseTo(0.3, 12);
  });

  it('running out of time costs the timeout factor; surviving a survival scenario is success', () => {
    const late = computeMetrics(trace(10, { outcome: 'time-limit', progress: 90 }));
    expect(late.success).toBe(0);
    expect(late.drivingScore).toBeCloseTo(0.9 * 0.7, 12);
    const survived = computeMetrics(trace(600, { outcome: 'time-limit', survival: true, timeLimit: 60 }));
    expect(survived.success).toBe(1);
    expect(survived.routeCompletion).toBe(1);
    expect(survived.drivingScore).toBe(1);
  });

  // Driving scores below are worked out from CARLA's factors: pedestrian 0.5, vehicle 0.6,
  // obstacle 0.65, red light 0.7, timeout 0.7, and drivelab's off-road 0.65.
  it('leaving the road 40 m into a 100 m route: completion 0.4 × 0.65 = 0.26, once however long', () => {
    const offRoad = [...Array(28).fill(false), true, true];
    const m = computeMetrics(trace(30, { outcome: 'off-road', progress: 40, offRoad }));
    expect(m.routeCompletion).toBeCloseTo(0.4, 12);
    expect(m.infractionPenalty).toBeCloseTo(0.65, 12);
    expect(m.drivingScore).toBeCloseTo(0.26, 12);
    expect(m.offRoadTime).toBeCloseTo(0.2, 12);
    expect(m.success).toBe(0);
  });

  it('two red lights on a completed route: 0.7² = 0.49, still a success', () => {
    const m = computeMetrics(trace(50, { redLights: 2 }));
    expect(m.redLights).toBe(2);
    expect(m.drivingScore).toBeCloseTo(0.49, 12);
    expect(m.success).toBe(1);
  });

  it('a pedestrian costs 0.5, an obstacle 0.65', () => {
    const ped = computeMetrics(trace(10, { outcome: 'collision', progress: 60, collisions: { vehicle: 0, pedestrian: 1, obstacle: 0 } }));
    expect(ped.drivingScore).toBeCloseTo(0.3, 12);
    expect(ped.collisionsPedestrian).toBe(1);
    const cone = computeMetrics(trace(10, { outcome: 'collision', progress: 60, collisions: { vehicle: 0, pedestrian: 0, obstacle: 1 } }));
    expect(cone.drivingScore).toBeCloseTo(0.39, 12);
    expect(cone.collisionsObstacle).toBe(1);
  });

  it('factors multiply: 80% of the route, a red light, a cone and then off the road is 0.8 × 0.7 × 0.65 × 0.65', () => {
    const m = computeMetrics(trace(40, {
      outcome: 'off-road', progress: 80, redLights: 1, collisions: { vehicle: 0, pedestrian: 0, obstacle: 1 },
      offRoad: [...Array(39).fill(false), true],
    }));
    expect(m.drivingScore).toBeCloseTo(0.2366, 12);
    expect(m.infractionPenalty).toBeCloseTo(0.29575, 12);
  });

  it('a survival scenario ending in a crash after 15 of 60 s: completion 0.25 × 0.6, no timeout factor when it runs out', () => {
    const crashed = computeMetrics(trace(150, { outcome: 'collision', survival: true, timeLimit: 60, progress: 300, routeLength: 1000, collisions: { vehicle: 1, pedestrian: 0, obstacle: 0 } }));
    expect(crashed.routeCompletion).toBeCloseTo(0.25, 12);
    expect(crashed.drivingScore).toBeCloseTo(0.15, 12);
    expect(crashed.success).toBe(0);
    const lived = computeMetrics(trace(600, { outcome: 'time-limit', survival: true, timeLimit: 60, progress: 300, routeLength: 1000, redLights: 1 }));
    expect(lived.drivingScore).toBeCloseTo(0.7, 12);
  });

  it('lane invasions and speeding are reported but cost nothing', () => {
    const m = computeMetrics(trace(10, { laneInvasions: 3, speed: Array(10).fill(25) }));
    expect(m.laneInvasions).toBe(3);
    expect(m.speedingTime).toBeCloseTo(1, 12);
    expect(m.drivingScore).toBe(1);
    expect(m.success).toBe(1);
  });

  it('NPC contacts are reported as they were counted and cost the ego nothing: no agent causes them', () => {
    const m = computeMetrics(trace(10, { npcCollisions: 2 }));
    expect(m.npcCollisions).toBe(2);
    expect(m.drivingScore).toBe(1);
    expect(m.success).toBe(1);
    expect(m.collisionsPerKm).toBe(0);
  });
});
