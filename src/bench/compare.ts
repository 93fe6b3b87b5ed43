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

export function compareReports(a: Report, b: Report): Comparison {
  const scenarios: Record<string, MetricComparison[]> = {};
  let i = 1;
  for (const name of Object.keys(a.scenarios)) {
    if (!(name in b.scenarios)) continue;
    scenarios[name] = compareEpisodes(a.episodes.filter((e) => e.scenario === name), b.episodes.filter((e) => e.scenario === name), i++);
  }
  return { suiteA: a.suite.id, suiteB: b.suite.id, overall: compareEpisodes(a.episodes, b.episodes, 0), scenarios };
}

export function formatComparison(c: Comparison, nameA: string, nameB: string): string {
  const f = (x: number) => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3)) : '–');
  const table = (rows: MetricComparison[]) =>
    rows.map((r) => `  ${r.label.padEnd(20)} ${f(r.a).padStart(9)} ${f(r.b).padStart(9)} ${((r.delta >= 0 ? '+' : '') + f(r.delta)).padStart(9)}  [${f(r.low)}, ${f(r.high)}]${r.significant ? `  * ${r.favours === 'b' ? 'B' : 'A'} better` : ''}`).join('\n');
  const head = `  ${'metric'.padEnd(20)} ${'A'.padStart(9)} ${'B'.padStart(9)} ${'B − A'.padStart(9)}  95% CI of the difference`;
  const parts = [`drivelab bench compare\n  A = ${nameA} (${c.suiteA})\n  B = ${nameB} (${c.suiteB})\n`, 'whole suite', head, table(c.overall), ''];
  for (const [name, rows] of Object.entries(c.scenarios)) parts.push(name, head, table(rows.filter((r) => ['success', 'routeCompletion', 'drivingScore', 'collisionsPerKm', 'minTtc', 'jerkRms', 'meanSpeed'].includes(r.metric))), '');
  parts.push('* the interval excludes zero: the difference is significant at the 5% level.\n');
  return parts.join('\n');
}
