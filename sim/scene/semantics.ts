import type { Actor } from '../world/actors.ts';

/**
 * Semantic classes of everything drawn in the scene. Every Mesh carries
 * `userData.semantic` (a class id below) and `userData.instance` (actor id + 1 for actors, 0 for
 * the static world), which the camera rasteriser writes into its semantic and instance images.
 *
 * | id | class       | what                                                      |
 * |----|-------------|-----------------------------------------------------------|
 * |  0 | sky         | nothing hit (background)                                  |
 * |  1 | road        | lane surfaces and junction boxes                          |
 * |  2 | laneMarking | painted lines: solid, dashed, double-yellow, stop lines   |
 * |  3 | sidewalk    | raised footways and their kerbs                           |
 * |  4 | vehicle     | cars and vans, the ego included, parked or moving         |
 * |  5 | pedestrian  | people                                                    |
 * |  6 | obstacle    | cones and barriers                                        |
 * |  7 | terrain     | ground beside the road, grass islands                     |
 * |  8 | building    | boxes beside the road                                     |
 * |  9 | crosswalk   | zebra stripes (kept apart from lane markings: a pedestrian cue) |
 * | 10 | signal      | traffic-light poles, housings and lamps                   |
 */
export const SemanticClass = {
  sky: 0,
  road: 1,
  laneMarking: 2,
  sidewalk: 3,
  vehicle: 4,
  pedestrian: 5,
  obstacle: 6,
  terrain: 7,
  building: 8,
  crosswalk: 9,
  signal: 10,
} as const;

export type SemanticClass = (typeof SemanticClass)[keyof typeof SemanticClass];

export const SEMANTIC_CLASS_COUNT = 11;

/** Class names by id, for legends and logs. */
export const SEMANTIC_NAMES: readonly string[] = Object.keys(SemanticClass);

/**
 * Colours for visualising semantic images, [r, g, b] 0–255 per class id (Cityscapes-like where a
 * class exists there).
 */
export const SEMANTIC_PALETTE: readonly (readonly [number, number, number])[] = [
  [70, 130, 180], // sky
  [128, 64, 128], // road
  [255, 255, 255], // laneMarking
  [244, 35, 232], // sidewalk
  [0, 0, 142], // vehicle
  [220, 20, 60], // pedestrian
  [255, 128, 0], // obstacle
  [107, 142, 35], // terrain
  [70, 70, 70], // building
  [255, 255, 0], // crosswalk
  [250, 170, 30], // signal
];

/** The same palette packed into a flat array, 3 bytes per class, for per-pixel look-ups. */
export const SEMANTIC_PALETTE_RGB: Uint8Array = Uint8Array.from(SEMANTIC_PALETTE.flat());

/** The semantic class an actor draws as: by model, so a parked car is still a vehicle. */
export function semanticOf(actor: Actor): SemanticClass {
  switch (actor.model) {
    case 'car':
    case 'van':
      return SemanticClass.vehicle;
    case 'adult':
      return SemanticClass.pedestrian;
    default:
      return actor.kind === 'pedestrian' ? SemanticClass.pedestrian : actor.kind === 'obstacle' ? SemanticClass.obstacle : SemanticClass.vehicle;
  }
}
