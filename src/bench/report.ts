/**
 * Benchmark reports: `report.json` (versioned, for machines), `episodes.csv` (one row per
 * episode) and `report.md` (the table a person reads), aggregated per scenario and per suite with
 * 95% bootstrap confidence intervals.
 */
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import { z } from 'zod';
import type { EpisodeResult } from './jobs.ts';
import { REPORTED_METRICS } from './metrics.ts';
import { bootstrapMean, type Estimate } from './stats.ts';
import { INFRACTION_PENALTIES } from './drivingScore.ts';

export const REPORT_FORMAT = 'drivelab-bench-report';
export const REPORT_VERSION = 1;

export interface RunConfig {
  suite: { id: string; description: string; source: string; seeds: { train: [number, number]; test: [number, number] }; scenarios: string[] };
  agent: string;
  detector: string;
  workers: number;
  record: boolean;
  drivelab: string;
  createdAt: string;
  /** Jobs planned for the whole run */
  episodesPlanned: number;
}

const EstimateSchema = z.object({ mean: z.number().nullable(), low: z.number().nullable(), high: z.number().nullable(), n: z.number().int() });
const AggregateSchema = z.object({ episodes: z.number().int(), metrics: z.record(z.string(), EstimateSchema) });

/** The shape of `report.json`, version 1. */
export const ReportSchema = z.object({
  format: z.literal(REPORT_FORMAT),
  version: z.literal(REPORT_VERSION),
  drivelab: z.string(),
  createdAt: z.string(),
  complete: z.boolean(),
  suite: z.object({ id: z.string(), description: z.string(), source: z.string(), seeds: z.object({ train: z.tuple([z.number(), z.number()]), test: z.tuple([z.number(), z.number()]) }), scenarios: z.array(z.string()) }),
  agent: z.string(),
  detector: z.string(),
  machine: z.object({ cpu: z.string(), cores: z.number(), memoryGb: z.number(), platform: z.string(), node: z.string() }),
  config: z.object({ workers: z.number().int(), record: z.boolean(), episodesPlanned: z.number().int() }),
  penalties: z.record(z.string(), z.number()),
  overall: AggregateSchema,
  scenarios: z.record(z.string(), AggregateSchema),
  episodes: z.array(z.record(z.string(), z.union([z.number(), z.string(), z.null()]))),
});

export type Report = z.infer<typeof ReportSchema>;
type Aggregate = z.infer<typeof AggregateSchema>;

/** Results sorted by suite entry and episode, whatever order the workers finished in. */
export function sortResults(results: readonly EpisodeResult[]): EpisodeResult[] {
  return [...results].sort((a, b) => a.entry - b.entry || a.episode - b.episode);
}

function aggregate(results: readonly EpisodeResult[], seed: number): Aggregate {
  const metrics: Record<string, z.infer<typeof EstimateSchema>> = {};
  REPORTED_METRICS.forEach((m, i) => {
    const e = bootstrapMean(results.map((r) => r[m.key] as number), seed * 1000 + i);
    metrics[m.key] = { mean: finite(e.mean), low: finite(e.low), high: finite(e.high), n: e.n };
  });
  return { episodes: results.length, metrics };
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export function buildReport(config: RunConfig, unsorted: readonly EpisodeResult[]): Report {
  const results = sortResults(unsorted);
  const scenarios: Record<string, Aggregate> = {};
  config.suite.scenarios.forEach((label, i) => {
    const mine = results.filter((r) => r.entry === i);
    if (mine.length > 0) scenarios[label] = aggregate(mine, i + 1);
  });
  const c = cpus();
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    drivelab: config.drivelab,
    createdAt: config.createdAt,
    complete: results.length >= config.episodesPlanned,
    suite: config.suite,
    agent: config.agent,
    detector: config.detector,
    machine: { cpu: c[0]?.model ?? 'unknown', cores: availableParallelism(), memoryGb: Math.round(totalmem() / 2 ** 30), platform: `${platform()} ${release()}`, node: process.version },
    config: { workers: config.workers, record: config.record, episodesPlanned: config.episodesPlanned },
    penalties: { ...INFRACTION_PENALTIES },
    overall: aggregate(results, 0),
    scenarios,
    episodes: results.map((r) => {
      const row: Record<string, number | string | null> = {};
      for (const [k, v] of Object.entries(r)) row[k] = typeof v === 'number' && !Number.isFinite(v) ? null : (v as number | string);
      return row;
    }),
  };
}

