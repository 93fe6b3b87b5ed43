import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ClientMessage, FrameMessage, ServerMessage } from '../../../src/viewer/protocol.ts';
import { startViewerServer } from '../../../src/viewer/server.ts';

const SECRET = 'top-secret-do-not-serve';
const INDEX = '<!doctype html><title>viewer</title>';
const FLOOD_FRAMES = 60;
const BIG_FRAME: FrameMessage = {
  type: 'frame', step: 0, time: 0, poses: [], speed: 0, reward: 0, rewards: {}, return: 0, action: null, driver: 'agent',
  values: null, detections: null, lidar: new Array<number>(250_000).fill(1.5), tracks: null, outcome: null,
};

/** One HTTP/1.1 request over a raw socket, so the request target reaches the server unnormalised. */
function rawRequest(port: number, target: string, host = `127.0.0.1:${port}`, method = 'GET'): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('end', () => {
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(text.slice(9, 12)), headers: text.slice(0, split), body: text.slice(split + 4) });
    });
    socket.write(`${method} ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  });
}

/** A ws client, open, with every message it receives kept in order. */
async function open(port: number, origin?: string, path = '/ws') {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, origin === undefined ? {} : { origin });
  const received: ServerMessage[] = [];
  const waiting: ((m: ServerMessage) => void)[] = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as ServerMessage;
    const w = waiting.shift();
    if (w) w(msg);
    else received.push(msg);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = () => new Promise<ServerMessage>((resolve) => (received.length > 0 ? resolve(received.shift()!) : waiting.push(resolve)));
  return { ws, next, send: (m: unknown) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)) };
}

/** The error a refused upgrade gives the ws client. */
function refusal(port: number, origin?: string, path = '/ws'): Promise<string> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, origin === undefined ? {} : { origin });
  return new Promise((resolve) => {
    ws.once('open', () => resolve('opened'));
    ws.once('error', (err) => resolve(err.message));
  });
}

describe('viewer server', () => {
  let port: number;
  let close: () => Promise<void>;
  let closedHandlers = 0;
  let secretFile: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivelab-viewer-server-'));
    const root = join(dir, 'root');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), INDEX);
    writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1);');
    secretFile = join(dir, 'secret.txt');
    writeFileSync(secretFile, SECRET);
    mkdirSync(join(dir, 'elsewhere'));
    writeFileSync(join(dir, 'elsewhere', 'secret.txt'), SECRET);
    writeFileSync(join(dir, 'replay.jsonl'), '{"type":"frame"}\n');
    symlinkSync(join(dir, 'secret.txt'), join(root, 'link.txt'));
    symlinkSync(join(dir, 'elsewhere'), join(root, 'outside'));
    const server = await startViewerServer({
      root,
      port: 0,
      allowedHosts: ['viewer.lan'],
      files: { '/api/replay': join(dir, 'replay.jsonl') },
      connect(send) {
        return {
          message(msg: ClientMessage) {
            if (msg.type === 'agent' && msg.id === 'throw') throw new Error('no such agent\nsecond line');
            if (msg.type === 'step') {
              // [~1 MB] frames, far more than a page that is not reading can take
              for (let step = 1; step <= FLOOD_FRAMES; step++) send({ ...BIG_FRAME, step });
            }
            send({ type: 'status', paused: msg.type === 'pause', speed: msg.type === 'speed' ? msg.speed : 1, scenarios: [], agents: [] });
          },
          close: () => void closedHandlers++,
        };
      },
    });
    port = server.port;
    close = server.close;
    expect(server.url).toBe(`http://127.0.0.1:${port}/`);
  });
  afterAll(() => close());

  it('serves index.html at / and assets with their content type', async () => {
    const index = await rawRequest(port, '/');
    expect(index.status).toBe(200);
    expect(index.body).toBe(INDEX);
    expect(index.headers).toMatch(/content-type: text\/html/i);
    expect(index.headers).toMatch(/x-content-type-options: nosniff/i);
    const asset = await rawRequest(port, '/assets/app.js?v=1');
    expect(asset.status).toBe(200);
    expect(asset.headers).toMatch(/content-type: text\/javascript/i);
    expect(asset.headers).toMatch(/etag: /i);
    expect((await rawRequest(port, '/missing.js')).status).toBe(404);
    expect((await rawRequest(port, '/assets/')).status).toBe(404);
    expect((await rawRequest(port, '/', undefined, 'POST')).status).toBe(405);
  });

  it('never serves a file outside the root', async () => {
    const targets = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/.%2e/secret.txt',
      '/%252e%252e/secret.txt',
      '/%252e%252e%252fsecret.txt',
      '/..%5csecret.txt',
      '/..\\secret.txt',
      '/assets/..%5c..%5csecret.txt',
      '/secret.txt%00.js',
      '/%c0%ae%c0%ae/secret.txt',
      `/${secretFile}`,
      encodeURIComponent(secretFile),
      `/${encodeURIComponent(secretFile)}`,
      `file://${secretFile}`,
      `http://127.0.0.1:${port}/../secret.txt`,
      '/link.txt',
      '/outside/secret.txt',
    ];
    for (const target of targets) {
      const r = await rawRequest(port, target);
      expect([400, 403, 404], target).toContain(r.status);
      expect(r.body, target).not.toContain(SECRET);
    }
  });

  it('refuses Host headers other than the allowed names with the bound port', async () => {
    for (const host of ['evil.example:' + port, 'evil.example', '127.0.0.1', `127.0.0.1:${port + 1}`, '', `localhost.:${port}`]) {
      const r = await rawRequest(port, '/', host);
      expect(r.status, host).toBe(403);
      expect(r.body.trim().split('\n')).toHaveLength(1);
    }
    for (const host of [`localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `viewer.lan:${port}`]) {
      expect((await rawRequest(port, '/', host)).status, host).toBe(200);
    }
  });

  it('mounts single files at their path and nothing under it', async () => {
    const r = await rawRequest(port, '/api/replay');
    expect(r.status).toBe(200);
    expect(r.body).toBe('{"type":"frame"}\n');
    expect(r.headers).toMatch(/content-type: application\/x-ndjson/i);
    expect((await rawRequest(port, '/api/replay/x')).status).toBe(404);
    expect((await rawRequest(port, '/api/replay/../secret.txt')).status).toBe(400);
    expect((await rawRequest(port, '/api')).status).toBe(404);
  });

  it('opens WebSockets only on /ws from the same origin', async () => {
    expect(await refusal(port, 'http://evil.example')).toMatch(/403/);
    expect(await refusal(port, `http://127.0.0.1:${port + 1}`)).toMatch(/403/);
    expect(await refusal(port, `https://127.0.0.1:${port}`)).toMatch(/403/);
    expect(await refusal(port, 'null')).toMatch(/403/);
    expect(await refusal(port)).toMatch(/403/);
    expect(await refusal(port, `http://127.0.0.1:${port}`, '/other')).toMatch(/403/);
  });

  it('carries messages both ways, answers bad ones with an error and stays usable', async () => {
    const page = await open(port, `http://127.0.0.1:${port}`);
    page.send({ type: 'speed', speed: 2 });
    expect(await page.next()).toMatchObject({ type: 'status', speed: 2 });

    page.send('not json');
    expect(await page.next()).toEqual({ type: 'error', message: 'message is not JSON' });
    for (const bad of [
      { type: 'speed', speed: 100 },
      { type: 'speed', speed: '2' },
      { type: 'reset', seed: -1 },
      { type: 'reset', seed: 1.5 },
      { type: 'reset', seed: 2 ** 60 },
      { type: 'scenario', id: 'x'.repeat(201) },
      { type: 'manual', action: [1, 2, 3, 4, 5, 6, 7, 8, 9] },
      { type: 'manual', action: 'left' },
      { type: 'launch' },
      null,
      [],
    ]) {
      page.send(bad);
      const msg = await page.next();
      expect(msg.type, JSON.stringify(bad)).toBe('error');
    }
    page.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await page.next()).toMatchObject({ type: 'error' });
    page.send({ type: 'agent', id: 'throw' });
    expect(await page.next()).toEqual({ type: 'error', message: 'agent failed: no such agent' });

    page.send({ type: 'manual', action: [0.5, -1] });
    expect(await page.next()).toMatchObject({ type: 'status' });
    page.send({ type: 'pause' });
    expect(await page.next()).toMatchObject({ type: 'status', paused: true });

    const before = closedHandlers;
    page.ws.close();
    await new Promise((resolve) => page.ws.once('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closedHandlers).toBe(before + 1);
  });

  it('drops frames for a page that does not read, but not the status after them', async () => {
    const page = await open(port, `http://127.0.0.1:${port}`);
    const socket = (page.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    page.send({ type: 'step' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    socket.resume();
    let frames = 0;
    let msg = await page.next();
    for (; msg.type === 'frame'; msg = await page.next()) frames++;
    expect(msg.type).toBe('status');
    expect(frames).toBeGreaterThan(0);
    expect(frames).toBeLessThan(FLOOD_FRAMES);
    page.ws.close();
  });

  it('closes a socket that sends more than 64 KiB, and only that one', async () => {
    const origin = `http://localhost:${port}`;
    const big = new WebSocket(`ws://localhost:${port}/ws`, { origin });
    await new Promise((resolve) => big.once('open', resolve));
    const other = await open(port, `http://127.0.0.1:${port}`);
    const code = new Promise<number>((resolve) => big.once('close', (c) => resolve(c)));
    big.on('error', () => {});
    big.send(JSON.stringify({ type: 'scenario', id: 'x'.repeat(70 * 1024) }));
    expect(await code).toBe(1009);
    other.send({ type: 'play' });
    expect(await other.next()).toMatchObject({ type: 'status', paused: false });
    other.ws.close();
    expect((await rawRequest(port, '/')).status).toBe(200);
  });
});
