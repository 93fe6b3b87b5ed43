/**
 * One benchmark episode as a self-contained job: plain data in, plain data out, so it runs the
 * same in the main thread and in a worker. Envs and agents are cached per thread by scenario; an
 * agent is reset with each episode's seed, so no episode depends on which ran before it in a thread.
 * A job with a detector other than `ground-truth` drives through a PerceivedEnv over the same env:
 * the agent's objects come from that detector's fused tracks. Detectors load once per thread.
 */
import { join } from 'node:path';
import type { Scenario } from '../../scenarios/schema.ts';
import { DrivingEnv, type Action, type Observation } from '../../sim/env/DrivingEnv.ts';
import type { Env } from '../../sim/env/Env.ts';
import { TimeLimit } from '../../sim/env/wrappers.ts';
import { initPhysics } from '../../sim/world/physics.ts';
import type { Policy } from '../../agents/common/Policy.ts';
import { loadDetector, ORACLES } from '../../perception/detectors/loader.ts';
import { DetectorError } from '../../perception/detectors/validate.ts';
import type { Detector } from '../../perception/detectors/types.ts';
import { PerceivedEnv } from '../../perception/perceivedEnv.ts';
import { loadAgent } from '../agents.ts';
import { UsageError } from '../errors.ts';
import { EpisodeRecorder } from './EpisodeRecorder.ts';
import { computeMetrics, type EpisodeMetrics } from './metrics.ts';
import { recordFileName, ReplayRecorder } from './record.ts';
import { GROUND_TRUTH } from './report.ts';

export interface BenchJob {
  /** `entry:episode`, unique within a run */
  key: string;
  entry: number;
  episode: number;
  /** How the suite names the scenario: a built-in id or a file path */
  scenarioLabel: string;
  scenario: Scenario;
  seed: number;
  agent: string;
  /** `ground-truth`, or the `--detector` spec the agent perceives with */
  detector: string;
  /** Directory for the episode recording, when recording */
  recordDir?: string;
}

export interface EpisodeResult extends EpisodeMetrics {
  key: string;
  entry: number;
  episode: number;
  scenario: string;
  seed: number;
  agent: string;
  detector: string;
  /** What the world could not do as the scenario asked (e.g. fewer vehicles than requested), joined by "; ", or "" */
  warnings: string;
}

/** Longest a plug-in's detect() and load() may take before its thread is stopped [ms] */
const DETECT_TIMEOUT_MS = 10_000;
const LOAD_TIMEOUT_MS = 60_000;

interface Slot {
  env: Env<Observation, Action>;
  policy: Policy<Observation, Action>;
  /** The env seen through each detector, built on first use */
  perceived: Map<string, PerceivedEnv>;
}

/** Detectors by spec, loaded once per thread and shared by every scenario's env */
const detectors = new Map<string, Promise<Detector>>();

/**
 * The detector `spec` names, as a benchmark runs it: the oracles read the frames' ground truth;
 * every other detector gets the contract's frame, and a plug-in module runs in a thread of its own.
 */
export function benchDetector(spec: string): Promise<Detector> {
  let detector = detectors.get(spec);
  if (!detector) {
    const oracle = ORACLES.includes(spec);
    detector = loadDetector(spec, {}, oracle ? undefined : { timeoutMs: DETECT_TIMEOUT_MS, loadTimeoutMs: LOAD_TIMEOUT_MS });
    detector.catch(() => detectors.delete(spec));
    detectors.set(spec, detector);
  }
  return detector;
}

/** `env` as the agent sees it through the detector `spec` */
export async function perceivedEnv(env: Env<Observation, Action>, spec: string): Promise<PerceivedEnv> {
  // The isolated thread times out first; this only guards detectors that run here.
  return new PerceivedEnv(env, await benchDetector(spec), { groundTruthFrames: ORACLES.includes(spec), timeoutMs: DETECT_TIMEOUT_MS + 1000 });
}

/**
 * Before the first episode: loads the detector `spec`, wraps a suite entry's env in it and runs one
 * frame through it, so that a detector that does not load or breaks its contract, or a scenario
 * without the features observation, fails now, in one line naming the flag.
 */