const CSV_COLUMNS = ['scenario', 'entry', 'episode', 'seed', 'agent', 'detector', 'outcome', 'success', 'routeCompletion', 'drivingScore', 'infractionPenalty', 'progress', 'distance', 'duration', 'steps',
  'collisionsVehicle', 'collisionsPedestrian', 'collisionsObstacle', 'collisionsPerKm', 'npcCollisions', 'offRoadTime', 'laneInvasions', 'speedingTime', 'redLights', 'minTtc', 'ttcBelowThresholdTime',
  'jerkPeak', 'jerkRms', 'latAccelPeak', 'latAccelRms', 'meanSpeed', 'reward', 'wallTime', 'stepsPerSecond'] as const;

export function toCsv(results: readonly EpisodeResult[]): string {
  const esc = (v: unknown) => {
    const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(6)) : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = sortResults(results).map((r) => CSV_COLUMNS.map((c) => esc(r[c])).join(','));
  return [CSV_COLUMNS.join(','), ...rows].join('\n') + '\n';
}

/** `0.90 [0.80, 1.00]` */
export function formatEstimate(e: Pick<Estimate, 'mean' | 'low' | 'high'> | { mean: number | null; low: number | null; high: number | null }, digits = 2, scale = 1): string {
  if (e.mean === null || !Number.isFinite(e.mean)) return '–';
  const f = (x: number | null) => (x === null ? '–' : (x * scale).toFixed(digits));
  return e.low === e.high ? f(e.mean) : `${f(e.mean)} [${f(e.low)}, ${f(e.high)}]`;
}

const TABLE_METRICS: { key: string; label: string; digits: number; scale?: number }[] = [
  { key: 'success', label: 'success %', digits: 0, scale: 100 },
  { key: 'routeCompletion', label: 'route %', digits: 0, scale: 100 },
  { key: 'drivingScore', label: 'driving score', digits: 2 },
  { key: 'collisionsPerKm', label: 'collisions/km', digits: 2 },
  { key: 'redLights', label: 'red lights', digits: 2 },
  { key: 'minTtc', label: 'min TTC s', digits: 2 },
  { key: 'jerkRms', label: 'RMS jerk', digits: 2 },
  { key: 'latAccelPeak', label: 'peak lat. acc.', digits: 2 },
  { key: 'meanSpeed', label: 'mean speed', digits: 1 },
];

/** The results table, as Markdown; rows are scenarios plus the whole suite. */
export function resultsTable(report: Report): string {
  const header = `| scenario | episodes | ${TABLE_METRICS.map((m) => m.label).join(' | ')} |`;
  const rule = `|---|--:|${TABLE_METRICS.map(() => '--:').join('|')}|`;
  const row = (name: string, a: Aggregate) =>
    `| ${name} | ${a.episodes} | ${TABLE_METRICS.map((m) => formatEstimate(a.metrics[m.key], m.digits, m.scale)).join(' | ')} |`;
  return [header, rule, ...Object.entries(report.scenarios).map(([k, a]) => row(k, a)), row('**suite**', report.overall)].join('\n');
}

export function toMarkdown(report: Report): string {
  const o = report.overall.metrics;
  return [
    `# drivelab benchmark: ${report.suite.id} · ${report.agent}`,
    '',
    `${report.complete ? 'Complete' : `**Incomplete** (${report.overall.episodes} of ${report.config.episodesPlanned} episodes; continue with \`--resume\`)`}.`,
    `Agent \`${report.agent}\`, detector \`${report.detector}\`, test seeds ${report.suite.seeds.test[0]}–${report.suite.seeds.test[1]} (training seeds ${report.suite.seeds.train[0]}–${report.suite.seeds.train[1]}).`,
    `drivelab ${report.drivelab}, ${report.machine.cpu}, ${report.machine.cores} cores, node ${report.machine.node}, ${report.config.workers} worker(s), ${report.createdAt}.`,
    '',
    `Driving score ${formatEstimate(o.drivingScore)}, success ${formatEstimate(o.success, 0, 100)} %. Values are means with 95% bootstrap confidence intervals.`,
    '',
    resultsTable(report),
    '',
    'Driving score = route completion × the product of one factor per infraction: ' +
      Object.entries(report.penalties).map(([k, v]) => `${k} ×${v}`).join(', ') + '. Lane invasions and speeding are reported, not penalised. TTC is capped at its 5 s horizon.',
    '',
    '![driving score](plots/driving-score.svg) ![success](plots/success.svg)',
    '',
  ].join('\n');
}
