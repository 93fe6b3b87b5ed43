import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drivelab, STACK_FRAME } from './drivelab.ts';

const SMALL = ['--seeds', '1000000..1000001', '--frames', '4'];

describe('drivelab eval-detector', () => {
  it('scores the oracle at 100% and the noisy oracle below, by class, lighting and distance', async () => {
    const oracle = await drivelab('eval-detector', '--detector', 'oracle', '--lighting', 'day,night', '--min-height', '0', ...SMALL, '--json');
    expect(oracle.stderr).toBe('');
    const r = JSON.parse(oracle.stdout);
    expect(r).toMatchObject({ detector: 'oracle', scenario: 'highway', images: 16, skipped: 0, overall: { ap: 1, ap50: 1, perClass: { vehicle: { ap: 1 } } }, byLighting: { day: 1, night: 1 } });
    expect(r.objects).toBeGreaterThan(0);
    expect(r.ignored).toBe(0);
    // At the default height limit the same frames' far-off objects are set aside, not lost.
    const limited = JSON.parse((await drivelab('eval-detector', '--detector', 'oracle', '--lighting', 'day,night', ...SMALL, '--json')).stdout);
    expect(limited.objects + limited.ignored).toBe(r.objects);
    expect(limited.ignored).toBeGreaterThan(0);
    for (const v of Object.values(r.byDistance)) expect([1, null]).toContain(v);
    const noisy = JSON.parse((await drivelab('eval-detector', '--detector', 'noisy-oracle', '--min-height', '0', ...SMALL, '--json')).stdout);
    expect(noisy.overall.ap).toBeLessThan(0.95);
    expect(noisy.overall.ap).toBeGreaterThan(0.2);
  });

  it('pools several scenarios and scores each one apart', async () => {
    const r = JSON.parse((await drivelab('eval-detector', '--detector', 'noisy-oracle', '--scenario', 'highway,merge', '--min-height', '0', ...SMALL, '--json')).stdout);
    expect(r.scenario).toBe('highway,merge');
    expect(r.images).toBe(16);
    expect(Object.keys(r.byScenario)).toEqual(['highway', 'merge']);
    const alone = JSON.parse((await drivelab('eval-detector', '--detector', 'noisy-oracle', '--scenario', 'merge', '--min-height', '0', ...SMALL, '--json')).stdout);
    expect(r.byScenario.merge.ap).toBeCloseTo(alone.overall.ap, 10);
    const bad = await drivelab('eval-detector', '--detector', 'oracle', '--scenario', 'highway,', ...SMALL);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--scenario highway,: expected scenario ids or files, comma-separated/);
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
    const many = await drivelab('eval-detector', '--detector', 'oracle', '--frames', '100000');
    expect(many.code).toBe(2);
    expect(many.stderr).toMatch(/^--frames 100000: an episode of highway gives at most \d+ frames at --every 5/);
  });

  it('gives a plug-in the frame of the contract, not the ground truth, and exits even when a hung detect() leaves a timer behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-evaldet-'));
    const peek = join(dir, 'peek.mjs');
    writeFileSync(peek, `export async function load() {
      return { name: 'peek', classes: ['vehicle'], detect: async (f) => ('instance' in f || 'semantic' in f || 'depth' in f ? null : []), dispose() { throw new Error('dispose boom'); } };
    }`);
    const r = await drivelab('eval-detector', '--detector', peek, ...SMALL, '--json');
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ images: 8, detections: 0 });
    const hang = join(dir, 'hang.mjs');
    writeFileSync(hang, `export async function load() {
      return { name: 'hang', classes: ['vehicle'], detect: () => new Promise((r) => setTimeout(r, 1e8)), dispose() {} };
    }`);
    const root = join(import.meta.dirname, '../..');
    const child = spawnSync(process.execPath, [join(root, 'bin/drivelab.mjs'), 'eval-detector', '--detector', hang, '--timeout', '50', ...SMALL], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(child.status).toBe(2);
    expect(child.stderr.trim()).toBe('detector "hang", frame front@0.00s: detect() gave no answer within 50 ms; its thread was stopped');
    // In this thread (--no-isolate) the same hang is reported by the caller's own timeout.
    const here = spawnSync(process.execPath, [join(root, 'bin/drivelab.mjs'), 'eval-detector', '--detector', hang, '--timeout', '50', '--no-isolate', ...SMALL], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect([here.status, here.stderr.trim()]).toEqual([2, 'detector "hang", frame front@0.00s: detect() gave no answer within 50 ms']);
  }, 90_000);

  it('survives a plug-in that busy-loops, exits the process or prints, in its own thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-evaldet-'));
    const write = (name: string, body: string) => {
      writeFileSync(join(dir, name), `let calls = 0;
        export async function load() {
          console.log('loading');
          return { name: '${name}', classes: ['vehicle'], detect: async () => { ${body} }, dispose() {} };
        }`);
      return join(dir, name);
    };
    // Every other frame spins forever: the thread is stopped at the timeout and a new one takes the next frame.
    const spin = write('spin.mjs', 'if (++calls % 2 === 1) for (;;) {} return [];');
    const s = await drivelab('eval-detector', '--detector', spin, '--timeout', '300', '--on-error', 'skip', ...SMALL, '--json');
    expect(s.code).toBe(0);
    const r = JSON.parse(s.stdout);
    expect(r.skipped + r.images).toBe(8);
    expect(r.skipped).toBeGreaterThanOrEqual(1);
    expect(r.firstError).toBe('detector "spin.mjs", frame front@0.00s: detect() gave no answer within 300 ms; its thread was stopped');
    const exit = write('exit.mjs', 'process.exit(3);');
    const e = await drivelab('eval-detector', '--detector', exit, ...SMALL);
    expect([e.code, e.stderr.trim()]).toEqual([2, 'detector "exit.mjs", frame front@0.00s: detect(): it ended its thread (process.exit(3))']);
    // What a plug-in prints stays out of stdout, so --json output stays JSON.
    const chatty = write('chatty.mjs', 'console.log("hello from detect"); return [];');
    const c = await drivelab('eval-detector', '--detector', chatty, ...SMALL, '--json');
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout).images).toBe(8);
    const busyLoad = join(dir, 'busy-load.mjs');
    writeFileSync(busyLoad, 'export async function load() { for (;;) {} }');
    const { loadIsolated } = await import('../../perception/detectors/isolated.ts');
    const lines: string[] = [];
    await expect(loadIsolated(busyLoad, {}, { timeoutMs: 100, loadTimeoutMs: 300, log: (l) => lines.push(l) })).rejects.toThrow(`${busyLoad}: load() gave no answer within 300 ms`);
    const printed = await loadIsolated(chatty, {}, { timeoutMs: 1000, loadTimeoutMs: 30_000, log: (l) => lines.push(l) });
    printed.dispose();
    await new Promise((r) => setTimeout(r, 200));
    expect(lines).toContain(`[${chatty}] loading`);
  }, 120_000);

  it('answers each call of an isolated plug-in with its own frame, calls in flight together included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-evaldet-'));
    const slow = join(dir, 'slow-fast.mjs');
    // The first frame takes longer than the second: answers must still go to their own callers.
    writeFileSync(slow, `export async function load() {
      return { name: 'sf', classes: ['vehicle'], detect: (f) => new Promise((r) => setTimeout(() => r([{ bbox: [f.timestamp, 0, 1, 1], label: 'vehicle', score: 1 }]), f.timestamp === 1 ? 300 : 10)), dispose() {} };
    }`);
    const { loadIsolated } = await import('../../perception/detectors/isolated.ts');
    const d = await loadIsolated(slow, {}, { timeoutMs: 5000, loadTimeoutMs: 30_000 });
    const frame = (t: number) => ({ width: 1, height: 1, data: new Uint8Array(3), timestamp: t, cameraId: 'c', intrinsics: { fx: 1, fy: 1, cx: 0, cy: 0, width: 1, height: 1, near: 0.1, far: 10 } });
    const [a, b] = await Promise.all([d.detect(frame(1)), d.detect(frame(2))]);
    expect([a[0].bbox[0], b[0].bbox[0]]).toEqual([1, 2]);
    d.dispose();
  }, 60_000);
});
