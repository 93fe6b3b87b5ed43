/** Sensors by scenario `type`; adding a sensor kind is one entry here. */
import type { SensorSpec } from '../../scenarios/schema.ts';
import { CameraSensor } from './CameraSensor.ts';
import { FeatureSensor } from './FeatureSensor.ts';
import { LidarSensor } from './LidarSensor.ts';
import { GnssSensor, ImuSensor, OdometrySensor } from './navigationSensors.ts';
import { RadarSensor } from './RadarSensor.ts';
import type { Sensor } from './types.ts';

type Factory<T extends SensorSpec['type']> = (spec: Extract<SensorSpec, { type: T }>, stepRate: number) => Sensor;

const factories: { readonly [T in SensorSpec['type']]: Factory<T> } = {
  features: (spec, rate) => new FeatureSensor(spec, rate),
  lidar: (spec, rate) => new LidarSensor(spec, rate),
  camera: (spec, rate) => new CameraSensor(spec, rate),
  radar: (spec, rate) => new RadarSensor(spec, rate),
  gnss: (spec, rate) => new GnssSensor(spec, rate),
  imu: (spec, rate) => new ImuSensor(spec, rate),
  odometry: (spec, rate) => new OdometrySensor(spec, rate),
};

export function createSensor(spec: SensorSpec, stepRate: number): Sensor {
  const factory = factories[spec.type] as Factory<SensorSpec['type']>;
  return factory(spec, stepRate);
}
