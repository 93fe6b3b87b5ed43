/**
 * How a tabular agent turns observations into table states. An env whose observation space is
 * Discrete gives its own states. A driving env with the meta-actions gives lane-gap states
 * (`laneGaps.ts`), completed by what the agent knows from its own actions and the features do not
 * show: the lane the meta-controller is heading for and its target speed level.
 */
import { META_ACTIONS } from '../../sim/control/MetaController.ts';
import type { Env } from '../../sim/env/Env.ts';
import type { SpaceValue } from '../../sim/env/spaces.ts';
import { laneBeside, laneGapsAllowed, laneGapsState, laneOffsetOf, speedLevelOf, TOP_SPEED_LEVEL } from './laneGaps.ts';

/** How observations become states; saved with the table, so a policy reads them as it learnt them. */
export type StateEncoding = { type: 'discrete' } | { type: 'lane-gaps'; key: string; range: number; laneWidth: number };

/** The encoding for `env`: its own states when its observations are Discrete, else lane gaps of its feature sensor. */
export function encodingFor(env: Env<SpaceValue, SpaceValue>): StateEncoding {
  const space = env.observationSpace;
  if (space.type === 'discrete') return { type: 'discrete' };
  const scenario = env.unwrapped.scenario;
  const sensor = scenario.sensors.find((s) => s.type === 'features');
  if (space.type !== 'dict' || !sensor || !(sensor.id in space.spaces)) throw new Error('a tabular agent needs a Discrete observation space or a features sensor');
  return { type: 'lane-gaps', key: sensor.id, range: sensor.range, laneWidth: (scenario.map as { laneWidth?: number }).laneWidth ?? 3.6 };
}

const FASTER = META_ACTIONS.indexOf('FASTER'), SLOWER = META_ACTIONS.indexOf('SLOWER');
const LANE_CHANGES: Record<number, number> = { [META_ACTIONS.indexOf('LANE_LEFT')]: 1, [META_ACTIONS.indexOf('LANE_RIGHT')]: -1 };

/**
 * What an episode's agent keeps between steps, as plain data (a checkpoint holds it): env steps
 * since its last decision; the controller's target lane in lanes left of the ego's (+1 left, −1
 * right, 0 its own); steps since that last changed; the ego's lane offset at the last step; the
 * controller's target speed level.
 */
export interface Tracker {
  steps: number;
  change: number;
  changeSteps: number;
  offset: number;
  level: number;
}

const features = (encoding: StateEncoding & { type: 'lane-gaps' }, observation: SpaceValue) => (observation as Record<string, Float32Array>)[encoding.key];

/** At the episode's first observation; the first target level is the one the controller picks. */
export function startTracking(encoding: StateEncoding, observation: SpaceValue): Tracker {
  if (encoding.type !== 'lane-gaps') return { steps: 0, change: 0, changeSteps: 0, offset: 0, level: 0 };
  const f = features(encoding, observation);
  return { steps: 0, change: 0, changeSteps: 0, offset: laneOffsetOf(f), level: speedLevelOf(f) };
}

/**
 * After each env step. Crossing into the next lane flips the ego's lane offset from one edge to
 * the other; to the left (+1 to −1) it leaves the target lane one lane less to the left. A change
 * not done after `laneChangeHold` steps is taken as lost, a safety net; 0 tracks no lane changes.
 */
export function afterStep(encoding: StateEncoding, t: Tracker, observation: SpaceValue, laneChangeHold: number): void {
  t.steps++;
  if (encoding.type !== 'lane-gaps' || laneChangeHold === 0) return;
  const offset = laneOffsetOf(features(encoding, observation));
  if (Math.abs(offset - t.offset) > 1) {
    t.change += Math.sign(offset - t.offset);
    t.changeSteps = 0;
  } else if (t.change !== 0 && ++t.changeSteps >= laneChangeHold) t.change = 0;
  t.offset = offset;
}

/** At a decision: FASTER and SLOWER move the target level; LANE_LEFT and LANE_RIGHT the target lane, where there is one. */
export function afterDecision(encoding: StateEncoding, t: Tracker, action: number, observation: SpaceValue, laneChangeHold: number): void {
  t.steps = 0;
  if (encoding.type !== 'lane-gaps') return;
  if (action === FASTER) t.level = Math.min(t.level + 1, TOP_SPEED_LEVEL);
  if (action === SLOWER) t.level = Math.max(t.level - 1, 0);
  const side = LANE_CHANGES[action] ?? 0;
  // The features show the lanes beside the ego's, so a change is tracked from the ego's lane, or back to it.
  if (laneChangeHold > 0 && side !== 0 && (t.change === -side || (t.change === 0 && laneBeside(features(encoding, observation), side)))) {
    t.change += side;
    t.changeSteps = 0;
  }
}

export function stateOf(encoding: StateEncoding, observation: SpaceValue, t: Tracker): number {
  return encoding.type === 'discrete' ? (observation as number) : laneGapsState(features(encoding, observation), encoding, t.change, t.level);
}

/** The actions with an effect in `state`, as bits (see `laneGapsAllowed`); every action of a Discrete env. */
export function allowedIn(encoding: StateEncoding, state: number, actions: number): number {
  return encoding.type === 'lane-gaps' ? laneGapsAllowed(state) : 2 ** actions - 1;
}
