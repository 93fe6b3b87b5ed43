import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drivelab, STACK_FRAME } from './drivelab.ts';

const SMALL = ['--seeds', '1000000..1000001', '--frames', '4'];

describe('drivelab eval-detector', () => {
  it('scores the oracle at 100% and the noisy oracle below, by class, lighting and distance', async () => {
    const oracle = await drivelab('eval-detector', '--detector', 'oracle', '--lighting', 'day,night', ...SMALL, '--json');
    expect(oracle.stderr).toBe('');
    const r = JSON.parse(oracle.stdout);
    expect(r).toMatchObject({ detector: 'oracle', scenario: 'highway', images: 16, skipped: 0, overall: { ap: 1, ap50: 1, perClass: { vehicle: { ap: 1 } } }, byLighting: { day: 1, night: 1 } });
    expect(r.objects).toBeGreaterThan(0);
    for (const v of Object.values(r.byDistance)) expect([1, null]).toContain(v);
    const noisy = JSON.parse((await drivelab('eval-detector', '--detector', 'noisy-oracle', ...SMALL, '--json')).stdout);
    expect(noisy.overall.ap).toBeLessThan(0.95);
    expect(noisy.overall.ap).toBeGreaterThan(0.2);
  });

  it('stops on a bad detector result with one line naming the frame and field, or skips the frame when asked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-evaldet-'));
    const plugin = join(dir, 'nan.mjs');
    writeFileSync(plugin, `let calls = 0;
      export async function load() {
        return { name: 'flaky', classes: ['vehicle'], detect: async () => (++calls % 2 ? [{ bbox: [1, 2, NaN, 4], label: 'vehicle', score: 1 }] : []), dispose() {} };
      }`);
    const stop = await drivelab('eval-detector', '--detector', plugin, ...SMALL);
    expect(stop.code).toBe(2);
    expect(stop.stderr.trim()).toBe('detector "flaky", frame front@0.00s: [0].bbox[2]: expected a finite number, got NaN');
    expect(stop.stderr).not.toMatch(STACK_FRAME);
    const skip = JSON.parse((await drivelab('eval-detector', '--detector', plugin, ...SMALL, '--on-error', 'skip', '--json')).stdout);
    expect([skip.images, skip.skipped]).toEqual([4, 4]);
    const bad = await drivelab('eval-detector', '--detector', 'oracle', '--lighting', 'noon');
    expect([bad.code, bad.stderr.trim()]).toEqual([2, '--lighting noon: "noon": expected day, dusk or night, comma-separated']);
  });
});
