import type { Box } from '../env/spaces.ts';
import type { Rng } from '../rng.ts';
import type { DrivingScene } from '../scene/DrivingScene.ts';
import type { World } from '../world/World.ts';

/** What a sensor may read when it takes a reading. */
export interface SensorContext {
  readonly world: World;
  /** The three.js scene of the episode, built on first use and in sync with the world */
  scene(): DrivingScene;
}

/**
 * A sensor pairs the spaces of its readings with a way to read the world. One is built per env
 * from its scenario entry and reads whichever world the env is running.
 *
 * Observation keys are the sensor id, plus `<id>.<part>` for sensors with several outputs (a
 * camera's depth or semantic buffers, a lidar's classes).
 */
export interface Sensor {
  readonly id: string;
  readonly type: string;
  /** Readings per second [Hz]; the env takes a reading when one is due and repeats the last otherwise */
  readonly rate: number;
  readonly spaces: Readonly<Record<string, Box>>;
  /** Start of an episode: `rng` is this sensor's own noise stream for the episode */
  reset(world: World, rng: Rng): void;
  /** Takes a reading; writes a fresh array for each of its keys into `out` */
  observe(ctx: SensorContext, out: Record<string, Float32Array>): void;
}
