/**
 * Builds the viewer app (src/viewer/app) into a static site with Vite: `npm run build:viewer`, or
 * once on demand by `drivelab view` (ensureViewerBuilt). The site uses relative URLs (base './'),
 * so it works from any directory of any static host; with `models` it carries the shipped
 * policies and detector, which the page's own session loads by relative URL.
 */
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { processIo, type CliIo } from '../io.ts';

const REPO = resolve(import.meta.dirname, '../..');
const APP = join(REPO, 'src/viewer/app');
const MODELS = join(REPO, 'models');

/** What a built site depends on: when any of it is newer than the site, the site is stale. The
 *  whole of src/viewer, as the page's own session lives there beside the app. */
const SOURCES = ['src/viewer', 'sim', 'scenarios', 'perception', 'agents', 'models', 'package-lock.json'];

export interface BuildViewerOptions {
  /** Directory the site is written to; emptied first */
  outDir: string;
  /** Base URL of the site; default './', so it works from any path */
  base?: string;
  /** Copy models/ to <outDir>/models and list it in <outDir>/models/index.json */
  models?: boolean;
  /** Print nothing (Vite's report and warnings included) */
  quiet?: boolean;
  /** Directory of the app's index.html; default src/viewer/app */
  root?: string;
}

/** The shipped models as the page finds them: model directory → its files, '/'-separated, sorted */
export interface ModelIndex {
  models: Record<string, string[]>;
}

export async function buildViewer(options: BuildViewerOptions): Promise<void> {
  const root = resolve(options.root ?? APP);
  if (!existsSync(join(root, 'index.html'))) throw new Error(`the viewer app is missing: no index.html in ${relative(process.cwd(), root) || '.'}`);
  const outDir = resolve(options.outDir);
  // Loaded here, not at module scope: every drivelab command imports this module, few build.
  const { build, createLogger } = await import('vite');
  // The page's bundle holds the Node-only branches of shared code (dynamic imports of node:fs,
  // never taken in a browser); Vite's notes about them say nothing a user can act on.
  const logger = createLogger(options.quiet ? 'silent' : 'info');
  const expected = /externalized for browser compatibility|INEFFECTIVE_DYNAMIC_IMPORT/;
  const warn = logger.warn.bind(logger), warnOnce = logger.warnOnce.bind(logger);
  logger.warn = (msg, o) => void (expected.test(msg) || warn(msg, o));
  logger.warnOnce = (msg, o) => void (expected.test(msg) || warnOnce(msg, o));
  // Vite takes NODE_ENV for whether a build is a production one, and sets it when unset: always
  // a production build, and the caller's NODE_ENV back afterwards.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: false,
      envDir: false,
      root,
      base: options.base ?? './',
      mode: 'production',
      customLogger: logger,
      clearScreen: false,
      build: {
        outDir,
        emptyOutDir: true,
        // three.js, tfjs and Rapier (its wasm inlined as base64) make a few MB of script by nature.
        chunkSizeWarningLimit: 8192,
      },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  if (options.models) copyModels(join(outDir, 'models'));
}

/** Copies models/ to `dir` and writes dir/index.json (a ModelIndex). */
export function copyModels(dir: string): ModelIndex {
  cpSync(MODELS, dir, { recursive: true, filter: (src) => !relative(MODELS, src).split(sep).some((s) => s.startsWith('.')) });
  const index: ModelIndex = { models: {} };
  for (const name of readdirSync(dir).sort()) {
    if (statSync(join(dir, name)).isDirectory()) index.models[name] = listFiles(join(dir, name)).sort();
  }
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  return index;
}

/** Default directory of the built viewer: dist/viewer at the repository's root */
export function viewerDist(): string {
  return join(REPO, 'dist/viewer');
}

/**
 * Builds the viewer into viewerDist() when it is missing or older than any of its sources (by
 * mtime), as after a fresh `npm install` or a pull; returns the directory. The new site is built
 * beside the old one and then moved in place, so a failed build leaves the old one whole.
 * `outDir` and `root` are for tests.
 */
export async function ensureViewerBuilt(io: CliIo, options: { outDir?: string; root?: string } = {}): Promise<string> {
  const dist = resolve(options.outDir ?? viewerDist());
  const built = mtimeOrNull(join(dist, 'index.html'));
  if (built !== null && built >= newestSource(options.root)) return dist;
  io.stderr(built === null ? 'building the viewer (once)…\n' : 'building the viewer again: its sources changed…\n');
  const partial = `${dist}.partial-${process.pid}`;
  try {
    await buildViewer({ outDir: partial, root: options.root, models: true, quiet: true });
    rmSync(dist, { recursive: true, force: true });
    renameSync(partial, dist);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return dist;
}

/** Newest mtime among the viewer's sources [ms since the epoch] */
function newestSource(root?: string): number {
  let newest = 0;
  const visit = (path: string): void => {
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats === undefined) return;
    if (!stats.isDirectory()) {
      newest = Math.max(newest, stats.mtimeMs);
      return;
    }
    for (const name of readdirSync(path)) if (!name.startsWith('.') && name !== 'node_modules') visit(join(path, name));
  };
  for (const source of SOURCES) visit(join(REPO, source));
  if (root !== undefined) visit(resolve(root));
  return newest;
}

function mtimeOrNull(path: string): number | null {
  return statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? null;
}

/** Every file under `dir`, as '/'-separated paths relative to it */
function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = prefix + entry.name;
    if (entry.isDirectory()) out.push(...listFiles(join(dir, entry.name), path + '/'));
    else out.push(path);
  }
  return out;
}

/** `npm run build:viewer [outDir]`: the site with the shipped models, to dist/viewer by default. */
async function main(args: string[]): Promise<void> {
  if (args.length > 1) throw new Error(`expected at most one argument, the output directory; got ${args.length}`);
  const outDir = resolve(args[0] ?? viewerDist());
  const shown = relative(process.cwd(), outDir) || '.';
  // The build empties its directory first: only a new or empty one, or an earlier build, is taken.
  const stats = statSync(outDir, { throwIfNoEntry: false });
  if (stats && !stats.isDirectory()) throw new Error(`${shown}: is a file; expected a directory (new, empty, or an earlier viewer build)`);
  if (stats && readdirSync(outDir).length > 0 && !isViewerBuild(outDir)) {
    throw new Error(`${shown}: holds other files, which the build would delete; expected a new or empty directory, or an earlier viewer build`);
  }
  await buildViewer({ outDir, models: true });
  const serve = outDir === resolve(viewerDist()) ? 'serve that directory with any static server, or run drivelab view' : 'serve that directory with any static server';
  processIo().stderr(`the viewer is in ${shown}; ${serve}\n`);
}

/** Whether `dir` holds a viewer build and nothing else: its index.html, assets/ and models/ */
function isViewerBuild(dir: string): boolean {
  const html = join(dir, 'index.html');
  if (!existsSync(html) || !readFileSync(html, 'utf8').includes('<title>drivelab viewer</title>')) return false;
  return readdirSync(dir).every((name) => ['index.html', 'assets', 'models'].includes(name));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`build:viewer: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
