/**
 * The driving score, in the style of the CARLA leaderboard: route completion times the product
 * of one penalty factor per infraction. The factors live in this one table.
 */

/** Multiplier applied once per infraction of each kind. */
export const INFRACTION_PENALTIES = {
  /** CARLA leaderboard: collision with a pedestrian */
  collisionPedestrian: 0.5,
  /** CARLA leaderboard: collision with another vehicle */
  collisionVehicle: 0.6,
  /** CARLA leaderboard: collision with static layout or an obstacle */
  collisionObstacle: 0.65,
  /** CARLA leaderboard: running a red light */
  redLight: 0.7,
  /** drivelab: leaving the drivable surface, which also ends the episode */
  offRoad: 0.65,
  /** CARLA leaderboard ("scenario timeout"): the time limit ran out before the goal */
  timeout: 0.7,
} as const;

export type Infraction = keyof typeof INFRACTION_PENALTIES;

/** Lane invasions and speeding are reported but, as in CARLA, not penalised. */
export function infractionPenalty(counts: Partial<Record<Infraction, number>>): number {
  let p = 1;
  for (const [name, factor] of Object.entries(INFRACTION_PENALTIES) as [Infraction, number][]) {
    p *= Math.pow(factor, counts[name] ?? 0);
  }
  return p;
}

/** Route completion in [0, 1] times the infraction penalty. */
export function drivingScore(routeCompletion: number, counts: Partial<Record<Infraction, number>>): number {
  return Math.min(Math.max(routeCompletion, 0), 1) * infractionPenalty(counts);
}
