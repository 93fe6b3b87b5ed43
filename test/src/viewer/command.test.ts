/** `drivelab view` refuses bad input in one line, with exit code 2, before any server starts. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { drivelab, STACK_FRAME } from '../drivelab.ts';

const dir = mkdtempSync(join(tmpdir(), 'drivelab-view-'));
const notGzip = join(dir, 'plain.drec.json.gz');
writeFileSync(notGzip, 'hello');
const wrongField = join(dir, 'field.drec.json.gz');
writeFileSync(wrongField, gzipSync(JSON.stringify({ format: 'drivelab-record', version: 1, drivelab: '0.1.0', scenario: {}, seed: 'three' })));

describe('drivelab view: bad input', () => {
  const cases: [string, string[], RegExp][] = [
    ['a seed that is not a number', ['--seed', 'x'], /^--seed x: expected a non-negative integer$/],
    ['a port out of range', ['--port', '70000'], /^--port 70000: expected a port number from 0 to 65535/],
    ['a speed out of range', ['--speed', '0'], /^--speed 0: expected simulated seconds per wall second, from 0\.1 to 16$/],
    ['an unknown backend', ['--backend', 'gpu'], /^--backend gpu: expected one of /],
    ['an unknown agent', ['--agent', 'wizard'], /^--agent wizard: unknown agent/],
    ['an unknown scenario', ['--scenario', 'moon'], /moon/],
    ['an unknown detector', ['--detector', 'yolo'], /^--detector yolo: no such built-in detector or file/],
    ['a missing recording', ['--replay', join(dir, 'none.drec.json.gz')], /^--replay .*none\.drec\.json\.gz: no such file; expected a drivelab-record file/],
    ['a recording that is not gzip', ['--replay', notGzip], /^--replay .*plain\.drec\.json\.gz: not a drivelab-record file/],
    ['a recording with a wrong field', ['--replay', wrongField], /^--replay .*field\.drec\.json\.gz: seed: /],
    ['a replay with live-only flags', ['--replay', notGzip, '--detector', 'oracle'], /^--replay: shows a recorded episode; --detector only means something for a live run$/],
  ];
  for (const [what, args, message] of cases) {
    it(`refuses ${what}`, async () => {
      const r = await drivelab('view', ...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(r.stderr).not.toMatch(STACK_FRAME);
    });
  }
});
