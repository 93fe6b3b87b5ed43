import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../../../src/io.ts';
import { buildViewer, ensureViewerBuilt, type ModelIndex } from '../../../src/viewer/build.ts';

const repo = join(import.meta.dirname, '../../..');

/** A tiny app in a temp directory: a page and a script that uses the simulator's Rng. */
function fixtureApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drivelab-viewer-app-'));
  const rng = relative(dir, join(repo, 'sim/rng.ts')).split('\\').join('/');
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>fixture</title><script type="module" src="./main.ts"></script>\n');
  writeFileSync(join(dir, 'main.ts'), `import { Rng } from '${rng}';\ndocument.title = 'fixture ' + new Rng(7).uniform(0, 1);\n`);
  return dir;
}

describe('viewer build', () => {
  it('builds a static site with relative asset URLs and the shipped models', async () => {
    const root = fixtureApp();
    const outDir = join(root, 'out');
    await buildViewer({ root, outDir, models: true, quiet: true });
    const html = readFileSync(join(outDir, 'index.html'), 'utf8');
    const script = /src="(\.\/assets\/[^"]+\.js)"/.exec(html);
    expect(script, html).not.toBeNull();
    const js = readFileSync(join(outDir, script![1]), 'utf8');
    expect(js).toContain('fixture ');

    const index = JSON.parse(readFileSync(join(outDir, 'models/index.json'), 'utf8')) as ModelIndex;
    expect(index.models['dqn-highway']).toContain('policy.json');
    expect(index.models['detector-cnn']).toContain('float32/model.json');
    for (const [dir, files] of Object.entries(index.models)) for (const f of files) expect(existsSync(join(outDir, 'models', dir, f)), `${dir}/${f}`).toBe(true);
    expect(readFileSync(join(outDir, 'models/dqn-highway/policy.json'))).toEqual(readFileSync(join(repo, 'models/dqn-highway/policy.json')));
  });

  it('builds once, and again only when a source is newer than the site', async () => {
    const root = fixtureApp();
    const outDir = join(mkdtempSync(join(tmpdir(), 'drivelab-viewer-dist-')), 'viewer');
    const io = bufferIo();
    expect(await ensureViewerBuilt(io, { root, outDir })).toBe(outDir);
    expect(io.err).toBe('building the viewer (once)…\n');
    expect(existsSync(join(outDir, 'index.html'))).toBe(true);

    await ensureViewerBuilt(io, { root, outDir });
    expect(io.err).toBe('building the viewer (once)…\n');

    const future = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'main.ts'), future, future);
    await ensureViewerBuilt(io, { root, outDir });
    expect(io.err).toBe('building the viewer (once)…\nbuilding the viewer again: its sources changed…\n');
    expect(existsSync(join(outDir, 'models/index.json'))).toBe(true);
  });

  it('names the missing app', async () => {
    const root = mkdtempSync(join(tmpdir(), 'drivelab-viewer-empty-'));
    await expect(buildViewer({ root, outDir: join(root, 'out'), quiet: true })).rejects.toThrow(/viewer app is missing/);
  });
});
