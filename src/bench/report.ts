/**
 * Benchmark reports: `report.json` (versioned, for machines), `episodes.csv` (one row per
 * episode) and `report.md` (the table a person reads), aggregated per scenario and per suite with
 * 95% bootstrap confidence intervals. The aggregates are those of the run's detector; a run with a
 * detector other than ground truth also has `perception`: the same episodes on ground truth and
 * the paired differences, the cost of imperfect perception.
 */
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import { z } from 'zod';
import type { EpisodeResult } from './jobs.ts';
import { REPORTED_METRICS } from './metrics.ts';
import { bootstrapMean, type Estimate } from './stats.ts';
import { INFRACTION_PENALTIES } from './drivingScore.ts';

/** The detector name of episodes driven on the world's own object list */
export const GROUND_TRUTH = 'ground-truth';

export const REPORT_FORMAT = 'drivelab-bench-report';
export const REPORT_VERSION = 1;

export interface RunConfig {
  suite: { id: string; description: string; source: string; seeds: { train: [number, number]; test: [number, number] }; scenarios: string[] };
  agent: string;
  detector: string;
  /** The tfjs backend that ran the detector; null when none did */
  backend?: string | null;
  workers: number;
  record: boolean;
  drivelab: string;
  createdAt: string;
  /** Jobs planned for the whole run */
  episodesPlanned: number;
  /** The queue the episodes ran on (`--queue`, its password hidden), or null for this machine */
  queue?: string | null;
  /** The run's id in the queue, so that --resume finds its jobs */
  queueRun?: string;
}

const EstimateSchema = z.object({ mean: z.number().nullable(), low: z.number().nullable(), high: z.number().nullable(), n: z.number().int() });
const AggregateSchema = z.object({ episodes: z.number().int(), metrics: z.record(z.string(), EstimateSchema) });

/** The metrics whose cost of perception is reported */
export const COST_METRICS = ['drivingScore', 'success', 'routeCompletion', 'collisionsPerKm'] as const;

/** The run's detector against ground truth, on the same episodes */
const PerceptionSchema = z.object({
  detector: z.string(),
  /** The episodes driven on ground truth, aggregated as the run's own are */
  groundTruth: z.object({ overall: AggregateSchema, scenarios: z.record(z.string(), AggregateSchema) }),
  /** Means of the per-episode differences (detector − ground truth) over the episodes driven both ways, with 95% CIs */
  cost: z.object({
    overall: z.object({ pairs: z.number().int(), metrics: z.record(z.string(), EstimateSchema) }),
    scenarios: z.record(z.string(), z.object({ pairs: z.number().int(), metrics: z.record(z.string(), EstimateSchema) })),
  }),
});

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
  /** The tfjs backend that ran the detector; null (or absent, in older reports) when none did */
  backend: z.string().nullable().optional(),
  machine: z.object({ cpu: z.string(), cores: z.number(), memoryGb: z.number(), platform: z.string(), node: z.string() }),
  /** `queue`: where the episodes ran, when on a distributed queue (absent in older reports) */
  config: z.object({ workers: z.number().int(), record: z.boolean(), episodesPlanned: z.number().int(), queue: z.string().nullable().optional() }),
  penalties: z.record(z.string(), z.number()),
  overall: AggregateSchema,
  scenarios: z.record(z.string(), AggregateSchema),
  /** Only when the run's detector is not ground truth */
  perception: PerceptionSchema.optional(),
  episodes: z.array(z.record(z.string(), z.union([z.number(), z.string(), z.null()]))),
});

export type Report = z.infer<typeof ReportSchema>;
type Aggregate = z.infer<typeof AggregateSchema>;

