/**
 * Per-episode driving metrics, computed from a trace of the episode. Pure arithmetic, so that
 * every number in a report can be checked by hand on a made-up trace.
 */
import { drivingScore, infractionPenalty, type Infraction } from './drivingScore.ts';
import { TTC_HORIZON } from './ttc.ts';

/** What the recorder samples after every step of an episode. Arrays have one entry per step. */
export interface EpisodeTrace {
  /** Env step [s] */
  dt: number;
  /** Ego speed [m/s] */
  speed: number[];
  /** Longitudinal acceleration [m/s²] */
  accel: number[];
  /** Lateral acceleration, speed × yaw rate [m/s²] */
  latAccel: number[];
  /** Speed limit of the lane the ego is on [m/s] */
  speedLimit: number[];
  /** Smallest time to collision with any actor not behind the ego [s], Infinity when none within the horizon */
  ttc: number[];
  offRoad: boolean[];
  /** Route progress at the end [m] and the progress that completes the route [m] */
  progress: number;
  routeLength: number;
  /** Collisions, by what was hit */
  collisions: { vehicle: number; pedestrian: number; obstacle: number };
  /** Stop lines passed against a red signal */
  redLights: number;
  /** Contacts between NPCs during the episode (not the ego's); 0 in a sound world */
  npcCollisions: number;
  /** Lane markings crossed: changes to a lane that is not a successor of the last one */
  laneInvasions: number;
  /** How the episode ended */
  outcome: 'goal' | 'collision' | 'off-road' | 'time-limit';
  /** true for scenarios whose goal is to keep going until the time limit */
  survival: boolean;
  /** The scenario's time limit [s]; completion of a survival scenario is the fraction of it lived */
  timeLimit: number;
  reward: number;
  rewards: Record<string, number>;
  wallTime: number;
}

/** TTC below this is counted as time in danger [s], as in nuPlan */
export const TTC_THRESHOLD = 1.5;
/** Speeding counts from this fraction above the limit */
export const SPEEDING_TOLERANCE = 0.05;

export interface EpisodeMetrics {
  outcome: EpisodeTrace['outcome'];
  /** 1 when the goal was reached (or survived to the time limit) without collision or leaving the road */
  success: number;
  /** Fraction of the route driven, in [0, 1] */
  routeCompletion: number;
  /** CARLA-style: route completion × infraction penalty */
  drivingScore: number;
  infractionPenalty: number;
  /** [m] */
  progress: number;
  /** [m] */
  distance: number;
  /** Simulated time [s] */
  duration: number;
  steps: number;
  collisionsVehicle: number;
  collisionsPedestrian: number;
  collisionsObstacle: number;
  /** All collisions per km driven (per 0.1 km at least, so short episodes do not explode) */
  collisionsPerKm: number;
  /** Contacts between NPCs, which no agent causes: a check on the world, not a score */
  npcCollisions: number;
  /** [s] */
  offRoadTime: number;
  laneInvasions: number;
  /** Time above the speed limit [s] */
  speedingTime: number;
  redLights: number;
  /** Smallest TTC in the episode [s], capped at the horizon */
  minTtc: number;
  /** Time with TTC below the threshold [s] */
  ttcBelowThresholdTime: number;
  /** Longitudinal jerk [m/s³] */
  jerkPeak: number;
  jerkRms: number;
  /** Lateral acceleration [m/s²] */
  latAccelPeak: number;
  latAccelRms: number;
  /** [m/s] */
  meanSpeed: number;
  reward: number;
  wallTime: number;
  stepsPerSecond: number;
}

