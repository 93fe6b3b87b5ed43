/**
 * The policies shipped in models/ must load in the world as it is now: a change to an observation
 * or action space that they were trained for breaks them, and this test names the one it broke.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { make } from '../sim/env/registry.ts';
import { initPhysics } from '../sim/world/physics.ts';
import { loadAgent, scenarioForRun } from '../src/agents.ts';
import { drivelab } from './src/drivelab.ts';
import { runEpisode } from '../src/episode.ts';

const MODELS = join(import.meta.dirname, '..', 'models');
const shipped = readdirSync(MODELS).filter((d) => existsSync(join(MODELS, d, 'policy.json')));

describe('shipped policies', () => {
  it('ships one policy per learning agent', () => {
    const agents = shipped.map((d) => JSON.parse(readFileSync(join(MODELS, d, 'policy.json'), 'utf8')).agent);
    expect(new Set(agents)).toEqual(new Set(['qlearning', 'dqn', 'ppo', 'reinforce']));
  });

  it.each(shipped)('%s loads for the scenario it was trained on and drives a test episode', async (name) => {
    await initPhysics();
    const dir = join(MODELS, name);
    const record = JSON.parse(readFileSync(join(dir, 'train.json'), 'utf8')) as { scenario: { id: string } };
    // With no --scenario a saved policy runs where it was trained.
    const scenario = await scenarioForRun(dir, undefined);
    expect(scenario.id).toBe(record.scenario.id);
    const env = await make(scenario);
    const policy = await loadAgent(dir, env);
    const episode = runEpisode(env, policy, 1_000_000);
    // Every shipped policy gets well along its route on the first test seed.
    expect(episode.routeProgress / episode.routeGoal).toBeGreaterThan(0.5);
    env.close();
  }, 120_000);

  it('drivelab run takes a policy to the scenario it was trained on unless --scenario says otherwise', async () => {
    const dir = join(MODELS, 'qlearning-obstacle-avoidance');
    const trained = await drivelab('run', '--agent', dir, '--seed', '1000000', '--json');
    expect(trained.code).toBe(0);
    expect(JSON.parse(trained.stdout).scenario).toBe('obstacle-avoidance');
    const other = await drivelab('run', '--agent', dir, '--scenario', 'merge', '--seed', '1000000', '--json');
    expect(JSON.parse(other.stdout).scenario).toBe('merge');
  });
});
