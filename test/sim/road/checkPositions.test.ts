import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinScenario, builtinScenarioIds } from '../../../scenarios/library.ts';
import { parseScenarioText, ScenarioError, validateScenario } from '../../../scenarios/parse.ts';
import type { Scenario } from '../../../scenarios/schema.ts';
import { make, resolveScenario } from '../../../sim/env/registry.ts';
import { Rng } from '../../../sim/rng.ts';
import { checkPositions, positionProblems } from '../../../sim/road/maps/checkPositions.ts';
import { buildMap } from '../../../sim/road/maps/index.ts';
import { initPhysics } from '../../../sim/world/physics.ts';
import { World } from '../../../sim/world/World.ts';

const dir = join(import.meta.dirname, '../../fixtures/scenarios');

function problems(name: string): string[] {
  try {
    checkPositions(parseScenarioText(readFileSync(join(dir, name), 'utf8'), name), name);
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems;
    throw err;
  }
  return [];
}

const scenario = (fields: Record<string, unknown>): Scenario => validateScenario({ version: 1, id: 't', ...fields }, 't');
const lines = (s: Scenario) => positionProblems(s).map((p) => `${p.path.join('.')}: ${p.message}`);

describe('positions on the built map', () => {
  it('accepts every built-in scenario', () => {
    for (const id of builtinScenarioIds) expect(positionProblems(builtinScenario(id)!), id).toEqual([]);
  });

  // One fixture per map type; each line names the file, the field and what was expected.
  const cases: [string, string[]][] = [
    ['bad-position-highway.json', [
      "bad-position-highway.json: goal.position: 5000 is beyond the end of the ego's route on this highway map (800.0 m); expected at most 799.0",
      "bad-position-highway.json: obstacles[0].position: 900 is beyond the end of lane 2 of the ego's road (800.0 m); expected at most 800.0",
    ]],
    ['bad-position-short-highway.json', [
      "bad-position-short-highway.json: ego.position: the ego's route on this highway map (1.0 m) is too short to start on; expected a route of at least 10 m (a longer map)",
      "bad-position-short-highway.json: goal.position: 750 is beyond the end of the ego's route on this highway map (1.0 m); expected at most 0.0",
    ]],
    ['bad-position-road.yaml', [
      "bad-position-road.yaml: ego.position: 295 is too close to or beyond the end of the ego's route on this road map (300.0 m); expected at most 290.0, 10 m before its end",
    ]],
    ['bad-position-merge.json', [
      "bad-position-merge.json: goal.position: 600 is beyond the end of the ego's route on this merge map (540.2 m); expected at most 539.2",
      "bad-position-merge.json: obstacles[0].position: 700 is beyond the end of lane 1 of the ego's road (600.0 m); expected at most 600.0",
    ]],
    ['bad-position-intersection.json', [
      "bad-position-intersection.json: goal.position: 300 is beyond the end of the ego's route on this intersection map (214.5 m); expected at most 213.5",
      "bad-position-intersection.json: obstacles[0].position: 120 is beyond the end of lane 0 of the ego's road (100.0 m); expected at most 100.0",
    ]],
    ['bad-position-roundabout.yaml', [
      "bad-position-roundabout.yaml: goal.position: 40 is not ahead of the ego's start (ego.position 60); expected more than 60",
    ]],
  ];
  for (const [file, expected] of cases) {
    it(`rejects ${file} with one located line per problem`, () => {
      expect(problems(file)).toEqual(expected);
    });
  }

  it('takes the limits at their exact boundaries', () => {
    const base = { map: { type: 'highway', length: 800 } };
    expect(lines(scenario({ ...base, ego: { position: 790 }, goal: { type: 'reach', position: 799 }, obstacles: [{ lane: 0, position: 800 }] }))).toEqual([]);
    expect(lines(scenario({ ...base, ego: { position: 790.5 } }))).toEqual([
      "ego.position: 790.5 is too close to or beyond the end of the ego's route on this highway map (800.0 m); expected at most 790.0, 10 m before its end",
    ]);
    expect(lines(scenario({ ...base, goal: { type: 'reach', position: 799.5 } }))[0]).toMatch(/^goal\.position: 799\.5 is beyond the end/);
    expect(lines(scenario({ ...base, obstacles: [{ lane: 0, position: 800.5 }] }))[0]).toMatch(/^obstacles\.0\.position: 800\.5 is beyond the end/);
    expect(lines(scenario({ ...base, ego: { position: 100 }, goal: { type: 'reach', position: 100 } }))[0]).toMatch(/^goal\.position: 100 is not ahead/);
  });

  it('measures obstacles along their own lane, which on a bend is not the map length', () => {
    // Lane 2's centre is 9 m left of the reference, so on a left bend it is 800 × (1 − 0.002 × 9) ≈ 785.6 m.
    const bend = { map: { type: 'highway', length: 800, curvature: 0.002 } };
    expect(lines(scenario({ ...bend, obstacles: [{ lane: 2, position: 790 }] }))).toEqual([
      "obstacles.0.position: 790 is beyond the end of lane 2 of the ego's road (785.6 m); expected at most 785.6",
    ]);
    expect(lines(scenario({ ...bend, obstacles: [{ lane: 0, position: 790 }] }))).toEqual([]);
  });

  it('refuses an obstacle the ego would start inside, by the two bodies\' footprints', () => {
    // Ego (4.6 × 1.9) at 20 m on lane 0 of a straight highway; a barrier is 0.6 long and 2.6 wide.
    // Along the lane they touch at 20 ± (2.3 + 0.3) = 20 ± 2.6; across, at (0.95 + 1.3) = 2.25 m.
    const at = (lane: number, position: number, offset = 0) => lines(scenario({ map: { type: 'highway' }, ego: { lane: 0, position: 20 }, obstacles: [{ lane, position, offset }] }));
    for (const [position, inside] of [[22.59, true], [22.61, false], [17.41, true], [17.39, false], [20, true]] as const) {
      expect(at(0, position).length, `barrier at ${position}`).toBe(inside ? 1 : 0);
    }
    expect(at(0, 22)).toEqual([
      "obstacles.0.position: 22 (lane 0, offset 0) puts the barrier where the ego starts (ego.position 20, lane 0); expected it clear of the ego's 4.6 m long body",
    ]);
    // Lane 1's centre is 3.6 m to the left: an offset of −1.4 brings the barrier to 2.2 m, −1.3 to 2.3 m.
    expect(at(1, 20, -1.4)).toHaveLength(1);
    expect(at(1, 20, -1.3)).toEqual([]);
  });

  it('reports references the map does not have at their field, not as a crash', () => {
    const highway = scenario({ map: { type: 'highway', lanes: 3 } });
    highway.ego.lane = 5;
    expect(lines(highway)).toEqual(['ego.lane: expected a lane index from 0 to 2 on this 3-lane highway, got 5']);
    const roundabout = scenario({ map: { type: 'roundabout', arms: 4 } });
    roundabout.ego.exit = 4;
    expect(lines(roundabout)).toEqual(['ego.exit: expected an exit from 1 to 3 on a 4-arm roundabout, got 4']);
    const junction = scenario({ map: { type: 'intersection', lanes: 2 }, ego: { lane: 1, turn: 'left' } });
    junction.ego.lane = 0;
    expect(lines(junction)).toEqual(['ego.lane: expected 1 (the leftmost lane) for a left turn on this 2-lane intersection, got 0']);
    const merge = scenario({ map: { type: 'merge', lanes: 2 } });
    merge.obstacles.push({ lane: 3, position: 10, kind: 'cone', offset: 0 });
    expect(lines(merge)).toEqual(["obstacles.0.lane: expected a lane index from 0 to 1 on the ego's road, got 3"]);
  });

  it('gives a road map the same ego route length on every seed, so one check holds for all', () => {
    const s = scenario({ map: { type: 'road', length: 600, laneWidth: 6, maxCurvature: 0.05, segmentLength: 60 } });
    for (let seed = 0; seed < 20; seed++) {
      const built = buildMap(s.map, s.ego, Rng.seeded(seed).split());
      expect(built.network.lanes[built.egoRoute[0]].path.length).toBeCloseTo(600, 1);
    }
  });

  it('is checked where scenarios enter the sim: make() and resolveScenario()', async () => {
    await expect(make('highway', { goal: { position: 5000 } })).rejects.toThrow(
      "highway (with overrides): goal.position: 5000 is beyond the end of the ego's route on this highway map (800.0 m); expected at most 799.0",
    );
    const s = builtinScenario('roundabout')!;
    s.ego.position = 1000;
    expect(() => resolveScenario(s)).toThrow(/^roundabout: ego\.position: 1000 is too close to or beyond the end/);
  });

  it('make() refuses what is not a scenario with a ScenarioError that says so, not a TypeError', async () => {
    for (const [arg, shown] of [[null, 'null'], [undefined, 'undefined'], [5, 'number'], [[], 'an array']] as const) {
      await expect(make(arg as never)).rejects.toThrow(new ScenarioError([`make: expected a scenario id, a Scenario object or a .json/.yaml file, got ${shown}`]));
    }
    // An object without an id is named "scenario" in its problems, not "undefined".
    await expect(make({} as never)).rejects.toThrow(/^scenario: version: expected 1/);
  });

  it('starts the ego and places the goal exactly where a checked scenario says', async () => {
    await initPhysics();
    const s = resolveScenario('highway', { ego: { position: 790, speed: 0 }, goal: { type: 'reach', position: 799 }, traffic: { vehicles: 0 } });
    const world = new World(s, 0);
    expect(world.egoState.s).toBeCloseTo(790, 1);
    expect(world.goalS).toBe(799);
    world.free();
  });
});
