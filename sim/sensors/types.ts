import type { Box } from '../env/spaces.ts';
import type { World } from '../world/World.ts';

/**
 * A sensor pairs the space of its readings with a way to read the world. One is built per env
 * from its scenario entry and reads whichever world the env is running.
 */
export interface Sensor {
  readonly id: string;
  readonly type: string;
  /** Readings per second [Hz]; a reading carries the world time it was taken */
  readonly rate: number;
  readonly space: Box;
  /** A fresh array each call, so callers may keep it */
  observe(world: World): Float32Array;
}
