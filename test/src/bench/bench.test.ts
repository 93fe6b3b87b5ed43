import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecord } from '../../../src/bench/record.ts';
import { ReportSchema } from '../../../src/bench/report.ts';
import { runBench, type BenchOptions } from '../../../src/bench/runner.ts';
import { drivelab, STACK_FRAME } from '../drivelab.ts';

const root = join(import.meta.dirname, '../../..');
const bin = join(root, 'bin/drivelab.mjs');
const tmp = () => mkdtempSync(join(tmpdir(), 'drivelab-bench-'));

/** A small suite: two short scenarios, three test seeds. */
function suiteFile(dir: string): string {
  const file = join(dir, 'tiny.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'id: tiny',
      'scenarios:',
      '  - scenario: highway',
      '    overrides: { traffic: { vehicles: 8 }, limits: { duration: 6 } }',
      '  - scenario: intersection',
      '    overrides: { limits: { duration: 5 } }',
      '    episodes: 2',
      'seeds: { train: [0, 99], test: [100, 102] }',
      'episodes: 3',
    ].join('\n'),
  );
  return file;
}

const base = (suite: string, out: string): BenchOptions => ({ suite, agent: 'expert', detector: 'ground-truth', workers: 1, out, record: false, resume: false });

/** Everything but timing, which legitimately differs between runs. */
function comparable(rows: readonly Record<string, unknown>[]) {
  return rows.map(({ wallTime: _w, stepsPerSecond: _s, ...rest }) => rest);
}

