/**
 * `drivelab train-detector --data <capture dirs> --out <dir>`: trains the built-in CNN detector
 * (perception/training/detectorTrainer.ts) from scratch or from weights (`--from`, fine-tuning),
 * then exports the best weights in three precisions with their size and validation AP:
 *   <out>/float32/, <out>/float16/, <out>/uint8/   model.json + weights.bin
 *   <out>/train.json                               what was run and what it scored
 * Ctrl-C stops at the next step with a checkpoint; `--resume` continues from it.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { UsageError } from '../errors.ts';
import { wholeFlag } from '../flags.ts';
import type { CliIo } from '../io.ts';
import { createOutputDir, requireNewOrEmpty } from '../outputDir.ts';
import { VERSION } from '../version.ts';
import { initTf, BACKENDS, type BackendChoice } from '../../perception/runtime/tfjs.ts';
import { createDetectorNet } from '../../perception/detectors/cnn/net.ts';
import { loadModelDir, saveModelDir } from '../../perception/detectors/cnn/modelDir.ts';
import { PRECISIONS } from '../../perception/detectors/cnn/modelFile.ts';
import { SHIPPED_CNN } from '../../perception/detectors/cnn/load.ts';
import { DatasetError, loadCaptureDataset, splitBySeed } from '../../perception/training/captureDataset.ts';
import { DEFAULT_AUGMENTATION, NO_AUGMENTATION, type Augmentation } from '../../perception/training/detectorBatch.ts';
import { CheckpointError, curveTiming, readCheckpoint, trainDetector, validationAp } from '../../perception/training/detectorTrainer.ts';

export interface TrainDetectorCliOptions {
  data: string[];
  val: string[];
  out: string;
  from?: string;
  resume?: boolean;
  steps: string;
  batch: string;
  lr: string;
  weightDecay: string;
  warmup: string;
  seed: string;
  augment: string;
  evalEvery: string;
  checkpointEvery: string;
  minHeight: string;
  ignoreBelow: string;
  backend: string;
}

function realFlag(flag: string, text: string, lo: number, hi: number): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < lo || v > hi) throw new UsageError(`${flag} ${text}: expected a number from ${lo} to ${hi}`);
  return v;
}

function augmentation(text: string): Augmentation {
  if (text === 'none') return NO_AUGMENTATION;
  const parts = text.split(',').map((s) => s.trim());
  const known = ['flip', 'brightness', 'contrast', 'noise'];
  for (const p of parts) if (!known.includes(p)) throw new UsageError(`--augment ${text}: "${p}": expected none, or some of ${known.join(', ')}, comma-separated`);
  return {
    flip: parts.includes('flip'),
    brightness: parts.includes('brightness') ? DEFAULT_AUGMENTATION.brightness : 0,
    contrast: parts.includes('contrast') ? DEFAULT_AUGMENTATION.contrast : 0,
    noise: parts.includes('noise') ? DEFAULT_AUGMENTATION.noise : 0,
  };
}

/** A fraction as a percentage, — where it cannot be measured */
const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? '—' : (100 * v).toFixed(1));

const dirList = (values: string[]) => values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter((s) => s !== '');

/** The settings a run keeps in `<out>/args.json`, so that `--resume` continues it as it was */
const SETTINGS = ['data', 'val', 'from', 'steps', 'batch', 'lr', 'weightDecay', 'warmup', 'seed', 'augment', 'evalEvery', 'checkpointEvery', 'minHeight', 'ignoreBelow'] as const;

function runSettings(out: string): Partial<TrainDetectorCliOptions> {
  const file = join(out, 'args.json');
  let saved: Record<string, unknown>;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`--resume: ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found; expected the --out of an interrupted train-detector run' : 'not valid JSON'}`);
  }
  for (const key of SETTINGS) {
    const v = saved[key];
    const ok = key === 'data' || key === 'val' ? Array.isArray(v) && v.every((x) => typeof x === 'string') : key === 'from' ? v === undefined || v === null || typeof v === 'string' : typeof v === 'string';
    if (!ok) throw new UsageError(`--resume: ${file}: ${key}: expected the value the run was started with, got ${JSON.stringify(v)}`);
  }
  return Object.fromEntries(SETTINGS.map((k) => [k, saved[k] ?? undefined]));
}

