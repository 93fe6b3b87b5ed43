/**
 * What the browser tests of the viewer and its frames/s benchmark share: `drivelab view` as a
 * child process, a plain static server for the built site, and the page's window.drivelab.stats.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import type { Page } from 'playwright-core';
import type { EpisodeMessage, FrameMessage, StatusMessage } from '../../src/viewer/protocol.ts';

const ROOT = join(import.meta.dirname, '../..');

/** window.drivelab.stats as the page keeps it (src/viewer/app/Viewer.ts ViewerStats) */
export interface ViewerStats {
  mode: string;
  episodes: number;
  frames: number;
  /** Frames the renderer has drawn (one per requestAnimationFrame) */
  rendered: number;
  last: FrameMessage | null;
  episode: EpisodeMessage | null;
  status: StatusMessage | null;
  errors: string[];
}

/** The page's globals as functions run in the page read them (Node's tsconfig has no DOM types) */
export interface PageGlobals {
  drivelab: { stats: ViewerStats };
  document: { getElementById(id: string): { textContent: string | null } | null; activeElement: { blur?(): void } | null };
}

export const readStats = (page: Page): Promise<ViewerStats> => page.evaluate(() => (globalThis as unknown as PageGlobals).drivelab.stats);

export interface ViewProcess {
  url: string;
  port: number;
  child: ChildProcessWithoutNullStreams;
  /** Resolves to the exit code */
  exit: Promise<number | null>;
  stderr(): string;
}

/** `drivelab view <args> --port 0` from the repository, resolved once it prints its URL */
export function startView(args: string[]): Promise<ViewProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/drivelab.mjs'), 'view', '--port', '0', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((ok, fail) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /drivelab view: (http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(out);
      if (m) ok({ url: m[1], port: Number(m[2]), child, exit, stderr: () => err });
    });
    void exit.then((code) => fail(new Error(`drivelab view ${args.join(' ')} exited ${code} before printing its URL:\n${err}`)));
  });
}

/** SIGTERM, as Ctrl-C's sibling; resolves to the exit code */
export function stopView(view: ViewProcess): Promise<number | null> {
  view.child.kill('SIGTERM');
  return view.exit;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.bin': 'application/octet-stream', '.wasm': 'application/wasm' };

/** A static file server of `dir` on a free loopback port, with no WebSocket, as any static host is */
export function serveStatic(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = resolve(dir, '.' + decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = statSync(path, { throwIfNoEntry: false })?.isDirectory() ? join(path, 'index.html') : path;
    if (!file.startsWith(dir + sep) || !statSync(file, { throwIfNoEntry: false })?.isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })));
}
