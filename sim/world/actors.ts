/** The things that move or stand in the world, as plain state the traffic, sensors and scene read. */

export type ActorKind = 'ego' | 'vehicle' | 'pedestrian' | 'obstacle';

/** Body dimensions [m] */
export interface Dimensions {
  readonly length: number;
  readonly width: number;
  readonly height: number;
}

export interface Actor extends Dimensions {
  /** Unique within an episode; also the instance id that sensors report */
  readonly id: number;
  readonly kind: ActorKind;
  /** Model variant for drawing: `car`, `van`, `cone`, `barrier`, `adult`, ... */
  readonly model: string;
  /** Ground position of the body centre [m] */
  x: number;
  y: number;
  /** [rad], anticlockwise from +x */
  heading: number;
  /** Along the heading [m/s] */
  speed: number;
  /** [m/s²] */
  accel: number;
  /** [rad/s] */
  yawRate: number;
  /** Lane the actor is on, or -1 (NO_LANE), with its arc length and lateral offset there */
  lane: number;
  s: number;
  d: number;
  /** Lane the actor will take after this one, or −1 when unknown (the ego's is never told) */
  intent: number;
  /** A second lane the body overlaps while changing lanes, with the arc length there, or −1 */
  lane2: number;
  s2: number;
  /** False while parked out of the world, waiting to re-enter */
  active: boolean;
}

export const DIMENSIONS: Record<string, Dimensions> = {
  car: { length: 4.6, width: 1.9, height: 1.5 },
  van: { length: 5.2, width: 2.0, height: 2.0 },
  adult: { length: 0.5, width: 0.6, height: 1.75 },
  cone: { length: 0.45, width: 0.45, height: 0.75 },
  barrier: { length: 0.6, width: 2.6, height: 1.0 },
};

export function createActor(id: number, kind: ActorKind, model: string): Actor {
  const dims = DIMENSIONS[model];
  if (!dims) throw new Error(`unknown actor model ${model}`);
  return {
    id, kind, model, ...dims,
    x: 0, y: 0, heading: 0, speed: 0, accel: 0, yawRate: 0,
    lane: -1, s: 0, d: 0, intent: -1, lane2: -1, s2: 0, active: true,
  };
}