export async function checkPerception(env: Env<Observation, Action>, spec: string, label: string, seed: number): Promise<void> {
  try {
    await (await perceivedEnv(env, spec)).reset({ seed });
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('PerceivedEnv: ')) throw new UsageError(`--detector ${spec}: suite entry ${label}: ${err.message.slice('PerceivedEnv: '.length)}`);
    throw detectorFailure(err, spec);
  }
}

/** A detector's broken contract is the user's to fix: a UsageError (one line, exit code 2) naming the flag */
export function detectorFailure(err: unknown, spec: string): unknown {
  if (!(err instanceof DetectorError)) return err;
  const m = err.message;
  return new UsageError(m.startsWith('--detector') ? m : m.startsWith(`${spec}:`) ? `--detector ${m}` : `--detector ${spec}: ${m}`);
}

/** Closes this thread's envs and disposes its detectors (plug-in threads included) */
export async function closeThreadResources(): Promise<void> {
  for (const slot of slots.values()) slot.env.close();
  slots.clear();
  const loaded = [...detectors.values()];
  detectors.clear();
  for (const detector of loaded) {
    try {
      (await detector).dispose();
    } catch {
      // One that failed to load, or whose dispose() throws, has nothing left to free here.
    }
  }
}

/**
 * Env and policy per (agent, scenario), keyed by the scenario itself rather than its place in a
 * suite, so that runs of different suites in one process never share an env by accident.
 */
const slots = new Map<string, Slot>();
/** Envs kept per thread; the least recently used is closed beyond this */
const MAX_SLOTS = 8;

async function slotFor(job: BenchJob): Promise<Slot> {
  const id = JSON.stringify([job.agent, job.scenario]);
  let slot = slots.get(id);
  if (slot) {
    slots.delete(id);
  } else {
    await initPhysics();
    const env = new TimeLimit(new DrivingEnv(job.scenario), Math.round(job.scenario.limits.duration / job.scenario.sim.stepDt));
    slot = { env, policy: await loadAgent(job.agent, env), perceived: new Map() };
    if (slots.size >= MAX_SLOTS) {
      const [oldest, evicted] = slots.entries().next().value as [string, Slot];
      evicted.env.close();
      slots.delete(oldest);
    }
  }
  slots.set(id, slot);
  return slot;
}

export async function runJob(job: BenchJob): Promise<EpisodeResult> {
  const slot = await slotFor(job);
  const { env, policy } = slot;
  let perceived: PerceivedEnv | null = null;
  if (job.detector !== GROUND_TRUTH) {
    perceived = slot.perceived.get(job.detector) ?? null;
    if (!perceived) slot.perceived.set(job.detector, (perceived = await perceivedEnv(env, job.detector)));
  }
  const start = perceived ? await perceived.reset({ seed: job.seed }) : env.reset({ seed: job.seed });
  let observation = start.observation;
  const warnings = ((start.info.warnings as string[] | undefined) ?? []).join('; ');
  policy.reset(job.seed);
  const world = env.unwrapped.world;
  const recorder = new EpisodeRecorder(world);
  const replay = job.recordDir ? new ReplayRecorder(world, job.agent) : null;
  const t0 = performance.now();
  for (;;) {
    const action = policy.act(observation, { deterministic: true });
    const r = perceived ? await perceived.step(action) : env.step(action);
    recorder.onStep(r.reward, r.info);
    replay?.onStep(action, r.reward, r.info);
    observation = r.observation;
    if (r.terminated || r.truncated) break;
  }
  recorder.trace.wallTime = (performance.now() - t0) / 1000;
  const metrics = computeMetrics(recorder.trace);
  if (replay && job.recordDir) await replay.write(join(job.recordDir, recordFileName(job.scenarioLabel, job.seed, job.detector === GROUND_TRUTH ? undefined : job.detector)), metrics.outcome);
  return { key: job.key, entry: job.entry, episode: job.episode, scenario: job.scenarioLabel, seed: job.seed, agent: job.agent, detector: job.detector, warnings, ...metrics };
}
