/**
 * The scenario file format, version 1. One zod schema is the only description of a scenario:
 * files, CLI overrides and network messages are parsed by it once, where they enter, and are typed
 * after that. Every field except `version`, `id` and `map.type` has a default.
 *
 * Conventions: lengths in metres, speeds in m/s, times in seconds, angles in degrees in files.
 * Lane indices count from the rightmost lane (0) to the left, for right-hand traffic.
 */
import { z } from 'zod';
import { SensorSpec } from './sensors.ts';

export * from './sensors.ts';

const num = z.number().finite();
const nonNegative = num.min(0);
const positive = num.positive();

/** Lane width [m] */
const laneWidth = num.min(2.5).max(6);
/** Speed limit [m/s] */
const speedLimit = positive.max(60);
/** Positions along the road where pedestrians cross [m] */
const crosswalkPositions = z.array(nonNegative).max(16);

export const HighwayMap = z.strictObject({
  type: z.literal('highway'),
  /** Number of lanes in the direction of travel */
  lanes: z.number().int().min(1).max(6).default(3),
  /** Length of the road [m] */
  length: positive.max(20_000).default(1000),
  laneWidth: laneWidth.default(3.6),
  /** Constant curvature of the road [1/m]; 0 is straight, positive bends left */
  curvature: num.min(-0.02).max(0.02).default(0),
  speedLimit: speedLimit.default(30),
  crosswalks: crosswalkPositions.default([]),
});

export const RoadMap = z.strictObject({
  type: z.literal('road'),
  /** Length of the road along its forward lane, the ego's, on every seed [m] */
  length: positive.max(10_000).default(600),
  laneWidth: laneWidth.default(3.5),
  /** Largest curvature of the seeded bends [1/m]; 0 makes a straight road */
  maxCurvature: nonNegative.max(0.05).default(0.02),
  /** Length of one bend or straight piece [m] */
  segmentLength: positive.min(10).max(500).default(60),
  speedLimit: speedLimit.default(20),
  crosswalks: crosswalkPositions.default([]),
});

export const MergeMap = z.strictObject({
  type: z.literal('merge'),
  /** Lanes on the main road */
  lanes: z.number().int().min(1).max(5).default(2),
  /** Length of the main road [m] */
  length: positive.min(200).max(10_000).default(600),
  laneWidth: laneWidth.default(3.6),
  /** Where the on-ramp joins the main road, along the main road [m] */
  mergePosition: positive.default(200),
  /** Length of the on-ramp before it starts to join [m] */
  rampLength: positive.min(40).max(1000).default(150),
  /** Length over which the ramp lane blends into the main road [m] */
  mergeLength: positive.min(20).max(300).default(80),
  speedLimit: speedLimit.default(30),
  rampSpeedLimit: speedLimit.default(22),
});

export const IntersectionMap = z.strictObject({
  type: z.literal('intersection'),
  /** Lanes per direction on each arm */
  lanes: z.number().int().min(1).max(3).default(1),
  /** Length of each arm from the junction box [m] */
  armLength: positive.min(30).max(2000).default(120),
  laneWidth: laneWidth.default(3.5),
  speedLimit: speedLimit.default(14),
  /** Traffic signals; without them every approach yields as at an all-way stop */
  signals: z.boolean().default(true),
  /** Signal timing; each arm gets its own green in turn (split phasing) [s] */
  cycle: z
    .strictObject({ green: positive.default(12), yellow: positive.default(3), allRed: nonNegative.default(1.5) })
    .prefault({}),
  /** Zebra crossings on every arm, just before the junction */
  crosswalks: z.boolean().default(true),
});

export const RoundaboutMap = z.strictObject({
  type: z.literal('roundabout'),
  /** Radius of the ring's lane centre [m] */
  radius: positive.min(10).max(100).default(22),
  /** Number of arms, evenly spaced */
  arms: z.number().int().min(3).max(6).default(4),
  /** Length of each arm [m] */
  armLength: positive.min(30).max(1000).default(90),
  laneWidth: laneWidth.default(4),
  speedLimit: speedLimit.default(12),
});

export const MapSpec = z.discriminatedUnion('type', [HighwayMap, RoadMap, MergeMap, IntersectionMap, RoundaboutMap]);
export type MapSpec = z.infer<typeof MapSpec>;
export type MapType = MapSpec['type'];

