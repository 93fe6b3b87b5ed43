/** Sensors by scenario `type`; adding a sensor kind is one entry here. */
import type { SensorSpec } from '../../scenarios/schema.ts';
import { FeatureSensor } from './FeatureSensor.ts';
import { LidarSensor } from './LidarSensor.ts';
import type { Sensor } from './types.ts';

type Factory<T extends SensorSpec['type']> = (spec: Extract<SensorSpec, { type: T }>, stepRate: number) => Sensor;

const factories: { readonly [T in SensorSpec['type']]: Factory<T> } = {
  features: (spec, rate) => new FeatureSensor(spec, rate),
  lidar: (spec, rate) => new LidarSensor(spec, rate),
};

export function createSensor(spec: SensorSpec, stepRate: number): Sensor {
  const factory = factories[spec.type] as Factory<SensorSpec['type']>;
  return factory(spec, stepRate);
}
