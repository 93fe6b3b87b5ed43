/**
 * Sensor entries of a scenario file: what each sensor measures, where it is mounted and how
 * noisy it is. Units as in schema.ts; angles in degrees.
 */
import { z } from 'zod';

const num = z.number().finite();
const nonNegative = num.min(0);
const positive = num.positive();

/** Readings per second [Hz]; absent means one reading per env step */
const rate = positive.max(1000).optional();

export const FeaturesSensor = z.strictObject({
  type: z.literal('features'),
  id: z.string().min(1).default('features'),
  rate,
  /** Nearest objects reported */
  objects: z.number().int().min(0).max(64).default(8),
  /** Objects farther than this are left out [m] */
  range: positive.max(500).default(100),
});

/** Ranges of the mount fields: x forward, y left, z up from the ground [m]; angles [deg] */
const mountFields = {
  x: num.min(-10).max(10),
  y: num.min(-5).max(5),
  z: num.min(0).max(10),
  /** Turn to the left */
  yaw: num.min(-180).max(180),
  /** Nose up */
  pitch: num.min(-90).max(90),
  roll: num.min(-180).max(180),
};

/** Where a sensor sits on the ego, in the body frame: x forward, y left, z up from the ground [m]; angles [deg] */
export const Mount = z.strictObject({
  x: mountFields.x.default(0),
  y: mountFields.y.default(0),
  z: mountFields.z.default(1.5),
  yaw: mountFields.yaw.default(0),
  pitch: mountFields.pitch.default(0),
  roll: mountFields.roll.default(0),
});

/**
 * A mount given field by field with no defaults of its own, so that what is left out comes from
 * the sensor (the lidar's `height` stands in for z).
 */
const PartialMount = z.strictObject({
  x: mountFields.x.optional(),
  y: mountFields.y.optional(),
  z: mountFields.z.optional(),
  yaw: mountFields.yaw.optional(),
  pitch: mountFields.pitch.optional(),
  roll: mountFields.roll.optional(),
});

export const LidarSensor = z.strictObject({
  type: z.literal('lidar'),
  id: z.string().min(1).default('lidar'),
  rate,
  /** Azimuth steps in one sweep, anticlockwise from straight ahead */
  rays: z.number().int().min(1).max(8192).default(64),
  /** Vertical channels, spread evenly over `verticalFov` */
  channels: z.number().int().min(1).max(128).default(1),
  /** Vertical field of view [deg], [lowest, highest] elevation; with one channel the mean is used */
  verticalFov: z.tuple([num.min(-90).max(90), num.min(-90).max(90)]).default([0, 0]),
  /** Maximum range [m] */
  range: positive.max(300).default(60),
  /** Mount height above the ground [m] (shorthand for mount.z) */
  height: positive.max(5).default(1.0),
  mount: PartialMount.optional(),
  /** Standard deviation of range noise [m] */
  noise: nonNegative.max(5).default(0),
  /** Add the class of what each ray hit to the observation */
  classes: z.boolean().default(false),
});

export const CameraSensor = z.strictObject({
  type: z.literal('camera'),
  id: z.string().min(1).default('camera'),
  rate,
  /** Image size [px] */
  width: z.number().int().min(8).max(4096).default(128),
  height: z.number().int().min(8).max(4096).default(96),
  /** Horizontal field of view [deg] */
  fov: positive.min(5).max(170).default(70),
  mount: Mount.prefault({ x: 1.0, z: 1.4, pitch: -3 }),
  /** Clipping planes [m] */
  near: positive.max(10).default(0.1),
  far: positive.max(5000).default(200),
  /** Buffers put in the observation: `<id>` holds the first, `<id>.<buffer>` each other one */
  buffers: z.array(z.enum(['rgb', 'depth', 'semantic', 'instance'])).min(1).default(['rgb']),
});

export const RadarSensor = z.strictObject({
  type: z.literal('radar'),
  id: z.string().min(1).default('radar'),
  rate,
  mount: Mount.prefault({ x: 2.3, z: 0.5 }),
  /** Horizontal field of view [deg] */
  fov: positive.max(360).default(60),
  range: positive.max(500).default(150),
  /** Largest number of targets reported, nearest first */
  targets: z.number().int().min(1).max(128).default(16),
  /** Noise standard deviations: range [m], azimuth [deg], range rate [m/s] */
  noise: z.strictObject({ range: nonNegative.default(0.25), azimuth: nonNegative.default(0.5), rangeRate: nonNegative.default(0.1) }).prefault({}),
});

export const GnssSensor = z.strictObject({
  type: z.literal('gnss'),
  id: z.string().min(1).default('gnss'),
  rate,
  /** Standard deviation of position noise [m] */
  noise: nonNegative.max(100).default(1.5),
  /** Random-walk bias drift [m per √s] */
  biasDrift: nonNegative.max(10).default(0.05),
});

export const ImuSensor = z.strictObject({
  type: z.literal('imu'),
  id: z.string().min(1).default('imu'),
  rate,
  /** Noise standard deviations: acceleration [m/s²], yaw rate [rad/s] */
  noise: z.strictObject({ accel: nonNegative.default(0.05), gyro: nonNegative.default(0.002) }).prefault({}),
  /** Random-walk bias drift: acceleration [m/s² per √s], yaw rate [rad/s per √s] */
  biasDrift: z.strictObject({ accel: nonNegative.default(0.002), gyro: nonNegative.default(0.0002) }).prefault({}),
});

export const OdometrySensor = z.strictObject({
  type: z.literal('odometry'),
  id: z.string().min(1).default('odometry'),
  rate,
  /** Relative error of wheel speed (scale factor standard deviation) */
  scaleError: nonNegative.max(0.5).default(0.01),
  /** Standard deviation of speed noise [m/s] */
  noise: nonNegative.max(5).default(0.05),
});

export const SensorSpec = z.discriminatedUnion('type', [FeaturesSensor, LidarSensor, CameraSensor, RadarSensor, GnssSensor, ImuSensor, OdometrySensor]);
export type SensorSpec = z.infer<typeof SensorSpec>;