export const EgoSpec = z.strictObject({
  /**
   * Start lane. highway and merge main road: lane index from the right; merge: -1 is the on-ramp;
   * road: 0 is the forward lane; intersection and roundabout: lane index on the entry arm.
   */
  lane: z.number().int().min(-1).max(5).default(0),
  /** Arc length along the ego's route where the episode starts [m] */
  position: nonNegative.default(20),
  /** Initial speed [m/s] */
  speed: nonNegative.max(60).default(15),
  /** Manoeuvre at an intersection */
  turn: z.enum(['straight', 'left', 'right']).default('straight'),
  /** Roundabout exit, counted anticlockwise from the entry arm (1 is the first exit) */
  exit: z.number().int().min(1).max(5).default(2),
});

export const TrafficSpec = z.strictObject({
  /** Number of NPC vehicles */
  vehicles: z.number().int().min(0).max(500).default(10),
  /** Number of pedestrians; they need crosswalks on the map */
  pedestrians: z.number().int().min(0).max(200).default(0),
  /** Range of the NPCs' desired speeds [m/s] */
  speed: z.tuple([nonNegative.max(60), nonNegative.max(60)]).default([15, 25]),
  /** idm-mobil: car following and lane changes; idm: car following only */
  behavior: z.enum(['idm-mobil', 'idm']).default('idm-mobil'),
  /** MOBIL politeness factor: weight of the gains of other drivers */
  politeness: num.min(0).max(1).default(0.3),
  /** IDM desired time headway [s] */
  timeHeadway: positive.max(5).default(1.5),
});

export const ObstacleSpec = z.strictObject({
  /** Lane index from the right, on the ego's road */
  lane: z.number().int().min(0).max(5),
  /** Arc length along that lane [m] */
  position: nonNegative,
  kind: z.enum(['car', 'cone', 'barrier']).default('barrier'),
  /** Lateral shift from the lane centre, positive to the left [m] */
  offset: num.min(-3).max(3).default(0),
});

export const GoalSpec = z.discriminatedUnion('type', [
  /** Reach an arc length along the ego's route [m] */
  z.strictObject({ type: z.literal('reach'), position: positive }),
  /** Reach the end of the ego's route */
  z.strictObject({ type: z.literal('route-end') }),
  /** No goal: drive until the time limit */
  z.strictObject({ type: z.literal('survive') }),
]);

/** A reward weight; bounded so that no step's reward overflows to Infinity */
const weight = num.min(-1e6).max(1e6);

export const RewardSpec = z.strictObject({
  /** Per metre of route progress, scaled by the speed limit so a step at the limit earns 1 */
  progress: weight.default(1),
  /** Speed as a fraction of the speed limit, in [0, 1] */
  speed: weight.default(0.2),
  /** 1 on the lane centre, 0 at the lane edge */
  laneCentering: weight.default(0.1),
  /** 1 on the step of a collision */
  collision: weight.default(-10),
  /** 1 on the step the vehicle leaves the road */
  offRoad: weight.default(-5),
  /** Squared longitudinal jerk plus squared steering rate, normalised to about 1 when harsh */
  comfort: weight.default(-0.05),
  /** 1 on the step the goal is reached */
  goal: weight.default(1),
});

export const EnvironmentSpec = z.strictObject({
  /** Light presets: sun height and colour, ambient light, sky */
  timeOfDay: z.enum(['day', 'dusk', 'night']).default('day'),
  /** Sun direction [deg]: azimuth anticlockwise from +x, elevation above the horizon; default from timeOfDay */
  sun: z.strictObject({ azimuth: num.min(-360).max(360), elevation: num.min(-90).max(90) }).optional(),
  /** Exponential fog density [1/m]; 0 is clear air */
  fog: nonNegative.max(1).default(0),
});

export const SimSpec = z.strictObject({
  /** Physics timestep [s]; at most 1 kHz, so a step costs at most a thousand physics sub-steps */
  physicsDt: num.min(0.001).max(0.05).default(0.02),
  /** Control timestep: one env step [s]; a whole multiple of physicsDt */
  stepDt: positive.max(1).default(0.1),
});

export const ActionSpec = z.strictObject({
  /** continuous: Box [steer, acceleration] in [-1, 1]; discrete: meta-actions */
  type: z.enum(['continuous', 'discrete']).default('continuous'),
});


export const Scenario = z
  .strictObject({
    version: z.literal(1),
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected lower-case letters, digits, ".", "_" or "-"'),
    description: z.string().default(''),
    map: MapSpec,
    ego: EgoSpec.prefault({}),
    traffic: TrafficSpec.prefault({}),
    obstacles: z.array(ObstacleSpec).max(100).default([]),
    goal: GoalSpec.default({ type: 'route-end' }),
    limits: z.strictObject({ /** Episode duration [s] */ duration: positive.max(3600).default(60) }).prefault({}),
    reward: RewardSpec.prefault({}),
    sim: SimSpec.prefault({}),
    environment: EnvironmentSpec.prefault({}),
    action: ActionSpec.prefault({}),
    sensors: z
      .array(SensorSpec)
      .min(1)
      .default([
        { type: 'features', id: 'features', objects: 8, range: 100 },
        { type: 'lidar', id: 'lidar', rays: 64, channels: 1, verticalFov: [0, 0], range: 60, height: 1.0, noise: 0, classes: false },
      ]),
  })
  .superRefine(checkConsistency);

