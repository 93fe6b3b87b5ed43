import { describe, expect, it } from 'vitest';
import { drivingScore, INFRACTION_PENALTIES } from '../../../src/bench/drivingScore.ts';
import { computeMetrics, type EpisodeTrace } from '../../../src/bench/metrics.ts';
import { timeToCollision, type MovingBox } from '../../../src/bench/ttc.ts';

function trace(n: number, overrides: Partial<EpisodeTrace> = {}): EpisodeTrace {
  return {
    dt: 0.1, speed: Array(n).fill(10), accel: Array(n).fill(0), latAccel: Array(n).fill(0), speedLimit: Array(n).fill(20),
    ttc: Array(n).fill(Infinity), offRoad: Array(n).fill(false), progress: 100, routeLength: 100,
    collisions: { vehicle: 0, pedestrian: 0, obstacle: 0 }, redLights: 0, laneInvasions: 0, outcome: 'goal',
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
});
