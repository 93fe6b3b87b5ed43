/**
 * The viewer server's path checks, each on its own: a backslash or NUL in the decoded path is a
 * bad request even when a file of that very name exists under the root, and dot files (including
 * `.well-known`, which the static file server would otherwise serve) are never served.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startViewerServer } from '../../../src/viewer/server.ts';

const BACKSLASH_FILE = 'file-with-a-backslash-in-its-name';
const DOT_SECRET = 'DOT_SECRET=do-not-serve';

/** One HTTP/1.1 request over a raw socket, so the request target reaches the server unnormalised. */
function rawRequest(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('end', () => resolve({ status: Number(text.slice(9, 12)), body: text.slice(text.indexOf('\r\n\r\n') + 4) }));
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
  });
}

describe('viewer server path checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drivelab-viewer-paths-'));
  let port: number;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'sub'), { recursive: true });
    mkdirSync(join(root, '.well-known'), { recursive: true });
    mkdirSync(join(root, '.git'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>viewer</title>');
    writeFileSync(join(root, 'a\\b'), BACKSLASH_FILE); // a legal file name on POSIX
    writeFileSync(join(root, 'plain.txt'), 'plain');
    writeFileSync(join(root, 'sub', 'file.txt'), 'sub file');
    writeFileSync(join(root, '.env'), DOT_SECRET);
    writeFileSync(join(root, 'sub', '.hidden'), DOT_SECRET);
    writeFileSync(join(root, '.well-known', 'secret.txt'), DOT_SECRET);
    writeFileSync(join(root, '.git', 'config'), DOT_SECRET);
    // The files must exist before the server starts: sirv lists the root once.
    const server = await startViewerServer({ root, port: 0, connect: () => ({ message() {}, close() {} }) });
    port = server.port;
    close = server.close;
  });
  afterAll(async () => {
    await close?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves ordinary files next to the ones it refuses', async () => {
    expect(await rawRequest(port, '/plain.txt')).toEqual({ status: 200, body: 'plain' });
    expect(await rawRequest(port, '/sub/file.txt')).toEqual({ status: 200, body: 'sub file' });
  });

  it('answers 400 to a backslash in the decoded path, though a file of that name exists', async () => {
    for (const target of ['/a%5cb', '/a%5Cb', '/a\\b']) {
      const r = await rawRequest(port, target);
      expect(r.status, target).toBe(400);
      expect(r.body, target).not.toContain(BACKSLASH_FILE);
    }
  });

  it('answers 400 to a NUL in the decoded path', async () => {
    const r = await rawRequest(port, '/plain.txt%00');
    expect(r.status).toBe(400);
    expect(r.body).not.toContain('plain');
  });

  it('never serves dot files or what is under dot directories', async () => {
    for (const target of ['/.env', '/sub/.hidden', '/.well-known/secret.txt', '/.git/config', '/%2eenv', '/sub/%2ehidden', '/%2ewell-known/secret.txt']) {
      const r = await rawRequest(port, target);
      expect(r.status, target).toBe(404);
      expect(r.body, target).not.toContain(DOT_SECRET);
    }
  });
});
