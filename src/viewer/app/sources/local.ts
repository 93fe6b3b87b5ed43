/**
 * The static build's source: the same `ViewerSession` that `drivelab view` runs in Node, run in
 * the page on Rapier's wasm. Shipped policies and the shipped detector are fetched from the site's
 * `models/` and run on tfjs in the page (webgl on the user's GPU, else cpu).
 */
import { builtinScenario, builtinScenarioIds } from '../../../../scenarios/library.ts';
import { withOverrides, type ScenarioOverrides } from '../../../../scenarios/parse.ts';
import type { Scenario } from '../../../../scenarios/schema.ts';
import type { Action, Observation } from '../../../../sim/env/DrivingEnv.ts';
import { make } from '../../../../sim/env/registry.ts';
import type { Env } from '../../../../sim/env/Env.ts';
import { createExpert } from '../../../../agents/expert.ts';
import { createRandom } from '../../../../agents/random.ts';
import type { Detector } from '../../../../perception/detectors/types.ts';
import type { ClientMessage, ServerMessage } from '../../protocol.ts';
import { openedRun, ViewerSession, type OpenedRun, type SessionHost, type SessionStart } from '../../session.ts';
import type { Source } from './source.ts';

/** What the site's models/index.json lists: each model directory and its files ('/'-separated, relative to it) */
interface ModelIndex {
  models: Record<string, string[]>;
}

export const PAGE_DETECTORS = ['oracle', 'noisy-oracle', 'cnn'] as const;
const TF_AGENTS = new Set(['dqn', 'ppo', 'reinforce']);

let tfReady: Promise<string> | null = null;

/** Starts tfjs on webgl (the GPU), falling back to the cpu backend; resolves to the backend's name */
export function startTfInPage(): Promise<string> {
  tfReady ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    for (const backend of ['webgl', 'cpu']) {
      try {
        if (await tf.setBackend(backend)) {
          await tf.ready();
          return backend;
        }
      } catch {
        // the next one
      }
    }
    throw new Error('tfjs: neither the webgl nor the cpu backend starts in this browser');
  })();
  return tfReady;
}

/** Saved policies the site ships, as `models/<name>` agent ids */
export async function shippedModels(base = 'models/'): Promise<ModelIndex> {
  try {
    const r = await fetch(new URL('index.json', new URL(base, location.href)));
    if (!r.ok) return { models: {} };
    return (await r.json()) as ModelIndex;
  } catch {
    return { models: {} };
  }
}

export interface LocalOptions extends SessionStart {
  detector: string | null;
  overrides?: ScenarioOverrides;
}

export function pageHost(index: ModelIndex, options: LocalOptions): SessionHost {
  const policies = Object.entries(index.models).filter(([, files]) => files.includes('policy.json')).map(([name]) => `models/${name}`);
  const detectors = new Map<string, Promise<Detector>>();
  const detector = (id: string): Promise<Detector> => {
    let d = detectors.get(id);
    if (!d) {
      d = (async () => {
        if (id === 'oracle') return (await import('../../../../perception/detectors/oracle.ts')).loadOracle();
        if (id === 'noisy-oracle') return (await import('../../../../perception/detectors/oracle.ts')).loadNoisyOracle();
        if (id === 'cnn') {
          await startTfInPage();
          const { loadDetectorFromUrl } = await import('../../../../perception/detectors/cnn/browser.ts');
          if (!index.models['detector-cnn']?.includes('uint8/model.json')) throw new Error('detector cnn: this site ships no models/detector-cnn/uint8');
          return loadDetectorFromUrl(new URL('models/detector-cnn/uint8/', location.href));
        }
        throw new Error(`detector "${id}": expected one of ${PAGE_DETECTORS.join(', ')}`);
      })();
      detectors.set(id, d);
    }
    return d;
  };
  return {
    scenarios: [...builtinScenarioIds],
    agents: ['expert', 'random', ...policies],
    async open(scenarioId: string, agent: string): Promise<OpenedRun> {
      const base = builtinScenario(scenarioId);
      if (!base) throw new Error(`scenario "${scenarioId}": expected one of ${builtinScenarioIds.join(', ')}`);
      let scenario: Scenario = withOverrides(base, options.overrides, scenarioId);
      let loadPolicy: ((env: Env<Observation, Action>) => Promise<OpenedRun['policy']>) | null = null;
      if (agent === 'expert') loadPolicy = async (env) => createExpert(env);
      else if (agent === 'random') loadPolicy = async (env) => createRandom(env);
      else if (policies.includes(agent)) {
        const { urlSource } = await import('../../../../agents/common/policySource.ts');
        const source = urlSource(new URL(`${agent}/`, location.href).href);
        const manifest = JSON.parse(await source.text('policy.json')) as { agent: string; actionSpace?: { type?: string } };
        // As scenarioForAgent does in Node: a policy of meta-actions drives the discrete action space.
        const type = manifest.actionSpace?.type === 'discrete' ? 'discrete' : manifest.actionSpace?.type === 'box' ? 'continuous' : null;
        if (type && scenario.action.type !== type) scenario = { ...scenario, action: { ...scenario.action, type } };
        if (TF_AGENTS.has(manifest.agent)) await startTfInPage();
        const { loadPolicy: load } = await import('../../../../agents/load.ts');
        loadPolicy = (env) => load(source, env);
      } else {
        throw new Error(`agent "${agent}": expected one of expert, random${policies.length ? `, ${policies.join(', ')}` : ''}`);
      }
      const env = await make(scenario);
      const policy = await loadPolicy(env);
      let perceived = null;
      if (options.detector) {
        const { PerceivedEnv } = await import('../../../../perception/perceivedEnv.ts');
        const oracle = options.detector === 'oracle' || options.detector === 'noisy-oracle';
        perceived = new PerceivedEnv(env, await detector(options.detector), { groundTruthFrames: oracle });
      }
      return openedRun(env, policy, perceived, agent, options.detector);
    },
  };
}

export class LocalSource implements Source {
  readonly mode = 'in-page' as const;
  private session: ViewerSession | null = null;

  constructor(private readonly host: SessionHost, private readonly options: LocalOptions) {}

  async start(listener: (m: ServerMessage) => void): Promise<void> {
    this.session = new ViewerSession(this.host, listener, this.options);
    await this.session.start();
  }

  send(m: ClientMessage): void {
    void this.session?.handle(m);
  }

  close(): void {
    this.session?.close();
  }
}
