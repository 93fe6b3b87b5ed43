/** `drivelab eval-tracking --detector X`: drive, detect, fuse with lidar, track and score (see src/trackingEval.ts). */
import { UsageError } from '../errors.ts';
import { wholeFlag } from '../flags.ts';
import type { CliIo } from '../io.ts';
import { BACKENDS } from '../../perception/runtime/backends.ts';
import { parseSetFlags } from '../overrides.ts';
import { scenarioForRun } from '../agents.ts';
import { evaluateTracking } from '../trackingEval.ts';
import { DetectorError } from '../../perception/detectors/validate.ts';
import { parseSeeds } from './capture.ts';
import { maxFramesPerEpisode } from '../capture.ts';

export interface EvalTrackingCliOptions {
  backend?: string;
  detector: string;
  scenario?: string;
  agent: string;
  seeds: string;
  frames: string;
  range: string;
  threshold: string;
  timeout: string;
  set: string[];
  json?: boolean;
}

/** A flag's distance in metres, in (0, max] */
function metresFlag(flag: string, value: string, max: number): number {
  const v = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!(v > 0 && v <= max)) throw new UsageError(`${flag} ${value}: expected a distance in metres above 0 and at most ${max}`);
  return v;
}

const fixed = (v: number, digits: number) => (Number.isNaN(v) ? '—' : v.toFixed(digits));

export async function evalTrackingCommand(opts: EvalTrackingCliOptions, io: CliIo): Promise<void> {
  const frames = wholeFlag('--frames', opts.frames, 1, 100_000)!;
  const timeoutMs = wholeFlag('--timeout', opts.timeout, 1, 3_600_000)!;
  const backend = opts.backend ?? 'auto';
  if (!(BACKENDS as readonly string[]).includes(backend)) throw new UsageError(`--backend ${backend}: expected one of ${BACKENDS.join(', ')}`);
  const range = metresFlag('--range', opts.range, 300);
  const threshold = metresFlag('--threshold', opts.threshold, 50);
  const scenario = await scenarioForRun(opts.agent, opts.scenario, parseSetFlags(opts.set));
  const most = maxFramesPerEpisode(scenario, 1);
  if (frames > most) throw new UsageError(`--frames ${frames}: an episode of ${scenario.id} gives at most ${most} frames; expected at most ${most}`);
  const camera = scenario.sensors.find((s) => s.type === 'camera') ?? { type: 'camera' as const, id: 'front' };
  let r;
  try {
    r = await evaluateTracking({ detector: opts.detector, detectorOptions: backend === 'auto' ? undefined : { backend }, scenario, agent: opts.agent, seeds: parseSeeds(opts.seeds), frames, camera, range, threshold, timeoutMs });
  } catch (err) {
    if (err instanceof DetectorError) throw new UsageError(err.message);
    throw err;
  }
  if (opts.json) {
    io.stdout(JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
    return;
  }
  io.stdout(
    [
      `drivelab eval-tracking · ${r.detector}${r.backend ? ` (tfjs ${r.backend})` : ''} + lidar on ${r.scenario} · ${r.episodes} episodes, ${r.frames} frames, ${r.objects} objects within ${r.range} m`,
      `  MOTA ${fixed(r.mota, 3)}   MOTP ${fixed(r.motp, 3)} m   IDF1 ${fixed(r.idf1, 3)}`,
      `  matches ${r.matches}   misses ${r.misses}   false positives ${r.falsePositives}   id switches ${r.idSwitches}`,
      `  ${r.detections} detections → ${r.lidarMeasurements} placed by lidar, ${r.groundMeasurements} by the flat road; ${fixed(r.meanTracks, 2)} tracks per frame`,
      `  Objects: actors the camera shows within ${r.range} m; a track matches one within ${r.threshold} m; tracks on other actors are not counted.`,
    ].join('\n') + '\n',
  );
}
