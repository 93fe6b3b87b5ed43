import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drivelab, STACK_FRAME } from './drivelab.ts';

const SMALL = ['--seeds', '1000000..1000001', '--frames', '150'];

describe('drivelab eval-tracking', () => {
  it('tracks the highway\'s cars with the oracle and lidar: MOTA at least 0.8, within decimetres', async () => {
    const r = await drivelab('eval-tracking', '--detector', 'oracle', '--scenario', 'highway', ...SMALL, '--json');
    expect(r.stderr).toBe('');
    const m = JSON.parse(r.stdout);
    expect(m).toMatchObject({ detector: 'oracle', scenario: 'highway', episodes: 2, frames: 300, range: 50, threshold: 2 });
    expect(m.objects).toBeGreaterThan(100);
    expect(m.matches + m.misses).toBe(m.objects);
    expect(m.mota).toBeGreaterThanOrEqual(0.8);
    expect(m.idf1).toBeGreaterThanOrEqual(0.8);
    expect(m.motp).toBeLessThan(0.3);
    expect(m.lidarMeasurements).toBeGreaterThan(10 * m.groundMeasurements);
    const text = await drivelab('eval-tracking', '--detector', 'oracle', ...SMALL);
    expect(text.stdout).toContain(`MOTA ${m.mota.toFixed(3)}   MOTP ${m.motp.toFixed(3)} m   IDF1 ${m.idf1.toFixed(3)}`);
  });

  it('counts the objects the camera shows whatever the detector finds: one that finds nothing misses them all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-evaltrack-'));
    const blind = join(dir, 'blind.mjs');
    writeFileSync(blind, `export async function load() { return { name: 'blind', classes: ['vehicle'], detect: async () => [], dispose() {} }; }`);
    const args = ['--seeds', '1000000', '--frames', '60', '--json'];
    const none = JSON.parse((await drivelab('eval-tracking', '--detector', blind, ...args)).stdout);
    const oracle = JSON.parse((await drivelab('eval-tracking', '--detector', 'oracle', ...args)).stdout);
    expect(none.objects).toBe(oracle.objects);
    expect(none.objects).toBeGreaterThan(0);
    expect([none.mota, none.matches, none.misses, none.falsePositives, none.detections]).toEqual([0, 0, none.objects, 0, 0]);
  });

  it('refuses bad flags with one line each and exit code 2', async () => {
    const cases: [string[], string | RegExp][] = [
      [['--frames', '0'], '--frames 0: expected a whole number from 1 to 100000'],
      [['--range', 'far'], '--range far: expected a distance in metres above 0 and at most 300'],
      [['--threshold', '0'], '--threshold 0: expected a distance in metres above 0 and at most 50'],
      [['--seeds', '5..1'], '--seeds 5..1: expected a..b with a ≤ b'],
      [['--frames', '5000'], /^--frames 5000: an episode of highway gives at most 600 frames; expected at most 600$/],
      [['--detector', 'nope'], '--detector nope: no such built-in detector or file; expected oracle, noisy-oracle, cnn, a model directory or the path of a plug-in module'],
    ];
    for (const [flags, message] of cases) {
      const r = await drivelab('eval-tracking', '--detector', 'oracle', ...flags);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(typeof message === 'string' ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message);
      expect(r.stderr).not.toMatch(STACK_FRAME);
    }
    const missing = await drivelab('eval-tracking');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--detector <name\|file>' not specified/);
  });
});
