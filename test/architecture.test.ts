import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const LAYERS = ['scenarios', 'sim', 'perception', 'agents', 'src'] as const;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else if (/\.(ts|mts|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

/**
 * Static import and export-from specifiers of a file. Type-only imports vanish at run time and
 * dynamic `import()` loads on use, so neither binds a module to another at load.
 */
function imports(file: string, includeTypes = true): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(import|export)\s(type\s)?[^;]*?from\s+['"]([^'"]+)['"]/gm)]
    .filter((m) => includeTypes || !m[2])
    .map((m) => m[3]);
}

function layerOf(path: string): number {
  return LAYERS.indexOf(relative(root, path).split(sep)[0] as (typeof LAYERS)[number]);
}

describe('layers', () => {
  for (const layer of LAYERS) {
    it(`${layer}/ imports only from its own layer and the ones below`, () => {
      const dir = join(root, layer);
      let entries: string[] = [];
      try {
        entries = files(dir);
      } catch {
        return;
      }
      const own = LAYERS.indexOf(layer);
      const upward: string[] = [];
      for (const file of entries) {
        for (const spec of imports(file)) {
          if (!spec.startsWith('.')) continue;
          const target = layerOf(join(file, '..', spec));
          if (target > own) upward.push(`${relative(root, file)} → ${spec}`);
        }
      }
      expect(upward).toEqual([]);
    });
  }

  it('sim/ and scenarios/ import no tfjs, no RxJS, no browser API and no Node built-in at module scope', () => {
    const bad: string[] = [];
    for (const file of [...files(join(root, 'sim')), ...files(join(root, 'scenarios'))]) {
      if (file.endsWith('.mjs')) continue; // worker bootstraps run only in Node threads
      for (const spec of imports(file, false)) {
        if (/^(@tensorflow\/|rxjs|node:|fs$|path$|worker_threads$)/.test(spec)) bad.push(`${relative(root, file)} → ${spec}`);
      }
      if (/\b(document|window|navigator)\.[a-zA-Z]/.test(readFileSync(file, 'utf8'))) bad.push(`${relative(root, file)} uses a browser global`);
    }
    expect(bad).toEqual([]);
  });
});
