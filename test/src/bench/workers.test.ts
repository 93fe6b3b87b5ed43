import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runJob, type BenchJob, type EpisodeResult } from '../../../src/bench/jobs.ts';
import { runBench, type BenchOptions } from '../../../src/bench/runner.ts';
import { resolveScenario } from '../../../sim/env/registry.ts';
import type { Scenario } from '../../../scenarios/schema.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'drivelab-workers-'));

/** Every per-episode field but timing, which legitimately differs between runs. */
function comparable<T extends { wallTime?: unknown; stepsPerSecond?: unknown }>(rows: readonly T[]) {
  return rows.map(({ wallTime: _w, stepsPerSecond: _s, ...rest }) => rest);
}

/** What happened in an episode, without timing or its place in the suite. */
function outcomes(rows: readonly EpisodeResult[]) {
  return comparable(rows).map(({ entry: _e, key: _k, ...rest }) => rest);
}

describe('bench episodes do not depend on how they are spread over threads', () => {
  it('the random agent gives the same episodes on 1 and on 2 workers (smoke suite)', async () => {
    const dir = tmp();
    const options = (workers: number): BenchOptions => ({ suite: 'smoke', agent: 'random', detector: 'ground-truth', workers, out: join(dir, `w${workers}`), record: false, resume: false });
    const one = await runBench(options(1));
    const two = await runBench(options(2));
    expect(one.report.episodes).toHaveLength(6);
    expect(comparable(two.report.episodes)).toEqual(comparable(one.report.episodes));
    // The random agent's episodes are not all alike, or the comparison above would prove little.
    expect(new Set(one.report.episodes.map((e) => e.progress)).size).toBeGreaterThan(1);
  });

  const job = (scenario: Scenario, seed: number, entry = 0): BenchJob => ({
    key: `${entry}:${seed}`, entry, episode: seed, scenarioLabel: scenario.id, scenario, seed, agent: 'random', detector: 'ground-truth',
  });
  const short = (id: string, description = ''): Scenario => resolveScenario(id, { limits: { duration: 4 }, description });

  it('in one thread, a scenario’s episodes are the same in any order', async () => {
    // Two copies of one scenario, differing only in description and suite entry, get an env and a policy each.
    const a = short('highway', 'copy a'), b = short('highway', 'copy b');
    const a5 = await runJob(job(a, 5, 0)), a6 = await runJob(job(a, 6, 0));
    const b6 = await runJob(job(b, 6, 1)), b5 = await runJob(job(b, 5, 1));
    expect(outcomes([b5, b6])).toEqual(outcomes([a5, a6]));
    expect(a5.progress).not.toBe(a6.progress);
  });

  it('a job gets the env of its own scenario, whatever entry number it has', async () => {
    const highway = short('highway'), intersection = short('intersection');
    const first = await runJob(job(intersection, 5, 3));
    await runJob(job(highway, 5, 4));
    const again = await runJob(job(intersection, 5, 4));
    expect(outcomes([again])).toEqual(outcomes([first]));
  });
});
