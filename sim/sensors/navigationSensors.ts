/**
 * GNSS, IMU and wheel odometry: the ego's own motion, measured with the errors that matter for
 * fusion: white noise plus a slowly wandering bias (a random walk), all drawn from the sensor's
 * seeded stream.
 *
 * Layouts:
 *   gnss      [x, y] position in the map frame [m]
 *   imu       [longitudinal acceleration, lateral acceleration (m/s²), yaw rate (rad/s)]
 *   odometry  [speed (m/s), distance travelled since the episode began (m)]
 */
import type { z } from 'zod';
import type { GnssSensor as GnssSpec, ImuSensor as ImuSpec, OdometrySensor as OdometrySpec } from '../../scenarios/schema.ts';
import { Box } from '../env/spaces.ts';
import type { Rng } from '../rng.ts';
import type { World } from '../world/World.ts';
import type { Sensor, SensorContext } from './types.ts';

/** Shared bookkeeping: the id, rate, noise stream and the time of the last reading. */
abstract class NoisySensor implements Sensor {
  abstract readonly type: string;
  readonly spaces: Readonly<Record<string, Box>>;
  protected rng: Rng | null = null;
  protected lastTime = 0;

  constructor(readonly id: string, readonly rate: number, space: Box) {
    this.spaces = { [id]: space };
  }

  reset(world: World, rng: Rng): void {
    this.rng = rng;
    this.lastTime = world.time;
    this.start();
  }

  protected abstract start(): void;
  abstract observe(ctx: SensorContext, readings: Record<string, Float32Array>): void;

  /** Seconds since the last reading, and remembers now. */
  protected elapsed(world: World): number {
    const dt = world.time - this.lastTime;
    this.lastTime = world.time;
    return dt;
  }

  protected normal(std: number): number {
    return std > 0 && this.rng ? this.rng.normal(0, std) : 0;
  }
}

export class GnssSensor extends NoisySensor {
  readonly type = 'gnss';
  private bias = [0, 0];

  constructor(private readonly spec: z.infer<typeof GnssSpec>, stepRate: number) {
    super(spec.id, spec.rate ?? stepRate, new Box(-Infinity, Infinity, [2]));
  }

  protected start(): void {
    this.bias = [this.normal(this.spec.noise / 2), this.normal(this.spec.noise / 2)];
  }

  observe(ctx: SensorContext, readings: Record<string, Float32Array>): void {
    const walk = this.spec.biasDrift * Math.sqrt(this.elapsed(ctx.world));
    this.bias[0] += this.normal(walk);
    this.bias[1] += this.normal(walk);
    const ego = ctx.world.egoActor;
    readings[this.id] = Float32Array.of(ego.x + this.bias[0] + this.normal(this.spec.noise), ego.y + this.bias[1] + this.normal(this.spec.noise));
  }
}

export class ImuSensor extends NoisySensor {
  readonly type = 'imu';
  private bias = [0, 0, 0];

  constructor(private readonly spec: z.infer<typeof ImuSpec>, stepRate: number) {
    super(spec.id, spec.rate ?? stepRate, new Box(-Infinity, Infinity, [3]));
  }

  protected start(): void {
    this.bias = [0, 0, 0];
  }

  observe(ctx: SensorContext, readings: Record<string, Float32Array>): void {
    const root = Math.sqrt(this.elapsed(ctx.world));
    const { noise, biasDrift } = this.spec;
    this.bias[0] += this.normal(biasDrift.accel * root);
    this.bias[1] += this.normal(biasDrift.accel * root);
    this.bias[2] += this.normal(biasDrift.gyro * root);
    const ego = ctx.world.egoActor;
    readings[this.id] = Float32Array.of(
      ego.accel + this.bias[0] + this.normal(noise.accel),
      ego.speed * ego.yawRate + this.bias[1] + this.normal(noise.accel),
      ego.yawRate + this.bias[2] + this.normal(noise.gyro),
    );
  }
}

export class OdometrySensor extends NoisySensor {
  readonly type = 'odometry';
  private scale = 1;
  private distance = 0;

  constructor(private readonly spec: z.infer<typeof OdometrySpec>, stepRate: number) {
    super(spec.id, spec.rate ?? stepRate, new Box(-Infinity, Infinity, [2]));
  }

  protected start(): void {
    // A tyre-radius error is a constant scale for the episode.
    this.scale = 1 + this.normal(this.spec.scaleError);
    this.distance = 0;
  }

  observe(ctx: SensorContext, readings: Record<string, Float32Array>): void {
    const dt = this.elapsed(ctx.world);
    const speed = ctx.world.egoActor.speed * this.scale;
    this.distance += Math.abs(speed) * dt;
    readings[this.id] = Float32Array.of(speed + this.normal(this.spec.noise), this.distance);
  }
}
