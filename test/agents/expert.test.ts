import { describe, expect, it } from 'vitest';
import { createExpert } from '../../agents/expert.ts';
import { make } from '../../sim/env/registry.ts';
import { runEpisode } from '../../src/episode.ts';

describe('expert agent', () => {
  it('finishes highway without a collision on seeds 0–9', async () => {
    const env = await make('highway');
    const expert = createExpert(env);
    for (let seed = 0; seed < 10; seed++) {
      const s = runEpisode(env, expert, seed);
      expect(s.outcome, `seed ${seed}`).toBe('goal');
      expect(s.collisions).toEqual({ vehicle: 0, pedestrian: 0, obstacle: 0 });
    }
  });

  it('finishes lane-keep-curvy without leaving the road on seeds 0–9', async () => {
    const env = await make('lane-keep-curvy');
    const expert = createExpert(env);
    for (let seed = 0; seed < 10; seed++) {
      const s = runEpisode(env, expert, seed);
      expect(s.offRoad, `seed ${seed}`).toBe(false);
      expect(s.outcome, `seed ${seed}`).toBe('goal');
    }
  });

  it('refuses the discrete action space with a clear message', async () => {
    const env = await make('highway', { action: { type: 'discrete' } });
    expect(() => createExpert(env)).toThrow('the expert drives the continuous action space');
  });
});