export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;

/** Rules that span fields; each names the field to fix. */
function checkConsistency(s: Omit<Scenario, never>, ctx: z.RefinementCtx): void {
  const fail = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const [lo, hi] = s.traffic.speed;
  if (lo > hi) fail(['traffic', 'speed', 1], `expected a maximum ≥ the minimum ${lo}, got ${hi}`);

  const ratio = s.sim.stepDt / s.sim.physicsDt;
  // A step shorter than one physics step would never move the world.
  if (Math.abs(ratio - Math.round(ratio)) > 1e-6 || Math.round(ratio) < 1) {
    fail(['sim', 'stepDt'], `expected a whole multiple of sim.physicsDt (${s.sim.physicsDt}), got ${s.sim.stepDt}`);
  }
  if (s.limits.duration < s.sim.stepDt) {
    fail(['limits', 'duration'], `expected at least one step of sim.stepDt (${s.sim.stepDt} s), got ${s.limits.duration}`);
  }

  const m = s.map;
  if (m.type === 'highway' && Math.abs(m.curvature) * m.length > 1.8 * Math.PI) {
    fail(['map', 'curvature'], `expected |curvature| × length ≤ ${(1.8 * Math.PI).toFixed(2)} rad so the road does not close on itself, got ${(Math.abs(m.curvature) * m.length).toFixed(2)}`);
  }
  if (m.type === 'merge' && m.mergePosition + m.mergeLength > m.length - 20) {
    fail(['map', 'mergePosition'], `expected mergePosition + mergeLength ≤ length − 20 (${m.length - 20}), got ${m.mergePosition + m.mergeLength}`);
  }

  if (m.type === 'highway' || m.type === 'road') {
    m.crosswalks.forEach((at, i) => {
      if (at > m.length) fail(['map', 'crosswalks', i], `expected a position on the ${m.length} m road, got ${at}`);
    });
  }

  const startLanes = m.type === 'highway' ? m.lanes : m.type === 'merge' ? m.lanes : m.type === 'intersection' ? m.lanes : 1;
  const minLane = m.type === 'merge' ? -1 : 0;
  if (startLanes >= 1 && (s.ego.lane < minLane || s.ego.lane >= startLanes)) {
    fail(['ego', 'lane'], `expected a lane index from ${minLane} to ${startLanes - 1} on this ${m.type} map, got ${s.ego.lane}`);
  }
  if (m.type === 'intersection' && s.ego.turn !== 'straight' && m.lanes > 1) {
    const needed = s.ego.turn === 'left' ? m.lanes - 1 : 0;
    if (s.ego.lane !== needed) {
      fail(['ego', 'lane'], `expected ${needed} (the ${s.ego.turn}most lane) for a ${s.ego.turn} turn, got ${s.ego.lane}`);
    }
  }
  if (m.type === 'roundabout' && s.ego.exit >= m.arms) {
    fail(['ego', 'exit'], `expected an exit from 1 to ${m.arms - 1} on a ${m.arms}-arm roundabout, got ${s.ego.exit}`);
  }

  const lanesOnRoad = m.type === 'highway' || m.type === 'merge' ? m.lanes : 1;
  s.obstacles.forEach((o, i) => {
    if (o.lane >= lanesOnRoad) fail(['obstacles', i, 'lane'], `expected a lane index below ${lanesOnRoad}, got ${o.lane}`);
  });

  if (s.traffic.pedestrians > 0) {
    const hasCrosswalks =
      m.type === 'intersection' ? m.crosswalks : m.type === 'highway' || m.type === 'road' ? m.crosswalks.length > 0 : false;
    if (!hasCrosswalks) {
      fail(['traffic', 'pedestrians'], `expected 0 on a map without crosswalks (add map.crosswalks), got ${s.traffic.pedestrians}`);
    }
  }

  const ids = new Set<string>();
  s.sensors.forEach((sensor, i) => {
    if (ids.has(sensor.id)) fail(['sensors', i, 'id'], `expected a unique sensor id, got a second "${sensor.id}"`);
    ids.add(sensor.id);
    // Nothing lies between a near plane at or beyond the far plane: every frame would be empty.
    if (sensor.type === 'camera' && sensor.far <= sensor.near) fail(['sensors', i, 'far'], `expected more than near (${sensor.near}), got ${sensor.far}`);
  });
}
