import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { drivelab, STACK_FRAME } from './drivelab.ts';

const root = join(import.meta.dirname, '../..');
const fixtures = join(root, 'test/fixtures/scenarios');
const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), `drivelab-${prefix}-`));

describe('drivelab CLI', () => {
  it('runs an episode and prints the summary as JSON', async () => {
    const r = await drivelab('run', '--scenario', 'highway', '--agent', 'expert', '--seed', '3', '--json');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ scenario: 'highway', seed: 3, agent: 'expert', outcome: 'goal', offRoad: false });
    expect(summary.collisions).toEqual({ vehicle: 0, pedestrian: 0, obstacle: 0 });
    expect(Object.keys(summary.rewards).sort()).toEqual(['collision', 'comfort', 'goal', 'laneCentering', 'offRoad', 'progress', 'speed']);
    const termSum = Object.values(summary.rewards as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(termSum).toBeCloseTo(summary.totalReward, 6);
    expect(summary.distance).toBeGreaterThan(600);
    expect(summary.npcCollisions).toBe(0);
    expect(summary.warnings).toEqual([]);
  });

  it('refuses --render-every without --render, which would silently save nothing', async () => {
    const r = await drivelab('run', '--scenario', 'highway', '--render-every', '5');
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: '--render-every 5: only means something with --render <dir>, the directory for the frames\n' });
  });

  it('says when the scenario asked for more vehicles than the road holds, and how traffic went', async () => {
    const r = await drivelab('run', '--scenario', 'highway', '--set', 'traffic.vehicles=260', '--set', 'limits.duration=1');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ {2}warning {6}traffic\.vehicles: 260 requested, 1\d\d placed; the spawn lanes have no room for more\n/);
    expect(r.stdout).toContain('  traffic      no contacts between NPCs\n');
  });

  it('prints the human summary with every section', async () => {
    const r = await drivelab('run', '--scenario', 'lane-keep-curvy', '--seed', '1', '--set', 'limits.duration=5');
    expect(r.code).toBe(0);
    for (const word of ['ended', 'route', 'distance', 'collisions', 'off-road', 'reward', 'terms', 'steps/s']) expect(r.stdout).toContain(word);
  });

  it('runs a scenario file with --set overrides', async () => {
    const r = await drivelab('run', '--scenario', join(fixtures, 'minimal.yaml'), '--set', 'traffic.vehicles=2', '--set', 'limits.duration=3', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ scenario: 'minimal-roundabout', outcome: 'time-limit', steps: 30 });
  });

  it('applies --set before validation, so it can repair a file', async () => {
    const file = join(fixtures, 'bad-ego-lane.json');
    const broken = await drivelab('run', '--scenario', file, '--json');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('bad-ego-lane.json: ego.lane: expected a lane index from 0 to 1 on this highway map, got 3');
    const repaired = await drivelab('run', '--scenario', file, '--set', 'ego.lane=0', '--set', 'limits.duration=1', '--json');
    expect(repaired.stderr).toBe('');
    expect(repaired.code).toBe(0);
    expect(JSON.parse(repaired.stdout)).toMatchObject({ scenario: 'bad-ego-lane', steps: 10 });
    const validated = await drivelab('scenarios', 'validate', file, '--set', 'ego.lane=1');
    expect(validated).toMatchObject({ code: 0, stdout: `${file}: ok (bad-ego-lane, highway map)\n` });
  });

  it('saves chase-camera PNGs with --render, creating the directory and its parents', async () => {
    const dir = join(tmp('render'), 'a', 'b');
    const r = await drivelab('run', '--scenario', 'intersection', '--set', 'limits.duration=2', '--render', dir, '--render-every', '5');
    expect(r.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['00000.png', '00005.png', '00010.png', '00015.png', '00020.png']);
  });

  const file = join(tmp('file'), 'taken');
  writeFileSync(file, 'x');
  const used = tmp('used');
  writeFileSync(join(used, '00000.png'), 'old frame');
  const bad: [string, string[], string | RegExp][] = [
    ['an unknown scenario', ['run', '--scenario', 'motorway'], /^unknown scenario "motorway": expected one of highway/],
    ['a broken scenario file', ['run', '--scenario', join(fixtures, 'bad-speed-type.json')], /bad-speed-type\.json: traffic\.speed\[1\]: expected number, got string/],
    ['a missing scenario file', ['run', '--scenario', 'nowhere/s.yaml'], 'nowhere/s.yaml: cannot read the file (it does not exist)'],
    ['a directory as scenario file', ['run', '--scenario', fixtures + '/'], `${fixtures}/: cannot read the file (it is a directory)`],
    ['an unknown agent', ['run', '--agent', 'wizard'], /--agent wizard: unknown agent/],
    ['a bad seed', ['run', '--seed', 'abc'], '--seed abc: expected a non-negative integer'],
    ['an empty seed', ['run', '--seed', ''], '--seed : expected a non-negative integer'],
    ['a hexadecimal seed', ['run', '--seed', '0x10'], '--seed 0x10: expected a non-negative integer'],
    ['an unknown flag', ['run', '--fast'], "drivelab: unknown option '--fast' (run with --help for usage)"],
    ['a missing option value', ['run', '--seed'], "drivelab: option '--seed <n>' argument missing (run with --help for usage)"],
    ['a bad override', ['run', '--set', 'map.lanes=0'], 'highway (with overrides): map.lanes: expected number to be >=1, got 0'],
    ['a malformed --set', ['run', '--set', 'lanes'], '--set lanes: expected path=value, e.g. --set traffic.vehicles=5'],
    ['an episode shorter than one step', ['run', '--set', 'limits.duration=0.01'], 'highway (with overrides): limits.duration: expected at least one step of sim.stepDt (0.1 s), got 0.01'],
    ['--set on __proto__', ['run', '--set', '__proto__.traffic=1'], 'highway (with overrides): (top level): unknown field "__proto__"'],
    ['an ego start beyond the route', ['run', '--scenario', join(fixtures, 'bad-position-road.yaml')], "bad-position-road.yaml: ego.position: 295 is too close to or beyond the end of the ego's route on this road map (300.0 m); expected at most 290.0, 10 m before its end"],
    ['an override that moves the goal off the road', ['run', '--set', 'goal.position=5000'], "highway (with overrides): goal.position: 5000 is beyond the end of the ego's route on this highway map (800.0 m); expected at most 799.0"],
    ['--render onto a file', ['run', '--render', file], `--render ${file}: is a file; expected a directory (new or empty)`],
    ['--render under a file', ['run', '--render', join(file, 'frames')], `--render ${join(file, 'frames')}: cannot create it, ${file} is a file; expected a directory path`],
    ['--render with an empty path', ['run', '--render', ''], '--render: expected a directory path, got an empty string'],
    ['--render into a used directory', ['run', '--render', used], `--render ${used}: is not empty (it holds 1 entry); expected a new or empty directory for the frames of this episode`],
  ];
  for (const [what, args, message] of bad) {
    it(`rejects ${what} with one line and exit code 2`, async () => {
      const r = await drivelab(...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      if (typeof message === 'string') expect(r.stderr).toContain(message);
      else expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(STACK_FRAME);
      expect(r.stdout).toBe('');
    });
  }

  it('gives one line per problem when a scenario has several', async () => {
    const r = await drivelab('run', '--set', 'map.length=1');
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      "highway (with overrides): ego.position: the ego's route on this highway map (1.0 m) is too short to start on; expected a route of at least 10 m (a longer map)",
      "highway (with overrides): goal.position: 750 is beyond the end of the ego's route on this highway map (1.0 m); expected at most 0.0",
    ]);
  });

  it('leaves a used --render directory as it was', async () => {
    await drivelab('run', '--render', used);
    expect(readdirSync(used)).toEqual(['00000.png']);
  });

  const corrupt: [string, string, string][] = [
    ['an agent named after an Object method', '{ "version": 1, "agent": "constructor" }', ': agent: expected one of expert, random, dqn, ppo, reinforce, qlearning, got "constructor"'],
    ['arguments that are not an object', '{ "version": 1, "agent": "expert", "args": "fast" }', 'policy.json: args: expected an object of the agent\'s arguments, got "fast"'],
    ['an expert argument of the wrong type', '{ "version": 1, "agent": "expert", "args": { "speedFactor": "fast" } }', ': args.speedFactor: expected number, got "fast"'],
    ['IDM parameters that are not an object', '{ "version": 1, "agent": "expert", "args": { "idm": null } }', ': args.idm: expected object, got null'],
    ['an argument the random agent does not take', '{ "version": 1, "agent": "random", "args": { "speed": 3 } }', ': args: unknown field "speed"; the random agent takes only "seed"'],
  ];
  for (const [what, manifest, message] of corrupt) {
    it(`rejects a policy directory with ${what}, with one line and exit code 2`, async () => {
      const dir = tmp('policy');
      writeFileSync(join(dir, 'policy.json'), manifest);
      const r = await drivelab('run', '--agent', dir);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe('');
    });
  }

  it('takes no inherited Object property for a built-in agent', async () => {
    for (const name of ['constructor', 'toString', '__proto__']) {
      const r = await drivelab('run', '--agent', name);
      expect(r.code, name).toBe(2);
      expect(r.stderr).toBe(`--agent ${name}: unknown agent; expected expert, random or a saved policy directory\n`);
    }
  });

  it('rejects a corrupt policy directory', async () => {
    const dir = tmp('policy');
    writeFileSync(join(dir, 'policy.json'), '{ "version": 1, "agent": 42 }');
    const r = await drivelab('run', '--agent', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('policy.json: agent: expected a string, got 42');
  });

  it('prints the JSON Schema of scenario and suite files', async () => {
    const scenario = JSON.parse((await drivelab('scenarios', 'schema')).stdout);
    expect(scenario.title).toBe('drivelab scenario, version 1');
    expect(scenario.properties.map.oneOf.map((m: { properties: { type: { const: string } } }) => m.properties.type.const)).toEqual(['highway', 'road', 'merge', 'intersection', 'roundabout']);
    expect(scenario.required).toEqual(['version', 'id', 'map']);
    const suite = JSON.parse((await drivelab('scenarios', 'schema', '--suite')).stdout);
    expect(suite.properties.seeds.required).toEqual(['train', 'test']);
  });

  it('lists and validates scenarios', async () => {
    const list = await drivelab('scenarios', 'list', '--json');
    expect(JSON.parse(list.stdout).map((s: { id: string }) => s.id)).toEqual(['highway', 'lane-keep-curvy', 'merge', 'intersection', 'roundabout', 'pedestrian-crossing', 'obstacle-avoidance']);
    const ok = await drivelab('scenarios', 'validate', join(fixtures, 'example-highway.json'));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ok (highway-example, highway map)');
    const bad = await drivelab('scenarios', 'validate', join(fixtures, 'bad-id.json'), join(fixtures, 'minimal.yaml'));
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(2);
    expect(bad.stdout).toContain('minimal.yaml: ok');
  });

  it('validates positions against the built map of every map type', async () => {
    const files = ['highway', 'road', 'merge', 'intersection', 'roundabout'].map((t) => join(fixtures, `bad-position-${t}.${t === 'road' || t === 'roundabout' ? 'yaml' : 'json'}`));
    const r = await drivelab('scenarios', 'validate', ...files);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(8);
    for (const [i, f] of files.entries()) expect(lines.some((l) => l.startsWith(`${f}: `)), `no line for file ${i}`).toBe(true);
    for (const line of lines) expect(line).toMatch(/^\S+: (ego\.position|goal\.position|obstacles\[\d\]\.position): .*expected /);
  });

  describe('writes only through the writers it is given', () => {
    afterEach(() => vi.restoreAllMocks());
    it('for output, help, errors and exit codes', async () => {
      const out = vi.spyOn(process.stdout, 'write');
      const err = vi.spyOn(process.stderr, 'write');
      const exit = vi.spyOn(process, 'exit');
      const help = await drivelab('run', '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('--render <dir>');
      expect((await drivelab('--version')).stdout).toMatch(/^\d+\.\d+\.\d+/);
      expect((await drivelab('scenarios', 'list')).stdout).toContain('roundabout');
      expect((await drivelab('run', '--seed', '-1')).code).toBe(2);
      expect((await drivelab('nonsense')).stderr).toBe("drivelab: unknown command 'nonsense' (run with --help for usage)\n");
      expect(out).not.toHaveBeenCalled();
      expect(err).not.toHaveBeenCalled();
      expect(exit).not.toHaveBeenCalled();
    });
  });
});

describe('the drivelab executable', () => {
  const bin = join(root, 'bin/drivelab.mjs');
  it('exits 2 with one line and no stack trace on bad input, and 0 on success', () => {
    const dir = join(tmp('bin'), 'sub');
    mkdirSync(dir);
    writeFileSync(join(dir, 'x'), '');
    const bad = spawnSync(process.execPath, [bin, 'run', '--scenario', join(fixtures, 'bad-position-highway.json'), '--render', dir], { cwd: root, encoding: 'utf8', env: { ...process.env, DRIVELAB_DEBUG: '' } });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trimEnd().split('\n')).toEqual([
      `${join(fixtures, 'bad-position-highway.json')}: goal.position: 5000 is beyond the end of the ego's route on this highway map (800.0 m); expected at most 799.0`,
      `${join(fixtures, 'bad-position-highway.json')}: obstacles[0].position: 900 is beyond the end of lane 2 of the ego's road (800.0 m); expected at most 800.0`,
    ]);
    const good = spawnSync(process.execPath, [bin, 'scenarios', 'list', '--json'], { cwd: root, encoding: 'utf8' });
    expect(good.status).toBe(0);
    expect(JSON.parse(good.stdout)).toHaveLength(7);
  });
});
