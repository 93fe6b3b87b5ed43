/**
 * Checks a scenario's references to its road against the map it builds: the ego's lane and start,
 * the goal and the obstacles must lie on the lanes and routes the map really has. The schema
 * cannot know route lengths (they come from the geometry), so this runs wherever a scenario enters,
 * after the schema, and the world can then take positions as given.
 */
import { formatPath, ScenarioError } from '../../../scenarios/parse.ts';
import type { Scenario } from '../../../scenarios/schema.ts';
import { Rng } from '../../rng.ts';
import { Path } from '../Path.ts';
import { buildMapCached } from './index.ts';
import { MapReferenceError } from './types.ts';
import { DIMENSIONS } from '../../world/actors.ts';
import { footprintsOverlap } from '../../world/footprint.ts';

/** The ego starts at least this far before the end of its route, to fit the car and stop [m] */
export const START_CLEARANCE = 10;
/** A `reach` goal lies at least this far before the end of the route, so the car's centre can get there [m] */
export const GOAL_CLEARANCE = 1;

export interface PositionProblem {
  /** Where the field is in the scenario, e.g. `['obstacles', 2, 'position']` */
  path: (string | number)[];
  message: string;
}

const m = (x: number) => `${x.toFixed(1)} m`;

/**
 * What does not fit on the built map, one entry per field; empty when everything fits. Maps whose
 * bends come from the seed keep their route lengths on every seed, so one build answers for all.
 */
export function positionProblems(scenario: Scenario): PositionProblem[] {
  let built;
  try {
    built = buildMapCached(scenario.map, scenario.ego, 0, Rng.seeded(0).split());
  } catch (err) {
    if (err instanceof MapReferenceError) return [{ path: [...err.path], message: err.message }];
    throw err;
  }
  const problems: PositionProblem[] = [];
  const fail = (path: (string | number)[], message: string) => problems.push({ path, message });
  const lanes = built.network.lanes;
  const egoRoute = Path.concat(built.egoRoute.map((id) => lanes[id].path));
  const routeLength = egoRoute.length;
  const route = `the ego's route on this ${scenario.map.type} map (${m(routeLength)})`;

  const start = scenario.ego.position;
  const lastStart = routeLength - START_CLEARANCE;
  const startFits = start <= lastStart;
  if (lastStart < 0) {
    fail(['ego', 'position'], `${route} is too short to start on; expected a route of at least ${START_CLEARANCE} m (a longer map)`);
  } else if (!startFits) {
    fail(['ego', 'position'], `${start} is too close to or beyond the end of ${route}; expected at most ${lastStart.toFixed(1)}, ${START_CLEARANCE} m before its end`);
  }

  const goal = scenario.goal;
  if (goal.type === 'reach') {
    const lastGoal = routeLength - GOAL_CLEARANCE;
    if (goal.position > lastGoal) {
      fail(['goal', 'position'], `${goal.position} is beyond the end of ${route}; expected at most ${Math.max(0, lastGoal).toFixed(1)}`);
    } else if (startFits && goal.position <= start) {
      fail(['goal', 'position'], `${goal.position} is not ahead of the ego's start (ego.position ${start}); expected more than ${start}`);
    }
  }

  scenario.obstacles.forEach((o, i) => {
    if (!Number.isInteger(o.lane) || o.lane < 0 || o.lane >= built.roadLanes) {
      fail(['obstacles', i, 'lane'], `expected a lane index from 0 to ${built.roadLanes - 1} on the ego's road, got ${o.lane}`);
      return;
    }
    const at = built.roadLane(o.lane, o.position);
    const length = lanes[at.lane].path.length;
    if (at.s < 0 || at.s > length) {
      // roadLane measures some lanes from another origin (the merge's second section, a reversed lane).
      const end = at.s > length ? o.position - (at.s - length) : o.position + at.s;
      fail(['obstacles', i, 'position'], `${o.position} is beyond the end of lane ${o.lane} of the ego's road (${m(end)}); expected at most ${end.toFixed(1)}`);
      return;
    }
    // An obstacle the ego starts inside is never reported as a collision (no contact starts) and
    // the physics pushes the car out of it, so the scenario cannot mean it.
    if (startFits && lastStart >= 0) {
      const lane = lanes[at.lane].path;
      const q = lane.toWorld(at.s, o.offset, { x: 0, y: 0 });
      const obstacle = { ...DIMENSIONS[o.kind], x: q.x, y: q.y, heading: lane.headingAt(at.s) };
      const p = egoRoute.pointAt(start, { x: 0, y: 0 });
      const ego = { ...DIMENSIONS.car, x: p.x, y: p.y, heading: egoRoute.headingAt(start) };
      if (footprintsOverlap(ego, obstacle)) {
        fail(['obstacles', i, 'position'], `${o.position} (lane ${o.lane}, offset ${o.offset}) puts the ${o.kind} where the ego starts (ego.position ${start}, lane ${scenario.ego.lane}); expected it clear of the ego's ${DIMENSIONS.car.length} m long body`);
      }
    }
  });
  return problems;
}

/** Throws a ScenarioError with one `source: path: message` line per problem. */
export function checkPositions(scenario: Scenario, source: string): Scenario {
  const problems = positionProblems(scenario);
  if (problems.length > 0) throw new ScenarioError(problems.map((p) => `${source}: ${formatPath(p.path)}: ${p.message}`));
  return scenario;
}
