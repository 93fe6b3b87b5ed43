import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareReports } from '../../../src/bench/compare.ts';
import { ReportSchema } from '../../../src/bench/report.ts';
import { runBench, type BenchOptions } from '../../../src/bench/runner.ts';
import { drivelab, STACK_FRAME } from '../drivelab.ts';

const root = join(import.meta.dirname, '../../..');
const DQN = join(root, 'models/dqn-highway');
const tmp = () => mkdtempSync(join(tmpdir(), 'drivelab-perceived-'));

/** Highway cut to 5 s, two test seeds */
function suiteFile(dir: string, overrides = '{ limits: { duration: 5 } }', name = 'hw.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, ['version: 1', 'id: hw', 'scenarios:', '  - scenario: highway', `    overrides: ${overrides}`, 'seeds: { train: [0, 99], test: [100, 101] }', 'episodes: 2'].join('\n'));
  return file;
}

const options = (suite: string, out: string, detector: string, workers = 1): BenchOptions => ({ suite, agent: DQN, detector, workers, out, record: false, resume: false, episodes: 1 });

/** Every field but timing, which legitimately differs between runs */
const comparable = (rows: readonly Record<string, unknown>[]) => rows.map(({ wallTime: _w, stepsPerSecond: _s, ...rest }) => rest);