describe('drivelab bench', () => {
  it('gives identical per-episode results with 1 and 2 workers, and a report that matches its schema', async () => {
    const dir = tmp();
    const suite = suiteFile(dir);
    const one = await runBench(base(suite, join(dir, 'w1')));
    const two = await runBench({ ...base(suite, join(dir, 'w2')), workers: 2 });
    expect(one.report.episodes).toHaveLength(5);
    expect(comparable(two.report.episodes)).toEqual(comparable(one.report.episodes));
    expect(one.report.episodes.map((e) => e.seed)).toEqual([100, 101, 102, 100, 101]);

    const json = JSON.parse(readFileSync(join(dir, 'w2', 'report.json'), 'utf8'));
    const report = ReportSchema.parse(json);
    expect(report.complete).toBe(true);
    expect(Object.keys(report.scenarios)).toEqual(['highway', 'intersection']);
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.overall.metrics.drivingScore.n).toBe(5);
    const csv = readFileSync(join(dir, 'w2', 'episodes.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(6);
    expect(csv[0].split(',')).toContain('drivingScore');
    expect(readFileSync(join(dir, 'w2', 'report.md'), 'utf8')).toContain('| highway | 3 |');
    expect(readFileSync(join(dir, 'w2', 'plots', 'driving-score.svg'), 'utf8')).toMatch(/^<svg/);
  });

  it('resumes an interrupted run: finished episodes are kept and only the rest run', async () => {
    const dir = tmp();
    const suite = suiteFile(dir);
    const full = await runBench(base(suite, join(dir, 'full')));
    // Simulate a crash after two episodes, the third cut off mid-write.
    const out = join(dir, 'crashed');
    await runBench(base(suite, out));
    const lines = readFileSync(join(out, 'episodes.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(join(out, 'episodes.jsonl'), `${lines[0]}\n${lines[1]}\n${lines[2].slice(0, 40)}`);
    await expect(runBench(base(suite, out))).rejects.toThrow('already holds results; add --resume');
    let resumedFrom = -1;
    let ran = 0;
    const resumed = await runBench({ ...base(suite, out), resume: true }, { start: (_t, done) => (resumedFrom = done), episode: () => ran++, stop: () => {} });
    expect(resumedFrom).toBe(2);
    expect(ran).toBe(3);
    expect(comparable(resumed.report.episodes)).toEqual(comparable(full.report.episodes));
  });

  it('resumes past lines of episodes.jsonl that are valid JSON but no episode record, running those episodes again', async () => {
    const dir = tmp();
    const suite = suiteFile(dir);
    const out = join(dir, 'damaged');
    const full = await runBench(base(suite, out));
    const lines = readFileSync(join(out, 'episodes.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(join(out, 'episodes.jsonl'), [lines[0], 'null', '5', '[1,2]', '{"seed":3}', lines[1]].join('\n') + '\n');
    let resumedFrom = -1;
    const resumed = await runBench({ ...base(suite, out), resume: true }, { start: (_t, done) => (resumedFrom = done), episode: () => {}, stop: () => {} });
    expect(resumedFrom).toBe(2);
    expect(comparable(resumed.report.episodes)).toEqual(comparable(full.report.episodes));
  });

  it('Ctrl-C keeps finished episodes, exits 130, and --resume finishes the run', async () => {
    const dir = tmp();
    const suite = suiteFile(dir);
    const out = join(dir, 'interrupted');
    const child = spawn(process.execPath, [bin, 'bench', '--suite', suite, '--workers', '1', '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = join(out, 'episodes.jsonl');
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (existsSync(log) && readFileSync(log, 'utf8').split('\n').filter(Boolean).length >= 1) {
          clearInterval(poll);
          child.kill('SIGINT');
          resolve();
        }
      }, 20);
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(stderr).toContain('--resume');
    const partial = ReportSchema.parse(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')));
    expect(partial.complete).toBe(false);
    expect(partial.episodes.length).toBeGreaterThanOrEqual(1);
    const r = await drivelab('bench', '--suite', suite, '--workers', '1', '--out', out, '--resume', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).overall.episodes).toBe(5);
  });

  it('queues many episodes on the worker pool without a warning on stderr', async () => {
    const dir = tmp();
    const file = join(dir, 'many.yaml');
    writeFileSync(file, ['version: 1', 'id: many', 'scenarios:', '  - scenario: highway', '    overrides: { traffic: { vehicles: 0 }, limits: { duration: 0.5 } }', 'seeds: { train: [0, 9], test: [10, 25] }', 'episodes: 16'].join('\n'));
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const { report } = await runBench({ ...base(file, join(dir, 'out')), workers: 2 });
      expect(report.episodes).toHaveLength(16);
      // Warnings are emitted on the next tick.
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('reports NPC contacts per episode and says once per scenario when fewer vehicles fit than asked', async () => {
    const dir = tmp();
    const suite = join(dir, 'dense.yaml');
    writeFileSync(suite, ['version: 1', 'id: dense', 'scenarios:', '  - scenario: highway', '    overrides: { traffic: { vehicles: 260 }, limits: { duration: 2 } }', 'seeds: { train: [0, 9], test: [10, 11] }', 'episodes: 2'].join('\n'));
    const r = await drivelab('bench', '--suite', suite, '--workers', '1', '--out', join(dir, 'out'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: highway: traffic\.vehicles: 260 requested, 1\d\d placed; the spawn lanes have no room for more \(2 episodes\)\n$/);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')));
    expect(report.episodes.map((e) => e.npcCollisions)).toEqual([0, 0]);
    expect(report.overall.metrics.npcCollisions.mean).toBe(0);
  });

  it('records episodes in the versioned replay format', async () => {
    const dir = tmp();
    const { report } = await runBench({ ...base(suiteFile(dir), join(dir, 'rec')), record: true, episodes: 1 });
    const replay = await readRecord(join(dir, 'rec', 'records', 'highway-100.drec.json.gz'));
    const steps = report.episodes[0].steps as number;
    expect(replay.header).toMatchObject({ format: 'drivelab-record', version: 1, seed: 100, steps, actionSize: 2 });
    expect(replay.poses).toHaveLength((steps + 1) * replay.header.actors.length * 4);
    expect(replay.rewards).toHaveLength(steps);
    expect(replay.rewards.reduce((a, b) => a + b, 0)).toBeCloseTo(report.episodes[0].reward as number, 3);
    // The named terms of each step add up to its reward.
    const terms = Object.keys(replay.terms);
    expect(terms.length).toBeGreaterThan(1);
    for (let t = 0; t < steps; t++) expect(terms.reduce((sum, name) => sum + replay.terms[name][t], 0)).toBeCloseTo(replay.rewards[t], 4);
  });

  const bad: [string, string[], RegExp][] = [
    ['an unknown agent', ['--agent', 'wizard'], /--agent wizard: unknown agent/],
    ['an unknown suite', ['--suite', 'nightly'], /--suite nightly: unknown suite/],
    ['an unreadable suite file', ['--suite', 'missing/suite.yaml'], /missing\/suite\.yaml: cannot read the suite file/],
    ['a directory for a suite file', ['--suite', tmpdir()], /: cannot read the suite file \(it is a directory\)/],
    ['an unknown detector', ['--detector', 'yolo', '--agent', 'random'], /^--detector yolo: no such built-in detector or file; expected oracle, noisy-oracle, cnn, a model directory or the path of a plug-in module\n$/],
    ['too many episodes', ['--episodes', '50'], /--episodes 50: expected 1 to 2/],
  ];
  for (const [what, args, message] of bad) {
    it(`rejects ${what} before any episode, with exit code 2`, async () => {
      const out = join(tmp(), 'never');
      const r = await drivelab('bench', ...args, '--out', out);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('rejects a suite whose test seeds overlap its training seeds, and an unknown scenario in it', async () => {
    const dir = tmp();
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ version: 1, id: 'bad', scenarios: ['highway', 'autobahn'], seeds: { train: [0, 10], test: [5, 6] }, episodes: 2 }));
    const r = await drivelab('bench', '--suite', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('seeds.test: expected test seeds disjoint from the training seeds [0, 10], got [5, 6]');
    writeFileSync(file, JSON.stringify({ version: 1, id: 'bad', scenarios: ['highway', 'autobahn'], seeds: { train: [0, 10], test: [11, 12] }, episodes: 2 }));
    const r2 = await drivelab('bench', '--suite', file);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/scenarios\[1\]: unknown scenario "autobahn"/);
  });

  it('checks every suite scenario against its map before the first episode', async () => {
    const dir = tmp();
    const file = join(dir, 'far.yaml');
    writeFileSync(file, ['version: 1', 'id: far', 'scenarios:', '  - highway', '  - scenario: merge', '    overrides: { goal: { position: 5000 } }', 'seeds: { train: [0, 9], test: [10, 12] }', 'episodes: 1'].join('\n'));
    const out = join(dir, 'out');
    const r = await drivelab('bench', '--suite', file, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${file}: scenarios[1]: merge (with overrides): goal.position: 5000 is beyond the end of the ego's route on this merge map (540.2 m); expected at most 539.2\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('rejects a policy directory made for other spaces', async () => {
    const dir = tmp();
    // The action type follows the policy (a policy of meta-actions gets them); observations cannot.
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ version: 1, agent: 'random', args: {}, observationSpace: { type: 'box', low: [0], high: [1], shape: [1] } }));
    const r = await drivelab('bench', '--agent', dir, '--out', join(dir, 'out'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/observationSpace: the policy was made for Box\[1\], the env has Dict\{features: Box\[98\], lidar: Box\[1,64\]\}/);
  });

  it('compares two result directories with significance marks', async () => {
    const dir = tmp();
    const suite = suiteFile(dir);
    await runBench({ ...base(suite, join(dir, 'expert')), episodes: 2 });
    await runBench({ ...base(suite, join(dir, 'random')), agent: 'random', episodes: 2 });
    const r = await drivelab('bench', 'compare', join(dir, 'expert'), join(dir, 'random'), '--json');
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout);
    const progress = c.overall.find((m: { metric: string }) => m.metric === 'progress');
    expect(progress.delta).toBeLessThan(0);
    expect(progress.significant).toBe(true);
    expect(progress.favours).toBe('a');
    expect(c.mismatches).toEqual([]);
    const bad = await drivelab('bench', 'compare', join(dir, 'expert'), join(dir, 'nope'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/nope\/report\.json: cannot read it/);
  });
});

describe('drivelab bench compare of runs that did not drive the same episodes', () => {
  it('warns of another suite, scenarios on one side only and other seeds, and compares only what both have', async () => {
    const dir = tmp();
    await runBench({ ...base(suiteFile(dir), join(dir, 'a')), episodes: 2 });
    const other = join(dir, 'other.yaml');
    writeFileSync(other, ['version: 1', 'id: other', 'scenarios:', '  - scenario: highway', '    overrides: { traffic: { vehicles: 8 }, limits: { duration: 6 } }', 'seeds: { train: [0, 99], test: [200, 202] }', 'episodes: 2'].join('\n'));
    await runBench({ ...base(other, join(dir, 'b')), agent: 'random' });
    const r = await drivelab('bench', 'compare', join(dir, 'a'), join(dir, 'b'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  warning: the runs are of different suites: A tiny, B other\n');
    expect(r.stdout).toContain('  warning: only A has intersection; left out of the comparison\n');
    expect(r.stdout).toContain('  warning: highway: the runs drove different seeds (A 2 episodes, B 2)\n');
    expect(r.stdout).toContain('\nscenarios both runs have\n');
    const json = JSON.parse((await drivelab('bench', 'compare', join(dir, 'a'), join(dir, 'b'), '--json')).stdout);
    // The overall comparison covers highway only: A's intersection episodes are not in it.
    const progress = (rows: { metric: string; a: number }[]) => rows.find((m) => m.metric === 'progress')!.a;
    expect(progress(json.overall)).toBe(progress(json.scenarios.highway));
    expect(Object.keys(json.scenarios)).toEqual(['highway']);
  });
});

describe('drivelab bench --out', () => {
  /** Runs the tiny suite, one episode per scenario, into `out`. */
  const bench = (out: string, ...extra: string[]) => drivelab('bench', '--suite', suiteFile(tmp()), '--episodes', '1', '--workers', '1', '--out', out, ...extra);

  it('creates a missing directory and its parents', async () => {
    const out = join(tmp(), 'a', 'b', 'c');
    const r = await bench(out, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).outDir).toBe(out);
    expect(readdirSync(out).sort()).toEqual(['episodes.csv', 'episodes.jsonl', 'plots', 'report.json', 'report.md', 'run.json']);
  });

  it('uses an existing empty directory', async () => {
    const out = tmp();
    expect((await bench(out)).code).toBe(0);
    expect(existsSync(join(out, 'report.json'))).toBe(true);
  });

  const file = () => {
    const f = join(tmp(), 'results');
    writeFileSync(f, 'not a directory');
    return f;
  };
  const bad: [string, () => { out: string; extra?: string[] }, (out: string) => string][] = [
    ['a file', () => ({ out: file() }), (out) => `--out ${out}: is a file; expected a directory (new or empty)`],
    ['a path under a file', () => ({ out: join(file(), 'run') }), (out) => `--out ${out}: cannot create it, ${join(out, '..')} is a file; expected a directory path`],
    ['a directory of other files', () => {
      const out = tmp();
      writeFileSync(join(out, 'notes.txt'), 'mine');
      return { out };
    }, (out) => `--out ${out}: is not empty (it holds 1 entry) but no benchmark run; expected a new or empty directory`],
    ['an empty path', () => ({ out: ' ' }), () => '--out: expected a directory path, got an empty string'],
    ['--resume without --out', () => ({ out: '', extra: ['--resume'] }), () => '--resume: expected --out <dir>, the directory of the run to continue'],
    ['--resume on an empty directory', () => ({ out: tmp(), extra: ['--resume'] }), (out) => `--resume: ${out} holds no benchmark run to continue (no run.json); drop --resume to start one`],
    ['--resume on a missing directory', () => ({ out: join(tmp(), 'gone'), extra: ['--resume'] }), (out) => `--resume: ${out} does not exist; nothing to continue`],
    ['--resume of a run without run.json', () => {
      const out = tmp();
      writeFileSync(join(out, 'episodes.jsonl'), '');
      return { out, extra: ['--resume'] };
    }, (out) => `--resume: ${join(out, 'run.json')}: cannot read it (ENOENT); the run cannot be continued`],
  ];
  for (const [what, setup, message] of bad) {
    it(`refuses ${what} before the first episode, with one line and exit code 2, and touches nothing`, async () => {
      const { out, extra = [] } = setup();
      const snapshot = () => (!existsSync(out) ? null : statSync(out).isDirectory() ? readdirSync(out, { recursive: true }).sort() : readFileSync(out, 'utf8'));
      const before = snapshot();
      const r = out ? await bench(out, ...extra) : await drivelab('bench', '--suite', suiteFile(tmp()), ...extra);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(message(out) + '\n');
      expect(r.stderr).not.toMatch(STACK_FRAME);
      expect(r.stdout).toBe('');
      expect(snapshot()).toEqual(before);
    });
  }

  it.skipIf(!existsSync('/proc/self'))('refuses a directory the file system will not create, instead of hanging', async () => {
    const out = '/proc/drivelab-results/run';
    const r = await bench(out);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`--out ${out}: cannot create the directory (ENOENT: the file system does not allow it here)\n`);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a directory it may not write into', async () => {
    const parent = tmp();
    const out = join(parent, 'locked');
    mkdirSync(out);
    chmodSync(out, 0o500);
    try {
      const r = await bench(out);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`--out ${out}: cannot write into the directory (EACCES: permission denied)\n`);
    } finally {
      chmodSync(out, 0o700);
      rmSync(parent, { recursive: true });
    }
  });
});
