/**
 * One benchmark episode as a self-contained job: plain data in, plain data out, so it runs the
 * same in the main thread and in a worker. Envs and agents are cached per thread by scenario; an
 * agent is reset with each episode's seed, so no episode depends on which ran before it in a thread.
 */
import { join } from 'node:path';
import type { Scenario } from '../../scenarios/schema.ts';
import { DrivingEnv, type Action, type Observation } from '../../sim/env/DrivingEnv.ts';
import type { Env } from '../../sim/env/Env.ts';
import { TimeLimit } from '../../sim/env/wrappers.ts';
import { initPhysics } from '../../sim/world/physics.ts';
import type { Policy } from '../../agents/common/Policy.ts';
import { loadAgent } from '../agents.ts';
import { EpisodeRecorder } from './EpisodeRecorder.ts';
import { computeMetrics, type EpisodeMetrics } from './metrics.ts';
import { recordFileName, ReplayRecorder } from './record.ts';

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

interface Slot {
  env: Env<Observation, Action>;
  policy: Policy<Observation, Action>;
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
    slot = { env, policy: await loadAgent(job.agent, env) };
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
  const { env, policy } = await slotFor(job);
  const start = env.reset({ seed: job.seed });
  let observation = start.observation;
  const warnings = ((start.info.warnings as string[] | undefined) ?? []).join('; ');
  policy.reset(job.seed);
  const world = env.unwrapped.world;
  const recorder = new EpisodeRecorder(world);
  const replay = job.recordDir ? new ReplayRecorder(world, job.agent) : null;
  const t0 = performance.now();
  for (;;) {
    const action = policy.act(observation, { deterministic: true });
    const r = env.step(action);
    recorder.onStep(r.reward, r.info);
    replay?.onStep(action, r.reward, r.info);
    observation = r.observation;
    if (r.terminated || r.truncated) break;
  }
  recorder.trace.wallTime = (performance.now() - t0) / 1000;
  const metrics = computeMetrics(recorder.trace);
  if (replay && job.recordDir) await replay.write(join(job.recordDir, recordFileName(job.scenarioLabel, job.seed)), metrics.outcome);
  return { key: job.key, entry: job.entry, episode: job.episode, scenario: job.scenarioLabel, seed: job.seed, agent: job.agent, detector: job.detector, warnings, ...metrics };
}