describe('drivelab bench --detector', () => {
  it('drives every episode on ground truth and through the detector, and reports both scores and their difference', async () => {
    const dir = tmp();
    const suite = suiteFile(dir);
    const out = join(dir, 'noisy');
    const r = await drivelab('bench', '--suite', suite, '--agent', DQN, '--detector', 'noisy-oracle', '--episodes', '1', '--workers', '1', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| scenario | pairs | driving score, ground truth | driving score, noisy-oracle | Δ driving score | success %, ground truth | success %, noisy-oracle | Δ success % |');
    const lines = readFileSync(join(out, 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => [e.key, e.detector, e.seed])).toEqual([['0:0:ground-truth', 'ground-truth', 100], ['0:0:noisy-oracle', 'noisy-oracle', 100]]);
    const [truth, perceived] = lines;
    // Perception changed what the agent saw, so the two drives differ.
    expect(perceived.progress).not.toBe(truth.progress);

    const report = ReportSchema.parse(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')));
    expect(report.detector).toBe('noisy-oracle');
    // The oracles run no network: no backend to name.
    expect(report.backend).toBeNull();
    expect(report.scenarios.highway.metrics.drivingScore.mean).toBeCloseTo(perceived.drivingScore, 12);
    const p = report.perception!;
    expect(p.groundTruth.scenarios.highway.metrics.drivingScore.mean).toBeCloseTo(truth.drivingScore, 12);
    expect(p.cost.scenarios.highway.pairs).toBe(1);
    expect(p.cost.scenarios.highway.metrics.drivingScore.mean).toBeCloseTo(perceived.drivingScore - truth.drivingScore, 12);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('## The cost of perception: ground truth vs `noisy-oracle`');
    expect(readFileSync(join(out, 'episodes.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[5])).toEqual(['ground-truth', 'noisy-oracle']);

    // The ground-truth half is the episode a run without a detector drives.
    const plain = await runBench(options(suite, join(dir, 'plain'), 'ground-truth'));
    expect(plain.report.perception).toBeUndefined();
    expect(comparable(plain.report.episodes)).toEqual(comparable([report.episodes[0]]));
    // bench compare takes each run's own episodes: the detector's, not the ground-truth ones beside them.
    const score = compareReports(plain.report, report).overall.find((m) => m.metric === 'drivingScore')!;
    expect([score.a, score.b]).toEqual([truth.drivingScore, perceived.drivingScore]);
  });

  it('gives the same episodes on 2 workers as on 1, and resumes with the detector in the key', async () => {
    const dir = tmp();
    const suite = suiteFile(dir);
    const one = await runBench({ ...options(suite, join(dir, 'w1'), 'oracle'), episodes: 2 });
    const two = await runBench({ ...options(suite, join(dir, 'w2'), 'oracle', 2), episodes: 2 });
    expect(one.report.episodes.map((e) => e.key)).toEqual(['0:0:ground-truth', '0:0:oracle', '0:1:ground-truth', '0:1:oracle']);
    expect(comparable(two.report.episodes)).toEqual(comparable(one.report.episodes));

    // Only the ground-truth drive of the first seed was written before the run stopped.
    const out = join(dir, 'w1');
    const first = readFileSync(join(out, 'episodes.jsonl'), 'utf8').split('\n')[0];
    writeFileSync(join(out, 'episodes.jsonl'), first + '\n');
    const ran: string[] = [];
    const resumed = await runBench({ ...options(suite, out, 'oracle'), episodes: 2, resume: true }, { start: () => {}, episode: (e) => ran.push(e.key), stop: () => {} });
    expect(ran.sort()).toEqual(['0:0:oracle', '0:1:ground-truth', '0:1:oracle']);
    expect(comparable(resumed.report.episodes)).toEqual(comparable(one.report.episodes));
  });

  it('loads a detector once per thread and reuses it across episodes', async () => {
    const dir = tmp();
    const log = join(dir, 'loads.txt');
    writeFileSync(join(dir, 'counted.mjs'), `import { appendFileSync } from 'node:fs';\nexport async function load() { appendFileSync(${JSON.stringify(log)}, 'load\\n'); return { name: 'counted', classes: ['vehicle'], async detect() { return []; }, dispose() {} }; }\n`);
    const { report } = await runBench({ ...options(suiteFile(dir), join(dir, 'out'), join(dir, 'counted.mjs')), agent: 'random', episodes: 2 });
    expect(report.perception!.cost.overall.pairs).toBe(2);
    // The check before the first episode loads it in this thread; both episodes then use that one.
    expect(readFileSync(log, 'utf8')).toBe('load\n');
  });

  it('resumes a run whose episode keys predate the detector part as ground truth', async () => {
    const dir = tmp();
    const out = join(dir, 'old');
    const suite = suiteFile(dir);
    await runBench({ ...options(suite, out, 'ground-truth'), agent: 'random', episodes: 2 });
    const file = join(out, 'episodes.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll(':ground-truth"', '"'));
    let ran = 0;
    const { report } = await runBench({ ...options(suite, out, 'ground-truth'), agent: 'random', episodes: 2, resume: true }, { start: () => {}, episode: () => ran++, stop: () => {} });
    expect(ran).toBe(0);
    expect(report.episodes.map((e) => e.key)).toEqual(['0:0:ground-truth', '0:1:ground-truth']);
  });

  it('refuses the expert, which reads the world rather than its observation, in one line', async () => {
    const out = join(tmp(), 'never');
    const r = await drivelab('bench', '--detector', 'oracle', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('--agent expert: the expert reads the world, not its observation, so --detector oracle cannot change how it drives; use an agent that reads its observation: a saved dqn, ppo, reinforce or qlearning policy directory (e.g. models/dqn-highway)\n');
    expect(existsSync(out)).toBe(false);
  });

  const bad: [string, (dir: string) => string[], (dir: string) => string][] = [
    ['an unknown detector', () => ['--detector', 'yolo'], () => '--detector yolo: no such built-in detector or file; expected oracle, noisy-oracle, cnn, a model directory or the path of a plug-in module'],
    ['a plug-in whose load() throws', (dir) => {
      writeFileSync(join(dir, 'broken.mjs'), 'export async function load() { throw new Error("no weights here\\nat somewhere (x.js:1:1)"); }\n');
      return ['--detector', join(dir, 'broken.mjs')];
    }, (dir) => `--detector ${join(dir, 'broken.mjs')}: load() threw: no weights here`],
    ['a plug-in that breaks the contract on its first frame', (dir) => {
      writeFileSync(join(dir, 'cat.mjs'), 'export async function load() { return { name: "cat", classes: ["vehicle"], async detect() { return [{ bbox: [0, 0, 4, 4], label: "cat", score: 1 }]; }, dispose() {} }; }\n');
      return ['--detector', join(dir, 'cat.mjs')];
    }, (dir) => `--detector ${join(dir, 'cat.mjs')}: detector "cat", frame camera@0.00s: [0].label: expected one of its classes (vehicle), got "cat"`],
    ['a scenario without the features observation', (dir) => ['--detector', 'oracle', '--suite', suiteFile(dir, '{ sensors: [{ type: lidar }] }', 'lidar-only.yaml'), '--agent', 'random'],
      () => '--detector oracle: suite entry highway: scenario highway: the observation has no features entry (a features sensor), where the perceived objects go'],
  ];
  for (const [what, args, message] of bad) {
    it(`rejects ${what} before the first episode, in one line with exit code 2`, async () => {
      const dir = tmp();
      const out = join(dir, 'never');
      const given = args(dir);
      const r = await drivelab('bench', ...(given.includes('--agent') ? [] : ['--agent', DQN]), '--suite', suiteFile(dir), ...given, '--out', out);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(message(dir) + '\n');
      expect(r.stderr).not.toMatch(STACK_FRAME);
      expect(existsSync(out)).toBe(false);
    });
  }
});
