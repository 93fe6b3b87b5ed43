/** `drivelab capture`: camera frames with COCO ground truth, for detector datasets. */
import { UsageError } from '../errors.ts';
import { capture, maxFramesPerEpisode, type SeedCapture } from '../capture.ts';
import type { CliIo } from '../io.ts';
import { requireNewOrEmpty } from '../outputDir.ts';
import { parseSetFlags } from '../overrides.ts';
import { scenarioFromArg } from '../scenarioFiles.ts';

export interface CaptureCliOptions {
  scenario: string;
  frames: string;
  seeds: string;
  out: string;
  agent: string;
  every: string;
  width?: string;
  height?: string;
  fov?: string;
  set: string[];
}

/** `3`, `0..9` or `1,5,7` into a list of seeds. */
export function parseSeeds(text: string): number[] {
  const range = /^(\d+)\.\.(\d+)$/.exec(text);
  if (range) {
    const [a, b] = [Number(range[1]), Number(range[2])];
    if (a > b || b - a > 100_000) throw new UsageError(`--seeds ${text}: expected a..b with a ≤ b`);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  }
  const list = text.split(',').map((s) => s.trim());
  if (list.length === 0 || list.some((s) => !/^\d+$/.test(s))) throw new UsageError(`--seeds ${text}: expected a seed, a range a..b, or a list a,b,c`);
  return list.map(Number);
}

function positive(flag: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > max) throw new UsageError(`${flag} ${value}: expected a number above 0 and at most ${max}`);
  return n;
}

const ENDINGS: Record<NonNullable<SeedCapture['ended']>, string> = {
  goal: 'reached its goal',
  collision: 'ended in a collision',
  'off-road': 'left the road',
  'time-limit': 'hit the time limit',
};

/**
 * Frames per seed are an upper bound: a seed whose episode ends early gives fewer, and each such
 * seed, then the total, is reported on stderr (and in annotations.json `info.seeds`). The exit
 * code stays 0, since every frame written is valid.
 */
export async function captureCommand(opts: CaptureCliOptions, io: CliIo): Promise<void> {
  const frames = positive('--frames', opts.frames, 1_000_000)!;
  const every = positive('--every', opts.every, 10_000)!;
  if (!Number.isInteger(frames) || !Number.isInteger(every)) throw new UsageError('--frames and --every take whole numbers');
  const seeds = parseSeeds(opts.seeds);
  const scenario = await scenarioFromArg(opts.scenario, parseSetFlags(opts.set));
  const most = maxFramesPerEpisode(scenario, every);
  if (frames > most) {
    throw new UsageError(`--frames ${frames}: an episode of ${scenario.id} gives at most ${most} frames at --every ${every} (${scenario.limits.duration} s at ${scenario.sim.stepDt} s per step); expected at most ${most}, or a smaller --every`);
  }
  requireNewOrEmpty('--out', opts.out, 'the captured dataset');
  const fromScenario = scenario.sensors.find((s) => s.type === 'camera');
  const camera = {
    ...(fromScenario ?? { type: 'camera' as const, id: 'front' }),
    ...(opts.width ? { width: positive('--width', opts.width, 4096) } : {}),
    ...(opts.height ? { height: positive('--height', opts.height, 4096) } : {}),
    ...(opts.fov ? { fov: positive('--fov', opts.fov, 170) } : {}),
  };
  const t0 = performance.now();
  const onSeed = (s: SeedCapture) => {
    if (s.ended) io.stderr(`capture: seed ${s.seed} gave ${s.frames} of ${frames} frames: its episode ${ENDINGS[s.ended]} after ${s.steps} steps\n`);
  };
  const result = await capture({ scenario, seeds, frames, every, agent: opts.agent, out: opts.out, camera, onSeed });
  const seconds = (performance.now() - t0) / 1000;
  const short = result.seeds.filter((s) => s.ended);
  if (short.length > 0) {
    io.stderr(`capture: ${result.images} of ${result.requested} frames; ${short.length} of ${seeds.length} seeds ended early (see info.seeds in ${opts.out}/annotations.json)\n`);
  }
  io.stdout(`drivelab capture · ${scenario.id} · ${seeds.length} seed(s) · ${result.images} of ${result.requested} images, ${result.annotations} boxes in ${seconds.toFixed(1)} s → ${opts.out}/annotations.json\n`);
}
