/** `drivelab eval-detector --detector X`: capture, detect and score in one go (see src/detectorEval.ts). */
import { UsageError } from '../errors.ts';
import { wholeFlag } from '../flags.ts';
import type { CliIo } from '../io.ts';
import { parseSetFlags } from '../overrides.ts';
import { scenarioForRun } from '../agents.ts';
import { evaluateDetector, LIGHTING, type Lighting } from '../detectorEval.ts';
import { DetectorError } from '../../perception/detectors/validate.ts';
import { parseSeeds } from './capture.ts';
import { BACKENDS } from '../../perception/runtime/backends.ts';
import { maxFramesPerEpisode } from '../capture.ts';

export interface EvalDetectorCliOptions {
  detector: string;
  scenario?: string;
  agent: string;
  seeds: string;
  frames: string;
  every: string;
  lighting: string;
  timeout: string;
  onError: string;
  minHeight: string;
  backend: string;
  isolate: boolean;
  set: string[];
  json?: boolean;
}

const pct = (v: number) => (Number.isNaN(v) ? '—' : `${(100 * v).toFixed(1)}`);

export async function evalDetectorCommand(opts: EvalDetectorCliOptions, io: CliIo): Promise<void> {
  const frames = wholeFlag('--frames', opts.frames, 1, 100_000)!;
  const every = wholeFlag('--every', opts.every, 1, 10_000)!;
  const timeoutMs = wholeFlag('--timeout', opts.timeout, 1, 3_600_000)!;
  const lighting = opts.lighting.split(',').map((s) => s.trim());
  for (const l of lighting) if (!(LIGHTING as readonly string[]).includes(l)) throw new UsageError(`--lighting ${opts.lighting}: "${l}": expected day, dusk or night, comma-separated`);
  const minHeight = Number(opts.minHeight);
  if (opts.minHeight.trim() === '' || !(minHeight >= 0 && minHeight <= 4096)) throw new UsageError(`--min-height ${opts.minHeight}: expected a height from 0 to 4096 px`);
  if (!(BACKENDS as readonly string[]).includes(opts.backend)) throw new UsageError(`--backend ${opts.backend}: expected one of ${BACKENDS.join(', ')}`);
  if (opts.onError !== 'stop' && opts.onError !== 'skip') throw new UsageError(`--on-error ${opts.onError}: expected stop or skip`);
  const scenarios = [];
  for (const arg of opts.scenario === undefined ? [undefined] : opts.scenario.split(',').map((s) => s.trim())) {
    if (arg === '') throw new UsageError(`--scenario ${opts.scenario}: expected scenario ids or files, comma-separated`);
    const scenario = await scenarioForRun(opts.agent, arg, parseSetFlags(opts.set));
    const most = maxFramesPerEpisode(scenario, every);
    if (frames > most) throw new UsageError(`--frames ${frames}: an episode of ${scenario.id} gives at most ${most} frames at --every ${every}; expected at most ${most}, or a smaller --every`);
    scenarios.push(scenario);
  }
  const cameras = scenarios.map((scenario) => scenario.sensors.find((s) => s.type === 'camera') ?? { type: 'camera' as const, id: 'front' });
  let r;
  try {
    r = await evaluateDetector({
      detector: opts.detector, detectorOptions: opts.backend === 'auto' ? {} : { backend: opts.backend }, scenarios, minHeight, agent: opts.agent, seeds: parseSeeds(opts.seeds), frames, every,
      lighting: lighting as Lighting[], cameras, timeoutMs, isolate: opts.isolate, onError: opts.onError,
    });
  } catch (err) {
    if (err instanceof DetectorError) throw new UsageError(err.message);
    throw err;
  }
  if (opts.json) {
    io.stdout(JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
    return;
  }
  const o = r.overall;
  io.stdout(
    [
      `drivelab eval-detector · ${r.detector} on ${r.scenario}${r.backend ? ` (tfjs ${r.backend})` : ''} · ${r.images} frames, ${r.objects} objects (${r.ignored} under ${minHeight} px ignored), ${r.detections} detections`,
      `  AP ${pct(o.ap)}   AP50 ${pct(o.ap50)}   AP75 ${pct(o.ap75)}   small ${pct(o.apSmall)}   medium ${pct(o.apMedium)}   large ${pct(o.apLarge)}`,
      `  by class     ${Object.entries(o.perClass).map(([k, v]) => `${k} ${pct(v.ap)} (AP50 ${pct(v.ap50)})`).join('   ')}`,
      `  by lighting  ${Object.entries(r.byLighting).map(([k, v]) => `${k} ${pct(v)} (vehicle AP50 ${pct(r.byLightingVehicleAp50[k])})`).join('   ')}`,
      `  by distance  ${Object.entries(r.byDistance).map(([k, v]) => `${k} ${pct(v)}`).join('   ')}`,
      ...Object.entries(r.byScenario).map(([k, v]) => `  ${k.padEnd(20)} AP ${pct(v.ap)}   AP50 ${pct(v.ap50)}   vehicle AP50 ${pct(v.vehicleAp50)}`),
      ...(r.skipped > 0 ? [`  ${r.skipped} frames skipped after a bad result; the first: ${r.firstError}`] : []),
      ...(r.unknownLabels > 0 ? [`  ${r.unknownLabels} detections with labels other than vehicle, pedestrian, obstacle were left out`] : []),
      '  AP [%] averaged over IoU 0.50:0.05:0.95; — where there is no ground truth.',
    ].join('\n') + '\n',
  );
}
