import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { builtinScenario, builtinScenarioIds } from '../../scenarios/library.ts';
import { parseDocument, parseScenarioText, ScenarioError, withOverrides } from '../../scenarios/parse.ts';
import { parseSuite } from '../../scenarios/suite.ts';

const dir = join(import.meta.dirname, '../fixtures/scenarios');
const read = (name: string) => readFileSync(join(dir, name), 'utf8');

function problems(name: string): string[] {
  try {
    parseScenarioText(read(name), name);
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems;
    throw err;
  }
  return [];
}

describe('scenario schema', () => {
  it('accepts the documented example file verbatim', () => {
    const s = parseScenarioText(read('example-highway.json'), 'example-highway.json');
    expect(s.map).toEqual({ type: 'highway', lanes: 3, length: 800, laneWidth: 3.6, curvature: 0, speedLimit: 30, crosswalks: [] });
    expect(s.traffic.speed).toEqual([18, 28]);
    expect(s.goal).toEqual({ type: 'reach', position: 750 });
    expect(s.reward.comfort).toBe(-0.05);
  });

  it('fills every default from a file with only the required fields', () => {
    const s = parseScenarioText(read('minimal.yaml'), 'minimal.yaml');
    expect(s.map).toMatchObject({ type: 'roundabout', radius: 22, arms: 4 });
    expect(s.sensors.map((x) => x.type)).toEqual(['features', 'lidar']);
    expect(s.limits.duration).toBe(60);
    expect(s.sim).toEqual({ physicsDt: 0.02, stepDt: 0.1 });
  });

  it('validates every built-in scenario', () => {
    for (const id of builtinScenarioIds) expect(builtinScenario(id)?.id).toBe(id);
  });

  // One line per problem: the file, the path inside it, what was expected.
  const cases: [string, string[]][] = [
    ['bad-syntax.json', ['bad-syntax.json: line 1, column 63: not valid JSON']],
    ['bad-syntax.yaml', ['bad-syntax.yaml: line 4, column 9: not valid YAML']],
    ['bad-speed-type.json', ['bad-speed-type.json: traffic.speed[1]: expected number, got string']],
    ['bad-speed-order.yaml', ['bad-speed-order.yaml: traffic.speed[1]: expected a maximum ≥ the minimum 28, got 18']],
    ['bad-version.json', ['bad-version.json: version: expected 1, got 2']],
    ['bad-map-type.json', [`bad-map-type.json: map.type: expected type 'highway' | 'road' | 'merge' | 'intersection' | 'roundabout', got "motorway"`]],
    ['bad-unknown-field.yaml', ['bad-unknown-field.yaml: map: unknown field "lenght"']],
    ['bad-lanes.json', ['bad-lanes.json: map.lanes: expected number to be >=1, got 0']],
    ['bad-ego-lane.json', ['bad-ego-lane.json: ego.lane: expected a lane index from 0 to 1 on this highway map, got 3']],
    ['bad-goal.json', ['bad-goal.json: goal.position: required field is missing (expected number)']],
    ['bad-pedestrians.yaml', ['bad-pedestrians.yaml: traffic.pedestrians: expected 0 on a map without crosswalks']],
    ['bad-timestep.json', ['bad-timestep.json: sim.stepDt: expected a whole multiple of sim.physicsDt (0.03), got 0.1']],
    ['bad-obstacle.json', ['bad-obstacle.json: obstacles[1].position: expected number to be >=0, got -5', 'bad-obstacle.json: obstacles[1].kind: expected one of']],
    ['bad-id.json', ['bad-id.json: id: expected lower-case letters', 'bad-id.json: limits.duration: expected number, got string']],
    ['bad-missing-map.yaml', ['bad-missing-map.yaml: map: required field is missing (expected object)']],
    ['bad-top-level.json', ['bad-top-level.json: (top level): expected object, got array']],
    ['bad-crosswalk.json', ['bad-crosswalk.json: map.crosswalks[1]: expected a position on the 800 m road, got 900']],
    ['bad-sensor.json', ['bad-sensor.json: sensors[0].rays: expected number to be >=1, got 0', `bad-sensor.json: sensors[1].type: expected type 'features' | 'lidar' | 'camera' | 'radar' | 'gnss' | 'imu' | 'odometry', got "sonar"`]],
  ];
  for (const [file, expected] of cases) {
    it(`rejects ${file} with a located message`, () => {
      const lines = problems(file);
      expect(lines).toHaveLength(expected.length);
      expected.forEach((prefix, i) => expect(lines[i].startsWith(prefix), `${lines[i]} should start with ${prefix}`).toBe(true));
      for (const line of lines) expect(line).not.toMatch(/\n|at .*\.ts:\d+/);
    });
  }

  it('checks overrides like files', () => {
    const base = builtinScenario('highway')!;
    expect(withOverrides(base, { traffic: { vehicles: 3 } }, 'highway').traffic.vehicles).toBe(3);
    expect(() => withOverrides(base, { traffic: { vehicles: -1 } }, 'highway')).toThrow('highway (with overrides): traffic.vehicles: expected number to be >=0, got -1');
    // A new map type brings its own defaults instead of inheriting the old type's fields.
    const swapped = withOverrides(base, { map: { type: 'roundabout' }, ego: { lane: 0 } }, 'highway');
    expect(swapped.map).toMatchObject({ type: 'roundabout', arms: 4 });
  });

  it('merges overrides into a file before checking it, so an override can repair the file', () => {
    const raw = parseDocument(read('bad-ego-lane.json'), 'bad-ego-lane.json');
    expect(() => withOverrides(raw, undefined, 'bad-ego-lane.json')).toThrow('bad-ego-lane.json: ego.lane: expected a lane index from 0 to 1');
    expect(withOverrides(raw, { ego: { lane: 1 } }, 'bad-ego-lane.json').ego.lane).toBe(1);
    // A document that is not an object keeps its own error instead of one about the overrides.
    const array = parseDocument(read('bad-top-level.json'), 'bad-top-level.json');
    expect(() => withOverrides(array, { ego: { lane: 1 } }, 'bad-top-level.json')).toThrow(/^bad-top-level\.json: \(top level\): expected object, got array$/);
  });
});

