/**
 * How a tabular agent turns observations into table states. An env whose observation space is
 * Discrete gives its own states. A driving env with the meta-actions gives lane-gap states, read
 * from the feature observation (layout at the top of `sim/sensors/FeatureSensor.ts`): how the
 * ego's own lane looks ahead and whether each lane beside it is open for a lane change (or that
 * there is none: the road's edge); completed by what the agent knows from its own actions and the
 * features do not show: the lane change under way and the meta-controller's target speed level.
 *
 * Each object is put in a lane by its lateral offset from the centre of the ego's lane, in lane
 * widths: 0 is the ego's lane, +1 the lane to the left, −1 the lane to the right. Distances are
 * judged as time to reach the object where the ego closes in on it.
 */
import { META_ACTIONS } from '../../sim/control/MetaController.ts';
import type { Env } from '../../sim/env/Env.ts';
import type { SpaceValue } from '../../sim/env/spaces.ts';
import { EGO_FEATURES, OBJECT_FEATURES } from '../../sim/sensors/FeatureSensor.ts';

export interface LaneGapsConfig {
  /** Range of the feature sensor, by which object positions are scaled [m] */
  range: number;
  /** Lane width [m] */
  laneWidth: number;
}

/** Feature indices of the ego part */
const SPEED = 0, LANE_OFFSET = 4, HEADING_ERROR = 5, SPEED_LIMIT = 8, LANE_LEFT = 9, LANE_RIGHT = 10;
/** Speed scale of the features [m/s] */
const V = 40;
/** The meta-controller's target speeds as fractions of the speed limit */
const SPEED_LEVELS = [0, 0.3, 0.6, 0.8, 1.0];

/** Centre to centre distance at which two cars touch, about one car length [m] */
const CAR_LENGTH = 4.5;

/** 0 keeping its lane, 1 changing lane to the left, 2 to the right */
const MOTIONS = 3;
/** Own lane ahead: 0 clear, 1 a vehicle within 30 m, not closing in, 2 one closing in within 6 s,
 *  3 within 2.5 s or 8 m, 4 a standing object within 8 s, 5 within 3 s or 15 m */
const OWN = 6;
/** A side lane: 0 none, 1 unsafe to enter now, 2 a standing object ahead, 3 open */
const SIDE = 4;

export const LANE_GAP_STATES = MOTIONS * OWN * SIDE * SIDE * SPEED_LEVELS.length;

/**
 * The discrete state of one feature observation, in [0, LANE_GAP_STATES). `changing` is the lane
 * change under way that the agent knows of, having asked for it: +1 to the left, −1 to the right.
 * `level` is the meta-controller's target speed level, which the agent knows from its own FASTER
 * and SLOWER; without it, the level nearest the ego's speed.
 */
export function laneGapsState(f: Float32Array, cfg: LaneGapsConfig, changing = 0, level = speedLevelOf(f)): number {
  const left = f[LANE_LEFT] > 0.5, right = f[LANE_RIGHT] > 0.5;
  const he = f[HEADING_ERROR];
  const motion = changing > 0 ? 1 : changing < 0 ? 2 : 0;

  // Lateral offset of the ego from its lane centre [m], left positive.
  const egoOffset = f[LANE_OFFSET] * (cfg.laneWidth / 2);
  const egoSpeed = f[SPEED] * V;
  // Objects are seen in the ego's frame; turned by the heading error, they are in the lane's. At
  // 100 m, the 5° of a lane change would otherwise put an object ahead 9 m to the side.
  const angle = he * (Math.PI / 2), c = Math.cos(angle), s = Math.sin(angle);
  let own = 0, leftLane = left ? 3 : 0, rightLane = right ? 3 : 0;
  for (let o = EGO_FEATURES; o + OBJECT_FEATURES <= f.length; o += OBJECT_FEATURES) {
    if (f[o] < 0.5) break;
    const ex = f[o + 1] * cfg.range, ey = f[o + 2] * cfg.range;
    const x = c * ex - s * ey;
    const lane = Math.round((s * ex + c * ey + egoOffset) / cfg.laneWidth);
    const relSpeed = (c * f[o + 3] - s * f[o + 4]) * V;
    // Standing: its own speed along the lane is near zero.
    const standing = Math.abs(egoSpeed * c + relSpeed) < 1;
    if (lane === 0) own = worseOwn(own, ownLane(x, relSpeed, standing));
    else if (lane === 1 && left) leftLane = Math.min(leftLane, sideLane(x, relSpeed, standing, egoSpeed));
    else if (lane === -1 && right) rightLane = Math.min(rightLane, sideLane(x, relSpeed, standing, egoSpeed));
  }

  return (((motion * OWN + own) * SIDE + leftLane) * SIDE + rightLane) * SPEED_LEVELS.length + level;
}

/** The speed level nearest the ego's speed, as the meta-controller picks its first target level. */
export function speedLevelOf(f: Float32Array): number {
  const ratio = f[SPEED_LIMIT] > 0 ? f[SPEED] / f[SPEED_LIMIT] : 0;
  let level = 0;
  for (let i = 1; i < SPEED_LEVELS.length; i++) if (Math.abs(SPEED_LEVELS[i] - ratio) < Math.abs(SPEED_LEVELS[level] - ratio)) level = i;
  return level;
}

