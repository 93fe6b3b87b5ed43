/**
 * The parts of an `ActionValues` (Policy.ts) that every policy shares: how the env's actions are
 * named, and the action a list of values picks.
 */
import { META_ACTIONS } from '../../sim/control/MetaController.ts';
import type { Space } from '../../sim/env/spaces.ts';

/** The two controls of a driving env's continuous action, in order (see `Action` in sim/env/DrivingEnv.ts) */
const CONTROLS = ['steer', 'acceleration'];

/**
 * Names of `space`'s actions: a driving env's meta-actions for its Discrete(5) (sim/control/MetaController.ts),
 * its controls for its Box of 2; other spaces' actions by number.
 */
export function actionLabels(space: Space): string[] {
  if (space.type === 'discrete') return discreteLabels(space.n);
  if (space.type === 'box') return space.size === CONTROLS.length ? [...CONTROLS] : Array.from({ length: space.size }, (_, i) => `u${i}`);
  return [];
}

/** Names of `n` discrete actions: the meta-actions when there are as many, else numbers */
export const discreteLabels = (n: number): string[] => (n === META_ACTIONS.length ? [...META_ACTIONS] : Array.from({ length: n }, (_, i) => String(i)));

/** The index of the first largest value, as `tf.argMax` picks it */
export function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
