/** `drivelab capture`: camera frames with COCO ground truth, for detector datasets. */
import { UsageError } from '../errors.ts';
import { capture, maxFramesPerEpisode, type SeedCapture } from '../capture.ts';
import type { CliIo } from '../io.ts';
import { requireNewOrEmpty } from '../outputDir.ts';
import { parseSetFlags } from '../overrides.ts';
import { scenarioForRun } from '../agents.ts';

export interface CaptureCliOptions {
  scenario?: string;
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
    if (!Number.isSafeInteger(b)) throw new UsageError(`--seeds ${text}: expected seeds up to ${Number.MAX_SAFE_INTEGER}, got ${range[2]}`);
    if (a > b) throw new UsageError(`--seeds ${text}: expected a..b with a ≤ b`);
    if (b - a >= MAX_SEEDS) throw new UsageError(`--seeds ${text}: expected at most ${MAX_SEEDS.toLocaleString('en-US')} seeds, got ${(b - a + 1).toLocaleString('en-US')}`);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  }
  const list = text.split(',').map((s) => s.trim());
  if (list.length === 0 || list.some((s) => !/^\d+$/.test(s))) throw new UsageError(`--seeds ${text}: expected a seed, a range a..b, or a list a,b,c`);
  const big = list.find((s) => !Number.isSafeInteger(Number(s)));
  if (big !== undefined) throw new UsageError(`--seeds ${text}: expected seeds up to ${Number.MAX_SAFE_INTEGER}, got ${big}`);
  return list.map(Number);
}

/** Most seeds one capture drives */
const MAX_SEEDS = 100_001;

/** A flag's number in [min, max], a whole number unless `fraction`; undefined when the flag is absent. */
function numberFlag(flag: string, value: string | undefined, min: number, max: number, fraction = false): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || n < min || n > max || (!fraction && !Number.isInteger(n))) {
    throw new UsageError(`${flag} ${value}: expected ${fraction ? 'a number' : 'a whole number'} from ${min} to ${max}`);
  }
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
  const frames = numberFlag('--frames', opts.frames, 1, 1_000_000)!;
  const every = numberFlag('--every', opts.every, 1, 10_000)!;
  const seeds = parseSeeds(opts.seeds);
  const scenario = await scenarioForRun(opts.agent, opts.scenario, parseSetFlags(opts.set));
  const most = maxFramesPerEpisode(scenario, every);
  if (frames > most) {
    throw new UsageError(`--frames ${frames}: an episode of ${scenario.id} gives at most ${most} frames at --every ${every} (${scenario.limits.duration} s at ${scenario.sim.stepDt} s per step); expected at most ${most}, or a smaller --every`);
  }
  requireNewOrEmpty('--out', opts.out, 'the captured dataset');
  const fromScenario = scenario.sensors.find((s) => s.type === 'camera');
  const camera = {
    ...(fromScenario ?? { type: 'camera' as const, id: 'front' }),
    ...(opts.width !== undefined ? { width: numberFlag('--width', opts.width, 8, 4096) } : {}),
    ...(opts.height !== undefined ? { height: numberFlag('--height', opts.height, 8, 4096) } : {}),
    ...(opts.fov !== undefined ? { fov: numberFlag('--fov', opts.fov, 5, 170, true) } : {}),
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
