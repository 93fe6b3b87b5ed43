import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initTf } from '../../perception/runtime/tfjs.ts';
import { SyncVectorEnv } from '../../sim/env/vector/index.ts';
import { make } from '../../sim/env/registry.ts';
import { Box, Dict, Discrete } from '../../sim/env/spaces.ts';
import type { Env, ResetArgs, StepResult } from '../../sim/env/Env.ts';
import type { DrivingEnv } from '../../sim/env/DrivingEnv.ts';
import { Rng } from '../../sim/rng.ts';
import { train } from '../../agents/dqn.ts';
import { load as loadPpo, train as trainPpo } from '../../agents/ppo.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { observationLayout } from '../../agents/common/FeatureExtractor.ts';

beforeAll(async () => {
  await initTf('wasm');
});

/** One-step episodes: a 16×16 image bright on the left or the right; reward 1 for naming the side */
class BrightSide implements Env<Record<string, Float32Array>, number> {
  readonly observationSpace = new Dict({ camera: new Box(0, 1, [16, 16, 3]), hint: new Box(-1, 1, [1]) });
  readonly actionSpace = new Discrete(2);
  private rng = Rng.seeded(0);
  private side = 0;
  get unwrapped(): DrivingEnv {
    return this as unknown as DrivingEnv;
  }
  private observe() {
    const img = new Float32Array(16 * 16 * 3);
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) {
      const bright = (x < 8) === (this.side === 0);
      for (let c = 0; c < 3; c++) img[(y * 16 + x) * 3 + c] = (bright ? 0.8 : 0.1) + 0.1 * this.rng.next();
    }
    // The vector part carries nothing useful: the answer is only in the pixels.
    return { camera: img, hint: Float32Array.of(0) };
  }
  reset(args: ResetArgs = {}) {
    if (args.seed !== undefined) this.rng = Rng.seeded(args.seed);
    this.side = this.rng.int(0, 1);
    return { observation: this.observe(), info: {} };
  }
  step(action: number): StepResult<Record<string, Float32Array>> {
    return { observation: this.observe(), reward: action === this.side ? 1 : 0, terminated: true, truncated: false, info: {} };
  }
  render() {
    return null;
  }
  close() {}
}

const SMALL_CNN = { convs: [{ filters: 8, kernel: 4, stride: 2 }, { filters: 16, kernel: 3, stride: 2 }], outputSize: 32 };