/** A train-detector run directory stands for its exported float32 weights */
function modelDirOf(dir: string): string {
  return !existsSync(join(dir, 'model.json')) && existsSync(join(dir, 'float32', 'model.json')) ? join(dir, 'float32') : dir;
}

export async function trainDetectorCommand(given: TrainDetectorCliOptions, io: CliIo): Promise<number> {
  // A resumed run takes every setting from the run itself; only --out, --resume and --backend come from the command line.
  const opts: TrainDetectorCliOptions = given.resume ? { ...given, ...runSettings(given.out) } : given;
  const steps = wholeFlag('--steps', opts.steps, 1, 10_000_000)!;
  // Above 512 frames the wasm backend runs out of its 4 GB address space.
  const batchSize = wholeFlag('--batch', opts.batch, 1, 512)!;
  // A warm-up longer than a quarter of the run would leave the peak rate barely used.
  const warmup = Math.min(wholeFlag('--warmup', opts.warmup, 0, 10_000_000)!, Math.floor(steps / 4));
  const seed = wholeFlag('--seed', opts.seed, 0)!;
  const evalEvery = wholeFlag('--eval-every', opts.evalEvery, 1)!;
  const checkpointEvery = wholeFlag('--checkpoint-every', opts.checkpointEvery, 1)!;
  const minHeight = realFlag('--min-height', opts.minHeight, 0, 4096);
  const ignoreBelow = realFlag('--ignore-below', opts.ignoreBelow, 0, 4096);
  const learningRate = realFlag('--lr', opts.lr, 1e-8, 1);
  const weightDecay = realFlag('--weight-decay', opts.weightDecay, 0, 10);
  const augment = augmentation(opts.augment);
  if (!(BACKENDS as readonly string[]).includes(opts.backend)) throw new UsageError(`--backend ${opts.backend}: expected one of ${BACKENDS.join(', ')}`);
  const data = dirList(opts.data);
  if (data.length === 0) throw new UsageError('--data: expected one or more drivelab capture directories');
  for (const d of [...data, ...dirList(opts.val)]) if (!existsSync(d) || !statSync(d).isDirectory()) throw new UsageError(`--data ${d}: not a directory; expected a drivelab capture directory`);
  const checkpoint = join(opts.out, 'checkpoint');
  if (opts.resume) {
    if (!existsSync(join(checkpoint, 'state.json'))) throw new UsageError(`--resume: ${join(checkpoint, 'state.json')} not found; expected the --out of an interrupted train-detector run`);
  } else {
    requireNewOrEmpty('--out', opts.out, 'the trained detector');
  }
  const from = opts.from === 'cnn' ? join(SHIPPED_CNN, 'float32') : opts.from ? modelDirOf(opts.from) : undefined;
  if (!opts.resume && from !== undefined && !existsSync(join(from, 'model.json'))) throw new UsageError(`--from ${opts.from}: no model.json there; expected cnn, a train-detector output directory or one of its float32/, float16/, uint8/ or best/`);

  const backend = await initTf(opts.backend as BackendChoice);
  let net;
  try {
    net = opts.resume ? loadModelDir(checkpoint).net : from ? loadModelDir(from).net : createDetectorNet({}, seed);
  } catch (err) {
    throw new UsageError(`${opts.resume ? '--resume' : '--from'}: ${(err as Error).message}`);
  }
  let train, validation;
  try {
    const all = loadCaptureDataset(data, net.config.classes, net.config.input);
    const val = dirList(opts.val);
    if (val.length > 0) [train, validation] = [all, loadCaptureDataset(val, net.config.classes, net.config.input)];
    else [train, validation] = splitBySeed(all, 0.1);
  } catch (err) {
    if (err instanceof DatasetError) throw new UsageError(err.message);
    throw err;
  }
  if (opts.resume) {
    try {
      readCheckpoint(opts.out, train.boxes.length);
    } catch (err) {
      throw err instanceof CheckpointError ? new UsageError(`--resume: ${err.message}`) : err;
    }
  } else {
    createOutputDir('--out', opts.out);
    writeFileSync(join(opts.out, 'args.json'), JSON.stringify(Object.fromEntries(SETTINGS.map((k) => [k, opts[k] ?? null])), null, 2) + '\n');
  }
  io.stderr(`drivelab train-detector · ${train.boxes.length} training images, ${validation?.boxes.length ?? 0} validation · ${steps} steps of ${batchSize} on ${backend}${from ? ` · from ${opts.from}` : ''}\n`);

  const bar = io.progress ? new SingleBar({ stream: io.progress, format: 'train-detector {bar} {value}/{total} steps | {ips} img/s | loss {loss} | val AP50 {ap} | ETA {eta_formatted}', hideCursor: true, etaBuffer: 20 }) : null;
  bar?.start(steps, 0, { ips: '–', loss: '–', ap: '–' });
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  const provenance = { version: VERSION, data, from: opts.from ?? null, seed, steps, batchSize, learningRate, weightDecay, warmup, augment, ignoreBelow };
  let result;
  try {
    result = await trainDetector({
      net, train, validation, out: opts.out, steps, batchSize, learningRate, weightDecay, warmup, augmentation: augment, seed,
      evalEvery, checkpointEvery, minHeight, ignoreBelow, provenance, signal: abort.signal,
      onProgress: (p) => bar?.update(p.step, { ips: p.imagesPerSecond.toFixed(0), loss: p.loss.toFixed(3), ap: pct(p.validationAp50) }),
    });
  } catch (err) {
    if (err instanceof CheckpointError) throw new UsageError(`--resume: ${err.message}`);
    throw err;
  } finally {
    bar?.stop();
    process.removeListener('SIGINT', onSigint);
  }
  if (result.interrupted) {
    io.stderr(`drivelab train-detector: stopped at step ${result.steps} of ${steps}; the checkpoint is saved, continue with --resume --out ${opts.out}\n`);
    net.dispose();
    return 130;
  }
  // The exported model is the best on validation, or the last when validation could not rank them.
  const haveBest = validation !== null && existsSync(join(opts.out, 'best', 'model.json'));
  if (validation && !haveBest) io.stderr(`drivelab train-detector: validation AP could not be measured (no validation object is ${minHeight} px tall or more; see --min-height, --val); exporting the last weights\n`);
  const best = haveBest ? loadModelDir(join(opts.out, 'best')).net : net;
  const exports: Record<string, unknown> = {};
  for (const precision of PRECISIONS) {
    const dir = join(opts.out, precision);
    await saveModelDir(best, dir, precision, { ...provenance, step: result.bestStep ?? result.steps });
    const bytes = statSync(join(dir, 'weights.bin')).size;
    const ap = validation ? await validationAp(loadModelDir(dir).net, validation, minHeight) : null;
    exports[precision] = { bytes, validationAp50: ap?.ap50 ?? null, validationAp: ap?.ap ?? null, validationAp50PerClass: ap?.perClass ?? null };
    io.stdout(`  ${precision.padEnd(8)} ${(bytes / 1024).toFixed(0).padStart(5)} KiB${ap ? `   val AP50 ${pct(ap.ap50)}   AP ${pct(ap.ap)}   ${Object.entries(ap.perClass).map(([k, v]) => `${k} ${pct(v)}`).join('  ')}` : ''}   → ${dir}\n`);
  }
  // Over the whole run, sessions before a --resume included.
  const timing = curveTiming(opts.out, batchSize);
  const summary = {
    ...provenance, backend, trainImages: train.boxes.length, validationImages: validation?.boxes.length ?? 0, minHeight,
    seconds: timing.seconds, imagesPerSecond: timing.imagesPerSecond, finalLoss: timing.lastLoss, bestStep: result.bestStep, bestValidationAp50: result.bestAp50, exports,
  };
  writeFileSync(join(opts.out, 'train.json'), JSON.stringify(summary, null, 2) + '\n');
  io.stdout(`drivelab train-detector · ${result.steps} steps in ${timing.seconds.toFixed(0)} s (${timing.imagesPerSecond.toFixed(0)} images/s on ${backend}) · best val AP50 ${pct(result.bestAp50)} at step ${result.bestStep ?? '—'} → ${opts.out}\n`);
  if (best !== net) best.dispose();
  net.dispose();
  return 0;
}

