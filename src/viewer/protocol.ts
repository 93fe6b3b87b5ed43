/**
 * What the viewer's page and its source of world states say to each other. The source is either
 * `drivelab view` over a WebSocket, or a session running in the page itself (the static build);
 * both speak these messages, so the page draws the same thing from either.
 *
 * Everything is plain JSON. Poses are flat number arrays; an inactive actor's entries are null.
 */
import type { Scenario } from '../../scenarios/schema.ts';

export const PROTOCOL_VERSION = 1;

/**
 * What the page shows for the agent's decision at a step: the policy's own `explain` (see
 * agents/common/Policy.ts), with `chosen` set by the session to the action actually taken.
 */
export type { ActionValues } from '../../agents/common/Policy.ts';
import type { ActionValues } from '../../agents/common/Policy.ts';

export interface ViewerDetection {
  /** [x, y, w, h] in camera pixels, from the top-left */
  bbox: [number, number, number, number];
  label: string;
  score: number;
}

export interface ViewerTrack {
  id: number;
  label: string;
  /** World position [m] (x east, y north) and velocity [m/s] */
  x: number;
  y: number;
  vx: number;
  vy: number;
  /** Position covariance [xx, xy, yy] [m²] */
  cov: [number, number, number];
}

/** Sent at the start of each episode: enough to build the world's scene in the page */
export interface EpisodeMessage {
  type: 'episode';
  /** The scenario as it runs, with every default filled in */
  scenario: Scenario;
  seed: number;
  agent: string;
  detector: string | null;
  /** Control step [s] */
  dt: number;
  /** Action space of the env: discrete meta-action names, or continuous element names */
  actions: { type: 'discrete'; names: string[] } | { type: 'continuous'; names: string[] };
  /** First frame, the state after reset */
  frame: FrameMessage;
}

/** The world after one step (or after reset, with step 0) */
export interface FrameMessage {
  type: 'frame';
  step: number;
  /** Simulated time [s] */
  time: number;
  /** [actors × 4]: x [m], y [m], heading [rad], speed [m/s]; nulls while an actor is inactive */
  poses: (number | null)[];
  /** The ego's speed [m/s] */
  speed: number;
  /** Reward of this step and its weighted named terms */
  reward: number;
  rewards: Record<string, number>;
  /** Sum of rewards since reset */
  return: number;
  /** The action taken, as numbers (one for discrete) */
  action: number[] | null;
  /** Who chose the action: the agent, or the keyboard */
  driver: 'agent' | 'manual';
  values: ActionValues | null;
  /** The detector's boxes on the ego camera frame, when a detector runs */
  detections: ViewerDetection[] | null;
  /** Lidar returns in world coordinates, flat [x, y, z, ...] [m], when fusion runs */
  lidar: number[] | null;
  tracks: ViewerTrack[] | null;
  /** Set on the last frame of an episode */
  outcome: 'goal' | 'collision' | 'off-road' | 'time-limit' | null;
}

/** The session's clock, sent whenever it changes */
export interface StatusMessage {
  type: 'status';
  paused: boolean;
  /** Simulated seconds per wall second */
  speed: number;
  scenarios: string[];
  agents: string[];
  /** One line when something the page asked for failed */
  error?: string;
}

/** Sent instead of episodes when the server shows a recording: the page fetches and plays it */
export interface ReplayMessage {
  type: 'replay';
  /** URL of the drivelab-record file, relative to the page */
  url: string;
  /** The file's name, for the title */
  name: string;
}

/** The server's answer to a message it could not take (not JSON, or not a ClientMessage) */
export interface ErrorMessage {
  type: 'error';
  /** One line naming what was wrong */
  message: string;
}

export type ServerMessage = EpisodeMessage | FrameMessage | StatusMessage | ReplayMessage | ErrorMessage;

/** Manual driving: a continuous [steer, acceleration] in [-1, 1], or a discrete meta-action index */
export type ManualAction = number[] | number;

export type ClientMessage =
  | { type: 'pause' }
  | { type: 'play' }
  | { type: 'step' }
  | { type: 'speed'; speed: number }
  | { type: 'reset'; seed?: number }
  /** Another scenario or agent; its first episode plays `seed` (default: the current episode's) */
  | { type: 'scenario'; id: string; seed?: number }
  | { type: 'agent'; id: string; seed?: number }
  /** Take over with this action each step until `null` hands control back */
  | { type: 'manual'; action: ManualAction | null };