/** Results sorted by suite entry and episode, ground truth first, whatever order the workers finished in. */
export function sortResults(results: readonly EpisodeResult[]): EpisodeResult[] {
  const perceived = (r: EpisodeResult) => (r.detector === GROUND_TRUTH ? 0 : 1);
  return [...results].sort((a, b) => a.entry - b.entry || a.episode - b.episode || perceived(a) - perceived(b));
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

function byScenario(config: RunConfig, results: readonly EpisodeResult[]): Record<string, Aggregate> {
  const scenarios: Record<string, Aggregate> = {};
  config.suite.scenarios.forEach((label, i) => {
    const mine = results.filter((r) => r.entry === i);
    if (mine.length > 0) scenarios[label] = aggregate(mine, i + 1);
  });
  return scenarios;
}

/** Paired differences (perceived − ground truth) of the episodes driven both ways */
function cost(perceived: readonly EpisodeResult[], truth: readonly EpisodeResult[], seed: number): { pairs: number; metrics: Record<string, z.infer<typeof EstimateSchema>> } {
  const reference = new Map(truth.map((r) => [`${r.entry}:${r.episode}`, r]));
  const pairs = perceived.flatMap((r) => {
    const t = reference.get(`${r.entry}:${r.episode}`);
    return t ? [[r, t] as const] : [];
  });
  const metrics: Record<string, z.infer<typeof EstimateSchema>> = {};
  COST_METRICS.forEach((key, i) => {
    const e = bootstrapMean(pairs.map(([p, t]) => (p[key] as number) - (t[key] as number)), seed * 1000 + i);
    metrics[key] = { mean: finite(e.mean), low: finite(e.low), high: finite(e.high), n: e.n };
  });
  return { pairs: pairs.length, metrics };
}

function perception(config: RunConfig, own: readonly EpisodeResult[], truth: readonly EpisodeResult[]): Report['perception'] {
  const scenarios: NonNullable<Report['perception']>['cost']['scenarios'] = {};
  config.suite.scenarios.forEach((label, i) => {
    const c = cost(own.filter((r) => r.entry === i), truth.filter((r) => r.entry === i), i + 1);
    if (c.pairs > 0) scenarios[label] = c;
  });
  return {
    detector: config.detector,
    groundTruth: { overall: aggregate(truth, 0), scenarios: byScenario(config, truth) },
    cost: { overall: cost(own, truth, 0), scenarios },
  };
}

export function buildReport(config: RunConfig, unsorted: readonly EpisodeResult[]): Report {
  const results = sortResults(unsorted);
  // Results of a run before episodes named their detector are the run's own.
  const own = results.filter((r) => (r.detector ?? config.detector) === config.detector);
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
    backend: config.backend ?? null,
    machine: { cpu: c[0]?.model ?? 'unknown', cores: availableParallelism(), memoryGb: Math.round(totalmem() / 2 ** 30), platform: `${platform()} ${release()}`, node: process.version },
    config: { workers: config.workers, record: config.record, episodesPlanned: config.episodesPlanned, queue: config.queue ?? null },
    penalties: { ...INFRACTION_PENALTIES },
    overall: aggregate(own, 0),
    scenarios: byScenario(config, own),
    ...(config.detector === GROUND_TRUTH ? {} : { perception: perception(config, own, results.filter((r) => r.detector === GROUND_TRUTH)) }),
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

/** Driving score and success per scenario on ground truth and with the run's detector, and their paired difference; '' without one */
export function perceptionTable(report: Report): string {
  const p = report.perception;
  if (!p) return '';
  const d = p.detector;
  const signed = (e: z.infer<typeof EstimateSchema> | undefined, digits: number, scale = 1) => (e && e.mean !== null && e.mean >= 0 ? '+' : '') + formatEstimate(e ?? { mean: null, low: null, high: null }, digits, scale);
  const cell = (a: Aggregate | undefined, key: string, digits: number, scale = 1) => (a ? formatEstimate(a.metrics[key], digits, scale) : '–');
  const header = `| scenario | pairs | driving score, ground truth | driving score, ${d} | Δ driving score | success %, ground truth | success %, ${d} | Δ success % |`;
  const rule = '|---|--:|--:|--:|--:|--:|--:|--:|';
  const row = (name: string, truth: Aggregate | undefined, own: Aggregate | undefined, c: { pairs: number; metrics: Record<string, z.infer<typeof EstimateSchema>> } | undefined) =>
    `| ${name} | ${c?.pairs ?? 0} | ${cell(truth, 'drivingScore', 2)} | ${cell(own, 'drivingScore', 2)} | ${signed(c?.metrics.drivingScore, 2)} | ${cell(truth, 'success', 0, 100)} | ${cell(own, 'success', 0, 100)} | ${signed(c?.metrics.success, 0, 100)} |`;
  const names = report.suite.scenarios.filter((n) => n in report.scenarios || n in p.groundTruth.scenarios);
  return [header, rule, ...names.map((n) => row(n, p.groundTruth.scenarios[n], report.scenarios[n], p.cost.scenarios[n])), row('**suite**', p.groundTruth.overall, report.overall, p.cost.overall)].join('\n');
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
    `${report.perception ? `With \`${report.detector}\`: driving score` : 'Driving score'} ${formatEstimate(o.drivingScore)}, success ${formatEstimate(o.success, 0, 100)} %${groundTruthSummary(report)}. Values are means with 95% bootstrap confidence intervals.`,
    '',
    resultsTable(report),
    '',
    'Driving score = route completion × the product of one factor per infraction: ' +
      Object.entries(report.penalties).map(([k, v]) => `${k} ×${v}`).join(', ') + '. Lane invasions and speeding are reported, not penalised. TTC is capped at its 5 s horizon.',
    '',
    '![driving score](plots/driving-score.svg) ![success](plots/success.svg)',
    '',
    ...(report.perception ? perceptionSection(report) : []),
  ].join('\n');
}

function groundTruthSummary(report: Report): string {
  const g = report.perception?.groundTruth.overall.metrics;
  return g ? `; with ground truth: driving score ${formatEstimate(g.drivingScore)}, success ${formatEstimate(g.success, 0, 100)} %` : '';
}

function perceptionSection(report: Report): string[] {
  const d = report.perception!.detector;
  return [
    `## The cost of perception: ground truth vs \`${d}\``,
    '',
    `Every episode was driven twice on the same seed: once with the agent's object list from ground truth, once from the tracks that fusion (camera and lidar) made of \`${d}\`'s detections. ` +
      `Δ is the mean of the per-episode differences (${d} − ground truth) with its 95% bootstrap confidence interval. The table above is that of \`${d}\`.`,
    '',
    perceptionTable(report),
    '',
  ];
}