export function computeMetrics(t: EpisodeTrace): EpisodeMetrics {
  const n = t.speed.length;
  const dt = t.dt;
  const duration = n * dt;
  let distance = 0, offRoad = 0, speeding = 0, below = 0, minTtc = TTC_HORIZON;
  for (let i = 0; i < n; i++) {
    distance += Math.abs(t.speed[i]) * dt;
    if (t.offRoad[i]) offRoad += dt;
    if (t.speed[i] > t.speedLimit[i] * (1 + SPEEDING_TOLERANCE)) speeding += dt;
    if (t.ttc[i] < TTC_THRESHOLD) below += dt;
    if (t.ttc[i] < minTtc) minTtc = t.ttc[i];
  }
  const jerk: number[] = [];
  for (let i = 1; i < n; i++) jerk.push((t.accel[i] - t.accel[i - 1]) / dt);
  const c = t.collisions;
  const totalCollisions = c.vehicle + c.pedestrian + c.obstacle;
  const routeCompletion = Math.min(1, Math.max(0, t.survival ? duration / t.timeLimit : t.progress / t.routeLength));
  const counts: Record<Infraction, number> = {
    collisionVehicle: c.vehicle,
    collisionPedestrian: c.pedestrian,
    collisionObstacle: c.obstacle,
    redLight: t.redLights,
    offRoad: t.offRoad.some(Boolean) ? 1 : 0,
    timeout: t.outcome === 'time-limit' && !t.survival ? 1 : 0,
  };
  const reachedEnd = t.survival ? t.outcome === 'time-limit' : t.outcome === 'goal';
  return {
    outcome: t.outcome,
    success: reachedEnd && totalCollisions === 0 && counts.offRoad === 0 ? 1 : 0,
    routeCompletion,
    drivingScore: drivingScore(routeCompletion, counts),
    infractionPenalty: infractionPenalty(counts),
    progress: t.progress,
    distance,
    duration,
    steps: n,
    collisionsVehicle: c.vehicle,
    collisionsPedestrian: c.pedestrian,
    collisionsObstacle: c.obstacle,
    collisionsPerKm: totalCollisions / Math.max(distance / 1000, 0.1),
    npcCollisions: t.npcCollisions,
    offRoadTime: offRoad,
    laneInvasions: t.laneInvasions,
    speedingTime: speeding,
    redLights: t.redLights,
    minTtc,
    ttcBelowThresholdTime: below,
    jerkPeak: maxAbs(jerk),
    jerkRms: rms(jerk),
    latAccelPeak: maxAbs(t.latAccel),
    latAccelRms: rms(t.latAccel),
    meanSpeed: duration > 0 ? distance / duration : 0,
    reward: t.reward,
    wallTime: t.wallTime,
    stepsPerSecond: t.wallTime > 0 ? n / t.wallTime : 0,
  };
}

function rms(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (const x of xs) s += x * x;
  return Math.sqrt(s / xs.length);
}

function maxAbs(xs: readonly number[]): number {
  let m = 0;
  for (const x of xs) m = Math.max(m, Math.abs(x));
  return m;
}

/** The metrics a report aggregates, with how to read them: higher or lower is better. */
export const REPORTED_METRICS: readonly { key: keyof EpisodeMetrics; label: string; unit: string; better: 'higher' | 'lower' }[] = [
  { key: 'success', label: 'success', unit: '', better: 'higher' },
  { key: 'routeCompletion', label: 'route completion', unit: '', better: 'higher' },
  { key: 'drivingScore', label: 'driving score', unit: '', better: 'higher' },
  { key: 'collisionsPerKm', label: 'collisions per km', unit: '/km', better: 'lower' },
  { key: 'offRoadTime', label: 'off-road time', unit: 's', better: 'lower' },
  { key: 'npcCollisions', label: 'NPC–NPC contacts', unit: '', better: 'lower' },
  { key: 'laneInvasions', label: 'lane invasions', unit: '', better: 'lower' },
  { key: 'speedingTime', label: 'speeding time', unit: 's', better: 'lower' },
  { key: 'redLights', label: 'red lights run', unit: '', better: 'lower' },
  { key: 'minTtc', label: 'min TTC', unit: 's', better: 'higher' },
  { key: 'ttcBelowThresholdTime', label: 'time TTC < 1.5 s', unit: 's', better: 'lower' },
  { key: 'progress', label: 'progress', unit: 'm', better: 'higher' },
  { key: 'jerkPeak', label: 'peak jerk', unit: 'm/s³', better: 'lower' },
  { key: 'jerkRms', label: 'RMS jerk', unit: 'm/s³', better: 'lower' },
  { key: 'latAccelPeak', label: 'peak lateral accel', unit: 'm/s²', better: 'lower' },
  { key: 'latAccelRms', label: 'RMS lateral accel', unit: 'm/s²', better: 'lower' },
  { key: 'meanSpeed', label: 'mean speed', unit: 'm/s', better: 'higher' },
  { key: 'reward', label: 'reward', unit: '', better: 'higher' },
  { key: 'stepsPerSecond', label: 'steps/s', unit: '', better: 'higher' },
];