/** The problem lines of a document, or [] when it is valid. */
function linesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems;
    throw err;
  }
  return [];
}

describe('hostile scenario documents', () => {
  it('reports a document nested too deep to print as one located line, not a crash', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(linesOf(() => parseScenarioText(deep, 'deep.json'))).toEqual(['deep.json: (top level): expected object, got array']);
  });

  it('reads a JSON file that starts with a UTF-8 byte-order mark', () => {
    const s = parseScenarioText('\ufeff{ "version": 1, "id": "bom", "map": { "type": "highway" } }', 'bom.json');
    expect(s.id).toBe('bom');
  });

  it('says which number is not a whole number', () => {
    expect(linesOf(() => parseScenarioText('{ "version": 1, "id": "x", "map": { "type": "highway" }, "traffic": { "vehicles": 2.5 } }', 'x.json'))).toEqual([
      'x.json: traffic.vehicles: expected an integer, got 2.5',
    ]);
  });

  it('keeps a "__proto__" key as a field, so it is an unknown field and not the prototype', () => {
    const base = builtinScenario('highway')!;
    const overrides = JSON.parse('{ "__proto__": { "traffic": { "vehicles": 1 } } }');
    expect(linesOf(() => withOverrides(base, overrides, 'highway'))).toEqual(['highway (with overrides): (top level): unknown field "__proto__"']);
    const nested = JSON.parse('{ "traffic": { "__proto__": { "vehicles": 1 } } }');
    expect(linesOf(() => withOverrides(base, nested, 'highway'))).toEqual(['highway (with overrides): traffic: unknown field "__proto__"']);
  });

  it('refuses overrides that are not an object instead of ignoring them', () => {
    const base = builtinScenario('highway')!;
    for (const [overrides, shown] of [[5, '5'], ['lanes', '"lanes"'], [[1], 'an array'], [true, 'true']] as const) {
      expect(linesOf(() => withOverrides(base, overrides as never, 'highway'))).toEqual([`highway: overrides: expected an object of scenario fields, got ${shown}`]);
    }
    expect(withOverrides(base, null as never, 'highway').traffic.vehicles).toBe(base.traffic.vehicles);
  });

  it('says what is wrong inside a suite entry, and what an entry may be', () => {
    const suite = (entry: unknown) => JSON.stringify({ version: 1, id: 's', scenarios: [entry], seeds: { train: [0, 9], test: [10, 11] }, episodes: 1 });
    expect(linesOf(() => parseSuite(suite({ scenario: 'highway', overrides: [1, 2] }), 's.json'))).toEqual(['s.json: scenarios[0].overrides: expected record, got array']);
    expect(linesOf(() => parseSuite(suite({ scenario: 'highway', episodes: 'two' }), 's.json'))).toEqual(['s.json: scenarios[0].episodes: expected number, got string']);
    expect(linesOf(() => parseSuite(suite(5), 's.json'))).toEqual(['s.json: scenarios[0]: expected string or object, got 5']);
  });

  const highway = (extra: string) => `{ "version": 1, "id": "x", "map": { "type": "highway" }, ${extra} }`;

  it('refuses timesteps that would hang a run: physics faster than 1 kHz, a step shorter than one physics step', () => {
    expect(linesOf(() => parseScenarioText(highway('"sim": { "physicsDt": 1e-9, "stepDt": 1 }'), 'x.json'))).toEqual(['x.json: sim.physicsDt: expected number to be >=0.001, got 1e-9']);
    expect(parseScenarioText(highway('"sim": { "physicsDt": 0.001, "stepDt": 1 }'), 'x.json').sim.physicsDt).toBe(0.001);
    // 1e-8 / 0.02 rounds to 0 sub-steps, within the whole-multiple tolerance.
    expect(linesOf(() => parseScenarioText(highway('"sim": { "stepDt": 1e-8 }'), 'x.json'))).toEqual(['x.json: sim.stepDt: expected a whole multiple of sim.physicsDt (0.02), got 1e-8']);
    expect(linesOf(() => parseScenarioText(highway('"sim": { "physicsDt": 0.05, "stepDt": 0.01 }'), 'x.json'))).toEqual(['x.json: sim.stepDt: expected a whole multiple of sim.physicsDt (0.05), got 0.01']);
  });

  it('refuses an episode shorter than one step', () => {
    expect(linesOf(() => parseScenarioText(highway('"limits": { "duration": 0.05 }'), 'x.json'))).toEqual(['x.json: limits.duration: expected at least one step of sim.stepDt (0.1 s), got 0.05']);
    expect(parseScenarioText(highway('"limits": { "duration": 0.1 }'), 'x.json').limits.duration).toBe(0.1);
  });

  it('bounds reward weights so that no reward overflows to Infinity', () => {
    expect(linesOf(() => parseScenarioText(highway('"reward": { "progress": 1e308, "collision": -1e7 }'), 'x.json'))).toEqual([
      'x.json: reward.progress: expected number to be <=1000000, got 1e+308',
      'x.json: reward.collision: expected number to be >=-1000000, got -10000000',
    ]);
  });

  it('refuses a camera whose far plane is not beyond its near plane', () => {
    expect(linesOf(() => parseScenarioText(highway('"sensors": [{ "type": "camera", "near": 5, "far": 1 }]'), 'x.json'))).toEqual(['x.json: sensors[0].far: expected more than near (5), got 1']);
    expect(linesOf(() => parseScenarioText(highway('"sensors": [{ "type": "camera", "near": 2, "far": 2 }]'), 'x.json'))).toHaveLength(1);
    expect(parseScenarioText(highway('"sensors": [{ "type": "camera", "near": 2, "far": 2.5 }]'), 'x.json').sensors[0]).toMatchObject({ near: 2, far: 2.5 });
  });

  it('puts nothing on stderr for a YAML tag it does not know, and judges the value by the schema', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      expect(parseScenarioText('version: 1\nid: x\nmap: !custom { type: highway }\n', 'x.yaml').map.type).toBe('highway');
      expect(linesOf(() => parseScenarioText('version: 1\nid: x\nmap: !!js/function "function () {}"\n', 'x.yaml'))).toEqual(['x.yaml: map: expected object, got string']);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});

