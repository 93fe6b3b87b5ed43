/** A one-way highway of N parallel lanes along a constant-curvature reference line. */
import type { HighwayMap } from '../../../scenarios/schema.ts';
import type { z } from 'zod';
import { Path } from '../Path.ts';
import { NetworkBuilder } from '../NetworkBuilder.ts';
import type { Lane } from '../RoadNetwork.ts';
import { CROSSWALK_WIDTH, MapReferenceError, SIDEWALK_WIDTH, type MapGenerator } from './types.ts';

export const buildHighway: MapGenerator<z.infer<typeof HighwayMap>> = (map, ego) => {
  if (!Number.isInteger(ego.lane) || ego.lane < 0 || ego.lane >= map.lanes) {
    throw new MapReferenceError(['ego', 'lane'], `expected a lane index from 0 to ${map.lanes - 1} on this ${map.lanes}-lane highway, got ${ego.lane}`);
  }
  const b = new NetworkBuilder();
  // The reference line is the right road edge; lane i's centre is (i + ½) lane widths to its left.
  const reference = Path.build(0, 0, 0).arc(map.length, map.curvature).done();
  const lanes: Lane[] = [];
  for (let i = 0; i < map.lanes; i++) {
    lanes.push(b.lane(`main/${i}`, reference.offset((i + 0.5) * map.laneWidth), map.laneWidth, map.speedLimit));
  }
  b.neighbours(lanes);
  b.marking(reference, 'solid');
  for (let i = 1; i < map.lanes; i++) b.marking(reference.offset(i * map.laneWidth), 'dashed');
  b.marking(reference.offset(map.lanes * map.laneWidth), 'solid');

  const roadWidth = map.lanes * map.laneWidth;
  if (map.crosswalks.length > 0) {
    b.sidewalk(reference.offset(-SIDEWALK_WIDTH / 2), SIDEWALK_WIDTH);
    b.sidewalk(reference.offset(roadWidth + SIDEWALK_WIDTH / 2), SIDEWALK_WIDTH);
    for (const s of map.crosswalks) {
      const from = reference.toWorld(s, -SIDEWALK_WIDTH / 2, { x: 0, y: 0 });
      const to = reference.toWorld(s, roadWidth + SIDEWALK_WIDTH / 2, { x: 0, y: 0 });
      b.crosswalk(Path.fromPoints([from, to]), CROSSWALK_WIDTH, lanes);
    }
  }
  return {
    network: b.build(),
    egoRoute: [lanes[ego.lane].id],
    spawnLanes: lanes.map((l) => l.id),
    roadLanes: map.lanes,
    roadLane: (index, position) => ({ lane: lanes[index].id, s: position }),
  };
};
