import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExpert, DEFAULT_EXPERT } from '../../agents/expert.ts';
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

  it('refuses arguments it cannot drive with, naming the field, instead of acting NaN later', async () => {
    const env = await make('highway');
    const bad: [unknown, string][] = [
      [{ speedFactor: 'fast' }, 'args.speedFactor: expected number, got "fast"'],
      [{ speedFactor: -1 }, 'args.speedFactor: expected number to be >0, got -1'],
      [{ speedFactor: NaN }, 'args.speedFactor: expected number, got NaN'],
      [{ idm: 5 }, 'args.idm: expected object, got 5'],
      [{ idm: null }, 'args.idm: expected object, got null'],
      [{ idm: { decel: 0 } }, 'args.idm.decel: expected number to be >0, got 0'],
      [{ lookahead: 3 }, 'args: unknown field "lookahead"'],
    ];
    for (const [args, message] of bad) expect(() => createExpert(env, args as never), JSON.stringify(args)).toThrow(message);
  });

  it('takes part of the IDM parameters and keeps the defaults for the rest', async () => {
    const env = await make('highway');
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-expert-'));
    await createExpert(env, { idm: { timeHeadway: 1 } }).save(dir);
    const saved = JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8')) as { args: typeof DEFAULT_EXPERT };
    expect(saved.args).toEqual({ ...DEFAULT_EXPERT, idm: { ...DEFAULT_EXPERT.idm, timeHeadway: 1 } });
    expect(Object.values(saved.args.idm).every(Number.isFinite)).toBe(true);
  });
});

