import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/drivelab.mjs');
const fixtures = join(root, 'test/fixtures/scenarios');

function drivelab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, DRIVELAB_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('drivelab CLI', () => {
  it('runs an episode and prints the summary as JSON', () => {
    const out = execFileSync(process.execPath, [bin, 'run', '--scenario', 'highway', '--agent', 'expert', '--seed', '3', '--json'], { cwd: root, encoding: 'utf8' });
    const summary = JSON.parse(out);
    expect(summary).toMatchObject({ scenario: 'highway', seed: 3, agent: 'expert', outcome: 'goal', offRoad: false });
    expect(summary.collisions).toEqual({ vehicle: 0, pedestrian: 0, obstacle: 0 });
    expect(Object.keys(summary.rewards).sort()).toEqual(['collision', 'comfort', 'goal', 'laneCentering', 'offRoad', 'progress', 'speed']);
    const termSum = Object.values(summary.rewards as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(termSum).toBeCloseTo(summary.totalReward, 6);
    expect(summary.distance).toBeGreaterThan(600);
  });

  it('prints the human summary with every section', () => {
    const r = drivelab('run', '--scenario', 'lane-keep-curvy', '--seed', '1');
    expect(r.code).toBe(0);
    for (const word of ['ended', 'route', 'distance', 'collisions', 'off-road', 'reward', 'terms', 'steps/s']) expect(r.stdout).toContain(word);
  });

  it('runs a scenario file with --set overrides', () => {
    const r = drivelab('run', '--scenario', join(fixtures, 'minimal.yaml'), '--set', 'traffic.vehicles=2', '--set', 'limits.duration=3', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ scenario: 'minimal-roundabout', outcome: 'time-limit', steps: 30 });
  });

  it('saves chase-camera PNGs with --render', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-render-'));
    const r = drivelab('run', '--scenario', 'intersection', '--set', 'limits.duration=2', '--render', dir, '--render-every', '5');
    expect(r.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['00000.png', '00005.png', '00010.png', '00015.png', '00020.png']);
  });

  const bad: [string, string[], RegExp][] = [
    ['an unknown scenario', ['run', '--scenario', 'motorway'], /^unknown scenario "motorway": expected one of highway/],
    ['a broken scenario file', ['run', '--scenario', join(fixtures, 'bad-speed-type.json')], /bad-speed-type\.json: traffic\.speed\[1\]: expected number, got string/],
    ['a missing scenario file', ['run', '--scenario', 'nowhere/s.yaml'], /nowhere\/s\.yaml: cannot read the file \(it does not exist\)/],
    ['an unknown agent', ['run', '--agent', 'wizard'], /--agent wizard: unknown agent/],
    ['a bad seed', ['run', '--seed', 'abc'], /--seed abc: expected a non-negative integer/],
    ['an unknown flag', ['run', '--fast'], /unknown option '--fast'/],
    ['a bad override', ['run', '--set', 'map.lanes=0'], /map\.lanes: expected number to be >=1, got 0/],
    ['a malformed --set', ['run', '--set', 'lanes'], /--set lanes: expected path=value/],
  ];
  for (const [what, args, message] of bad) {
    it(`rejects ${what} with one line and exit code 2`, () => {
      const r = drivelab(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\s+at .+:\d+:\d+/);
      expect(r.stdout).toBe('');
    });
  }

  it('rejects a corrupt policy directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-policy-'));
    writeFileSync(join(dir, 'policy.json'), '{ "version": 1, "agent": 42 }');
    const r = drivelab('run', '--agent', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('policy.json: agent: expected a string, got 42');
  });

  it('prints the JSON Schema of scenario and suite files', () => {
    const scenario = JSON.parse(drivelab('scenarios', 'schema').stdout);
    expect(scenario.title).toBe('drivelab scenario, version 1');
    expect(scenario.properties.map.oneOf.map((m: { properties: { type: { const: string } } }) => m.properties.type.const)).toEqual(['highway', 'road', 'merge', 'intersection', 'roundabout']);
    expect(scenario.required).toEqual(['version', 'id', 'map']);
    const suite = JSON.parse(drivelab('scenarios', 'schema', '--suite').stdout);
    expect(suite.properties.seeds.required).toEqual(['train', 'test']);
  });

  it('lists and validates scenarios', () => {
    const list = drivelab('scenarios', 'list', '--json');
    expect(JSON.parse(list.stdout).map((s: { id: string }) => s.id)).toEqual(['highway', 'lane-keep-curvy', 'merge', 'intersection', 'roundabout', 'pedestrian-crossing', 'obstacle-avoidance']);
    const ok = drivelab('scenarios', 'validate', join(fixtures, 'example-highway.json'));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ok (highway-example, highway map)');
    const bad = drivelab('scenarios', 'validate', join(fixtures, 'bad-id.json'), join(fixtures, 'minimal.yaml'));
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(2);
    expect(bad.stdout).toContain('minimal.yaml: ok');
  });
});
