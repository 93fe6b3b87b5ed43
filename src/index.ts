/**
 * drivelab's public API. `make` accepts a registered id, a Scenario object or a scenario file.
 */
import type { ScenarioOverrides } from '../scenarios/parse.ts';
import type { Scenario } from '../scenarios/schema.ts';
import type { Action, Observation } from '../sim/env/DrivingEnv.ts';
import type { Env } from '../sim/env/Env.ts';
import { make as makeFromRegistry, type MakeOptions } from '../sim/env/registry.ts';
import { looksLikeFile, loadScenarioFile } from './scenarioFiles.ts';

export * from '../scenarios/index.ts';
export { DrivingEnv, type Action, type Observation, type Outcome } from '../sim/env/DrivingEnv.ts';
export { ActionWrapper, ObservationWrapper, RewardWrapper, Wrapper, type Env, type Info, type ResetArgs, type StepResult } from '../sim/env/Env.ts';
export { Box, Dict, Discrete, flattenSpace, type Space } from '../sim/env/spaces.ts';
export { FlattenObservation, RecordEpisodeStatistics, TimeLimit } from '../sim/env/wrappers.ts';
export { register, registeredIds, resolveScenario, type MakeOptions } from '../sim/env/registry.ts';
export { checkEnv } from '../sim/env/checkEnv.ts';
export { META_ACTIONS } from '../sim/control/MetaController.ts';
export { World, type WorldOptions } from '../sim/world/World.ts';
export { initPhysics } from '../sim/world/physics.ts';
export { SyncVectorEnv, WorkerVectorEnv, type VectorEnv } from '../sim/env/vector/index.ts';
export { DrivingScene } from '../sim/scene/DrivingScene.ts';
export { Rng } from '../sim/rng.ts';
export { createExpert } from '../agents/expert.ts';
export { createRandom } from '../agents/random.ts';
export type { Policy } from '../agents/common/Policy.ts';
export { runEpisode, type EpisodeSummary } from './episode.ts';
export { runBench, type BenchOptions } from './bench/runner.ts';
export { PerceivedEnv, type PerceivedEnvOptions } from '../perception/perceivedEnv.ts';
export { loadDetector, ORACLES } from '../perception/detectors/loader.ts';
export type { CameraFrame, Detection, Detector } from '../perception/detectors/types.ts';

/** An env for a registered id, a Scenario object, or a .json/.yaml scenario file, wrapped in its TimeLimit. */
export async function make(idOrFile: string | Scenario, overrides?: ScenarioOverrides, options?: MakeOptions): Promise<Env<Observation, Action>> {
  if (typeof idOrFile === 'string' && looksLikeFile(idOrFile)) return makeFromRegistry(await loadScenarioFile(idOrFile, overrides), undefined, options);
  return makeFromRegistry(idOrFile, overrides, options);
}
