/** `drivelab run`: one headless episode and a one-screen summary. */
import { initPhysics } from '../../sim/world/physics.ts';
import { DrivingEnv } from '../../sim/env/DrivingEnv.ts';
import { TimeLimit } from '../../sim/env/wrappers.ts';
import { loadAgent, scenarioForRun } from '../agents.ts';
import { runEpisode, type EpisodeSummary } from '../episode.ts';
import { parseSetFlags } from '../overrides.ts';
import { UsageError } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { createOutputDir, requireNewOrEmpty } from '../outputDir.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'fast-png';

export interface RunOptions {
  scenario?: string;
  agent: string;
  seed: string;
  json?: boolean;
  set: string[];
  /** Directory for chase-camera PNGs of the episode */
  render?: string;
  /** Save every k-th step; only with `render` */
  renderEvery?: string;
}

export async function runCommand(opts: RunOptions, io: CliIo): Promise<void> {
  // Digits only: Number() would take '' for 0, '0x10' for 16 and '1e3' for 1000.
  const seed = /^\d+$/.test(opts.seed) ? Number(opts.seed) : NaN;
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed ${opts.seed}: expected a non-negative integer`);
  const scenario = await scenarioForRun(opts.agent, opts.scenario, parseSetFlags(opts.set));
  const dir = opts.render;
  if (opts.renderEvery !== undefined && dir === undefined) throw new UsageError(`--render-every ${opts.renderEvery}: only means something with --render <dir>, the directory for the frames`);
  const every = Number(opts.renderEvery ?? 1);
  if (!Number.isInteger(every) || every < 1) throw new UsageError(`--render-every ${opts.renderEvery}: expected a positive whole number`);
  if (dir !== undefined) requireNewOrEmpty('--render', dir, 'the frames of this episode');
  await initPhysics();
  const env = new TimeLimit(new DrivingEnv(scenario, dir !== undefined ? { renderMode: 'rgb_array' } : {}), Math.round(scenario.limits.duration / scenario.sim.stepDt));
  const policy = await loadAgent(opts.agent, env);
  if (dir !== undefined) createOutputDir('--render', dir);
  const save = (step: number) => {
    const frame = env.render();
    if (dir !== undefined && frame) writeFileSync(join(dir, `${String(step).padStart(5, '0')}.png`), encode({ width: frame.width, height: frame.height, data: frame.data, channels: 3 }));
  };
  const summary = runEpisode(env, policy, seed, {
    onReset: () => save(0),
    onStep: (step) => {
      if (step % every === 0) save(step);
    },
  });
  env.close();
  io.stdout(opts.json ? JSON.stringify(summary) + '\n' : formatSummary(summary));
}

const OUTCOME_TEXT: Record<EpisodeSummary['outcome'], string> = {
  goal: 'goal reached',
  collision: 'collision',
  'off-road': 'left the road',
  'time-limit': 'time limit',
};

export function formatSummary(s: EpisodeSummary): string {
  const n = (x: number, digits = 1) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const hits = Object.entries(s.collisions).filter(([, v]) => v > 0);
  const terms = Object.entries(s.rewards)
    .map(([k, v]) => `${k} ${n(v, 2)}`)
    .join('   ');
  const lines = [
    `drivelab run · ${s.scenario} · seed ${s.seed} · agent ${s.agent}`,
    '',
    `  ended        ${OUTCOME_TEXT[s.outcome]} after ${n(s.simTime)} s simulated (${s.steps} steps)`,
    `  route        ${n(s.routeProgress)} of ${n(s.routeGoal)} m (${n((100 * s.routeProgress) / s.routeGoal, 0)}%)`,
    `  distance     ${n(s.distance)} m, mean speed ${n(s.meanSpeed)} m/s (${n(s.meanSpeed * 3.6)} km/h)`,
    `  collisions   ${hits.length ? hits.map(([k, v]) => `${v} with ${k === 'pedestrian' ? 'a pedestrian' : `a ${k}`}`).join(', ') : 'none'}`,
    `  off-road     ${s.offRoad ? 'yes' : 'no'}`,
    `  traffic      ${s.npcCollisions === 0 ? 'no contacts between NPCs' : `${s.npcCollisions} contacts between NPCs`}`,
    ...s.warnings.map((w) => `  warning      ${w}`),
    `  reward       ${n(s.totalReward, 2)}`,
    `    terms      ${terms}`,
    `  speed        ${n(s.stepsPerSecond, 0)} steps/s, ${n((s.stepsPerSecond * s.simTime) / s.steps, 0)} simulated s per wall s`,
    '',
  ];
  return lines.join('\n');
}
