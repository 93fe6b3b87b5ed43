/**
 * `bench compare A B`: per-metric differences B − A of two result directories, with 95% bootstrap
 * intervals of the difference; a difference is significant when its interval excludes zero.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { REPORTED_METRICS } from './metrics.ts';
import { ReportSchema, type Report } from './report.ts';
import { bootstrapDifference } from './stats.ts';

export async function loadReport(dir: string): Promise<Report> {
  const file = join(dir, 'report.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`${file}: cannot read it; expected a directory written by drivelab bench --out`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = ReportSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

export interface MetricComparison {
  metric: string;
  label: string;
  better: 'higher' | 'lower';
  a: number;
  b: number;
  delta: number;
  low: number;
  high: number;
  significant: boolean;
  /** Which side the significant difference favours */
  favours: 'a' | 'b' | null;
}

export interface Comparison {
  suiteA: string;
  suiteB: string;
  /** Ways in which the two runs did not drive the same episodes; empty when they did */
  mismatches: string[];
  /** Over the scenarios both runs have */
  overall: MetricComparison[];
  scenarios: Record<string, MetricComparison[]>;
}

function compareEpisodes(a: Report['episodes'], b: Report['episodes'], seed: number): MetricComparison[] {
  return REPORTED_METRICS.filter((m) => m.key !== 'stepsPerSecond').map((m, i) => {
    const xa = a.map((e) => e[m.key]).filter((v): v is number => typeof v === 'number');
    const xb = b.map((e) => e[m.key]).filter((v): v is number => typeof v === 'number');
    const d = bootstrapDifference(xa, xb, seed * 100 + i);
    const meanA = xa.reduce((s, x) => s + x, 0) / (xa.length || 1);
    const meanB = xb.reduce((s, x) => s + x, 0) / (xb.length || 1);
    const bBetter = m.better === 'higher' ? d.mean > 0 : d.mean < 0;
    return { metric: m.key, label: m.label, better: m.better, a: meanA, b: meanB, delta: d.mean, low: d.low, high: d.high, significant: d.significant, favours: d.significant ? (bBetter ? 'b' : 'a') : null };
  });
}

/**
 * Compares the scenarios both runs have; a difference between two runs says something about the
 * agents only when they drove the same scenarios on the same seeds, so every way in which they
 * did not is listed in `mismatches`.
 */
export function compareReports(a: Report, b: Report): Comparison {
  const scenarios: Record<string, MetricComparison[]> = {};
  const mismatches: string[] = [];
  if (a.suite.id !== b.suite.id) mismatches.push(`the runs are of different suites: A ${a.suite.id}, B ${b.suite.id}`);
  const onlyIn = (x: Report, y: Report) => Object.keys(x.scenarios).filter((name) => !(name in y.scenarios));
  if (onlyIn(a, b).length) mismatches.push(`only A has ${onlyIn(a, b).join(', ')}; left out of the comparison`);
  if (onlyIn(b, a).length) mismatches.push(`only B has ${onlyIn(b, a).join(', ')}; left out of the comparison`);
  const common = Object.keys(a.scenarios).filter((name) => name in b.scenarios);
  // A run with a detector also holds the same episodes on ground truth: compare each run's own.
  const own = (r: Report) => r.episodes.filter((e) => (e.detector ?? r.detector) === r.detector);
  const [episodesA, episodesB] = [own(a), own(b)];
  let i = 1;
  for (const name of common) {
    const ea = episodesA.filter((e) => e.scenario === name);
    const eb = episodesB.filter((e) => e.scenario === name);
    const seeds = (es: typeof ea) => es.map((e) => e.seed).sort((p, q) => Number(p) - Number(q)).join(',');
    if (seeds(ea) !== seeds(eb)) mismatches.push(`${name}: the runs drove different seeds (A ${ea.length} episodes, B ${eb.length})`);
    scenarios[name] = compareEpisodes(ea, eb, i++);
  }
  const inCommon = (es: Report['episodes']) => es.filter((e) => common.includes(String(e.scenario)));
  return { suiteA: a.suite.id, suiteB: b.suite.id, mismatches, overall: compareEpisodes(inCommon(episodesA), inCommon(episodesB), 0), scenarios };
}

export function formatComparison(c: Comparison, nameA: string, nameB: string): string {
  const f = (x: number) => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3)) : '–');
  const table = (rows: MetricComparison[]) =>
    rows.map((r) => `  ${r.label.padEnd(20)} ${f(r.a).padStart(9)} ${f(r.b).padStart(9)} ${((r.delta >= 0 ? '+' : '') + f(r.delta)).padStart(9)}  [${f(r.low)}, ${f(r.high)}]${r.significant ? `  * ${r.favours === 'b' ? 'B' : 'A'} better` : ''}`).join('\n');
  const head = `  ${'metric'.padEnd(20)} ${'A'.padStart(9)} ${'B'.padStart(9)} ${'B − A'.padStart(9)}  95% CI of the difference`;
  const parts = [`drivelab bench compare\n  A = ${nameA} (${c.suiteA})\n  B = ${nameB} (${c.suiteB})\n`];
  if (c.mismatches.length) parts.push(...c.mismatches.map((m) => `  warning: ${m}`), '');
  parts.push(c.mismatches.length ? 'scenarios both runs have' : 'whole suite', head, table(c.overall), '');
  for (const [name, rows] of Object.entries(c.scenarios)) parts.push(name, head, table(rows.filter((r) => ['success', 'routeCompletion', 'drivingScore', 'collisionsPerKm', 'minTtc', 'jerkRms', 'meanSpeed'].includes(r.metric))), '');
  parts.push('* the interval excludes zero: the difference is significant at the 5% level.\n');
  return parts.join('\n');
}
