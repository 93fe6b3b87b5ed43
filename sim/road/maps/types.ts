import type { Scenario } from '../../../scenarios/schema.ts';
import type { Rng } from '../../rng.ts';
import type { RoadNetwork } from '../RoadNetwork.ts';

/** What a map generator returns: the network and how the scenario's references resolve on it. */
export interface BuiltMap {
  readonly network: RoadNetwork;
  /** Lanes the ego drives, in order, from its start to the end of its route */
  readonly egoRoute: readonly number[];
  /** Lanes on which NPC vehicles may be placed at reset */
  readonly spawnLanes: readonly number[];
  /** Lane indices on the ego's road that `roadLane` accepts: 0 to roadLanes − 1 */
  readonly roadLanes: number;
  /** The lane and arc length for a lane index on the ego's road at a position along it */
  roadLane(index: number, position: number): { lane: number; s: number };
}

/**
 * A scenario field that names something this map does not have, such as a lane index or an exit;
 * `path` locates the field in the scenario (`['ego', 'lane']`).
 */
export class MapReferenceError extends Error {
  constructor(
    readonly path: readonly (string | number)[],
    message: string,
  ) {
    super(message);
    this.name = 'MapReferenceError';
  }
}

export type MapGenerator<M extends Scenario['map']> = (map: M, ego: Scenario['ego'], rng: Rng) => BuiltMap;

/** Sidewalk width [m] */
export const SIDEWALK_WIDTH = 2.5;
/** Width of a zebra crossing along the road [m] */
export const CROSSWALK_WIDTH = 4;