describe('pixel observations', () => {
  it('lays a Dict with a camera out as one image range and vector ranges, in key order', () => {
    const layout = observationLayout(new Dict({ a: new Box(0, 1, [3]), cam: new Box(0, 1, [4, 5, 3]), b: new Box(0, 1, [2]) }));
    expect(layout.image).toMatchObject({ key: 'cam', offset: 3, size: 60, shape: [4, 5, 3] });
    expect(layout.vector).toEqual([{ offset: 0, size: 3 }, { offset: 63, size: 2 }]);
  });

  it('DQN learns from pixels through the CNN backbone: which half of the image is bright', async () => {
    const env = new SyncVectorEnv([new BrightSide()]);
    const policy = await train(env, {
      totalSteps: 700, learningStarts: 100, batchSize: 32, actionRepeat: 1, gamma: 0, hidden: [32], bufferSize: 1_000,
      targetUpdateInterval: 50, explorationFraction: 0.3, learningRate: 1e-3, cnn: SMALL_CNN,
    });
    const test = new BrightSide();
    let right = 0;
    for (let seed = 0; seed < 100; seed++) {
      const { observation } = test.reset({ seed: 1_000_000 + seed });
      right += test.step(policy.act(observation) as number).reward;
    }
    expect(right).toBeGreaterThanOrEqual(90);
    policy.dispose();
  });

  it('DQN trains on a driving scenario with a camera and features, without leaking tensors', async () => {
    const overrides = {
      action: { type: 'discrete' as const },
      traffic: { vehicles: 4 },
      sensors: [{ type: 'camera' as const, id: 'camera', width: 32, height: 24 }, { type: 'features' as const, id: 'features' }],
    };
    const vec = new SyncVectorEnv([await make('highway', overrides)]);
    const before = tf.memory().numTensors;
    const policy = await train(vec, { totalSteps: 200, learningStarts: 60, batchSize: 8, hidden: [32], bufferSize: 500, cnn: SMALL_CNN });
    const env = await make('highway', overrides);
    const { observation } = env.reset({ seed: 1_000_000 });
    expect([0, 1, 2, 3, 4]).toContain(policy.act(observation));
    policy.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('PPO learns from pixels through the CNN backbone, shared by actor and critic', async () => {
    const env = new SyncVectorEnv([new BrightSide(), new BrightSide(), new BrightSide(), new BrightSide()]);
    const policy = await trainPpo(env, { totalSteps: 2_048, rolloutSteps: 64, minibatches: 4, epochs: 4, gamma: 0, hidden: [32], learningRate: 1e-3, cnn: SMALL_CNN });
    // The image went through the CNN: the MLPs see its 32 features and the 1-float hint, not 768 pixels.
    expect(policy.net.extractor?.outputSize).toBe(33);
    expect(policy.net.actor.config.inputs).toBe(33);
    const test = new BrightSide();
    let right = 0;
    for (let seed = 0; seed < 100; seed++) {
      const { observation } = test.reset({ seed: 1_000_000 + seed });
      right += test.step(policy.act(observation, { deterministic: true }) as number).reward;
    }
    expect(right).toBeGreaterThanOrEqual(90);
    policy.dispose();
  });

  it('PPO trains on a driving scenario with a camera and features, saves and loads the CNN, and leaks no tensors', async () => {
    const overrides = { traffic: { vehicles: 4 }, sensors: [{ type: 'camera' as const, id: 'camera', width: 32, height: 24 }, { type: 'features' as const, id: 'features' }] };
    const vec = new SyncVectorEnv([await make('highway', overrides), await make('highway', overrides)]);
    const before = tf.memory().numTensors;
    const policy = await trainPpo(vec, { totalSteps: 128, rolloutSteps: 32, minibatches: 2, epochs: 2, hidden: [32], cnn: SMALL_CNN });
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-ppo-pixels-'));
    await policy.save(dir);
    const env = await make('highway', overrides);
    const loaded = await loadPpo(dir, env);
    const { observation } = env.reset({ seed: 1_000_000 });
    const a = policy.act(observation, { deterministic: true }) as Float32Array;
    expect(a).toHaveLength(2);
    expect(Array.from(loaded.act(observation, { deterministic: true }) as Float32Array)).toEqual(Array.from(a));
    policy.dispose();
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("trains the shared CNN through both the actor's and the critic's loss", async () => {
    const { ActorCritic, actorCriticFor } = await import('../../agents/common/ActorCritic.ts');
    const space = new BrightSide().observationSpace;
    const net = new ActorCritic(actorCriticFor(space, new Discrete(2), { hidden: [8], activation: 'tanh', initialStd: 0.5, cnn: SMALL_CNN }), 3);
    const cnnVars = net.extractor!.variables;
    const x = tf.randomUniform([4, 16 * 16 * 3 + 1], 0, 1, 'float32', 1) as tf.Tensor2D;
    const gradNorm = (f: () => tf.Scalar) => tf.tidy(() => {
      const { grads } = tf.variableGrads(f, cnnVars);
      return Object.values(grads).reduce((sum, g) => sum + (tf.sum(tf.square(g)).dataSync()[0] as number), 0);
    });
    expect(gradNorm(() => tf.sum(net.forward(x).value) as tf.Scalar)).toBeGreaterThan(0);
    expect(gradNorm(() => tf.sum(net.forward(x).out) as tf.Scalar)).toBeGreaterThan(0);
    x.dispose();
    net.dispose();
  });
});