/** The highest speed level */
export const TOP_SPEED_LEVEL = SPEED_LEVELS.length - 1;

/** Own-lane values by how pressing they are */
const OWN_RANK = [0, 1, 2, 4, 3, 5];
const worseOwn = (a: number, b: number) => (OWN_RANK[b] > OWN_RANK[a] ? b : a);

/** How one object at `x` [m] ahead, with relative speed `relSpeed` [m/s], bears on the own lane. */
function ownLane(x: number, relSpeed: number, standing: boolean): number {
  if (x < -1) return 0; // behind: it is the follower's job to keep its distance
  const gap = x - CAR_LENGTH, closing = -relSpeed;
  if (standing) return gap < 15 || gap < 3 * closing ? 5 : gap < 8 * closing ? 4 : 0;
  if (gap < 8 || (closing > 0.5 && gap < 2.5 * closing)) return 3;
  if (closing > 0.5 && gap < 6 * closing) return 2;
  return gap < 30 ? 1 : 0;
}

/**
 * How one object bears on a side lane: 1 unsafe to enter now, 2 standing ahead, 3 no matter. A car
 * is in the way when it is alongside, within half a second's headway of whichever of the two
 * follows, or closing in within 3 s from behind or 4 s ahead (the lane change itself takes about 2 s).
 */
function sideLane(x: number, relSpeed: number, standing: boolean, egoSpeed: number): number {
  const gap = Math.abs(x) - CAR_LENGTH;
  if (x > 0 && standing) return gap < 5 ? 1 : 2;
  const followerSpeed = x > 0 ? egoSpeed : egoSpeed + relSpeed;
  if (gap < Math.max(5, 0.5 * followerSpeed)) return 1;
  if ((x < 0 && relSpeed > 0 && gap < 3 * relSpeed) || (x > 0 && relSpeed < 0 && gap < -4 * relSpeed)) return 1;
  return 3;
}

/** The ego's offset from its lane centre as a fraction of half the lane width, left positive */
export const laneOffsetOf = (f: Float32Array): number => f[LANE_OFFSET];

/** Whether there is a lane to the left (`side` +1) or to the right (−1) of the ego's */
export const laneBeside = (f: Float32Array, side: number): boolean => f[side > 0 ? LANE_LEFT : LANE_RIGHT] > 0.5;

export interface LaneGapsParts {
  /** 0 keeping its lane, 1 changing lane to the left, 2 to the right */
  motion: number;
  /** 0 clear, 1 vehicle near, 2 closing in, 3 urgent, 4 standing object, 5 standing object close */
  own: number;
  /** 0 none, 1 unsafe to enter, 2 standing object ahead, 3 open */
  left: number;
  right: number;
  /** Target speed level: index into 0, 0.3, 0.6, 0.8, 1 of the speed limit */
  speed: number;
}

/** The state's parts. */
export function laneGapsParts(state: number): LaneGapsParts {
  const speed = state % SPEED_LEVELS.length;
  let rest = Math.floor(state / SPEED_LEVELS.length);
  const right = rest % SIDE;
  rest = Math.floor(rest / SIDE);
  const left = rest % SIDE;
  rest = Math.floor(rest / SIDE);
  const own = rest % OWN;
  return { motion: Math.floor(rest / OWN), own, left, right, speed };
}

const LEFT = 1 << META_ACTIONS.indexOf('LANE_LEFT'), RIGHT = 1 << META_ACTIONS.indexOf('LANE_RIGHT');
const FASTER = 1 << META_ACTIONS.indexOf('FASTER'), SLOWER = 1 << META_ACTIONS.indexOf('SLOWER');
const ALL = (1 << META_ACTIONS.length) - 1;

/**
 * The meta-actions that do something in `state`, as bits: not a lane change toward no lane, nor a
 * second one the same way while one is under way (it would reach for a lane the features cannot
 * show, two over), nor FASTER at the top speed level or SLOWER at the bottom.
 */
export function laneGapsAllowed(state: number): number {
  const p = laneGapsParts(state);
  let allowed = ALL;
  if (p.left === 0 || p.motion === 1) allowed &= ~LEFT;
  if (p.right === 0 || p.motion === 2) allowed &= ~RIGHT;
  if (p.speed === TOP_SPEED_LEVEL) allowed &= ~FASTER;
  if (p.speed === 0) allowed &= ~SLOWER;
  return allowed;
}

/** The state in words, for reports and debugging. */
export function describeLaneGapsState(state: number): string {
  const p = laneGapsParts(state);
  const sides = ['none', 'unsafe', 'standing', 'open'];
  return `${['keep', 'changing-left', 'changing-right'][p.motion]} own:${['clear', 'near', 'closing', 'urgent', 'standing', 'standing-close'][p.own]} left:${sides[p.left]} right:${sides[p.right]} speed:${SPEED_LEVELS[p.speed]}`;
}

// The states of an env, completed by what the agent knows of its own actions.

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

const FASTER_ACTION = META_ACTIONS.indexOf('FASTER'), SLOWER_ACTION = META_ACTIONS.indexOf('SLOWER');
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
  if (action === FASTER_ACTION) t.level = Math.min(t.level + 1, TOP_SPEED_LEVEL);
  if (action === SLOWER_ACTION) t.level = Math.max(t.level - 1, 0);
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
