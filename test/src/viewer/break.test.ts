/**
 * Attacks on the viewer that found something: each test fails while the flaw is there and passes
 * once it is fixed. Server, session, recordings and the `drivelab view` command, in Node.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrivingEnv } from '../../../sim/env/DrivingEnv.ts';
import { initPhysics } from '../../../sim/world/physics.ts';
import { builtinScenario } from '../../../scenarios/library.ts';
import { ReplayRecorder, type EpisodeRecord } from '../../../src/bench/record.ts';
import { encodeFloats, parseRecord } from '../../../src/bench/recordFormat.ts';
import { nodeHost } from '../../../src/viewer/nodeHost.ts';
import type { EpisodeMessage, ServerMessage, StatusMessage } from '../../../src/viewer/protocol.ts';
import { startViewerServer } from '../../../src/viewer/server.ts';
import { ViewerSession } from '../../../src/viewer/session.ts';
import { drivelab, STACK_FRAME } from '../drivelab.ts';

const REPO = join(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'drivelab-viewer-break-'));
const noSession = () => ({ message() {}, close() {} });

/** One HTTP/1.1 request over a raw socket; status 0 when no answer comes within `ms` */
function rawRequest(port: number, target: string, headers: string[] = [], ms = 5000): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const done = () => {
      clearTimeout(timer);
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(text.slice(9, 12)) || 0, headers: text.slice(0, Math.max(0, split)), body: split < 0 ? '' : text.slice(split + 4) });
    };
    const timer = setTimeout(() => {
      socket.destroy();
      done();
    }, ms);
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('error', done);
    socket.on('end', done);
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${headers.map((h) => h + '\r\n').join('')}Connection: close\r\n\r\n`);
  });
}

/** `drivelab view <args>` as a child process: how it ended, or the URL it printed (it is then stopped) */
function viewChild(args: string[], onUrl: (url: string) => void = () => {}, ms = 120_000): Promise<{ code: number | null; stdout: string; stderr: string; url: string | null }> {
  const child = spawn(process.execPath, [join(REPO, 'bin/drivelab.mjs'), 'view', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  let url: string | null = null;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGTERM'), ms);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /drivelab view: (\S+)/.exec(stdout);
      if (m && url === null) {
        url = m[1];
        onUrl(url);
        child.kill('SIGTERM');
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, url });
    });
  });
}

/** stderr without the line of a (re)build of dist/viewer, which comes first when a source is newer */
const withoutBuild = (stderr: string) => stderr.replace(/^building the viewer (\(once\)|again: its sources changed)…\n/, '').trim();

/** Listening TCP sockets on `port` from /proc (Linux): their local addresses, hex as the kernel writes them */
function listeners(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue;
      const [address, hexPort] = local.split(':');
      if (parseInt(hexPort, 16) === port) out.push(address);
    }
  }
  return out;
}

let good: EpisodeRecord;
let goodFile = '';

beforeAll(async () => {
  await initPhysics();
  const env = new DrivingEnv(builtinScenario('highway')!);
  env.reset({ seed: 1 });
  const recorder = new ReplayRecorder(env.unwrapped.world, 'expert');
  for (let i = 0; i < 5; i++) {
    const action = Float32Array.from([0, 0.5]);
    const r = env.step(action);
    recorder.onStep(action, r.reward, r.info);
  }
  good = recorder.toRecord('time-limit');
  env.close();
  goodFile = join(dir, 'good.drec.json.gz');
  writeFileSync(goodFile, gzipSync(JSON.stringify(good)));
});

describe('viewer server under attack', () => {
  it('survives a Range header whose start is past its end (sirv throws from inside the request handler)', async () => {
    const root = join(dir, 'range-root');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>viewer</title>');
    const server = await startViewerServer({ root, port: 0, connect: noSession });
    try {
      const r = await rawRequest(server.port, '/index.html', ['Range: bytes=10-5']);
      expect([200, 206, 416], 'an answer to the inverted range').toContain(r.status);
      expect(r.body).not.toMatch(STACK_FRAME);
      expect((await rawRequest(server.port, '/')).status, 'the server after it').toBe(200);
    } finally {
      await server.close();
    }
  });

  it('serves the site as it is now after it is rebuilt in place (as ensureViewerBuilt does from another drivelab view)', async () => {
    const root = join(dir, 'rebuilt', 'viewer');
    const site = (at: string, html: string, asset: string) => {
      mkdirSync(join(at, 'assets'), { recursive: true });
      writeFileSync(join(at, 'index.html'), html);
      writeFileSync(join(at, 'assets', asset), 'console.log(1);');
    };
    site(root, '<title>old</title>', 'index-old.js');
    const server = await startViewerServer({ root, port: 0, connect: noSession });
    try {
      const html = '<!doctype html><title>the new build, longer than the old</title><script src="./assets/index-new.js"></script>';
      site(`${root}.partial`, html, 'index-new.js');
      rmSync(root, { recursive: true });
      renameSync(`${root}.partial`, root);
      const index = await rawRequest(server.port, '/');
      expect(index.status).toBe(200);
      expect(index.headers, 'the Content-Length of the new index.html').toMatch(new RegExp(`content-length: ${Buffer.byteLength(html)}\\r?$`, 'im'));
      expect(index.body).toBe(html);
      expect((await rawRequest(server.port, '/assets/index-new.js')).status, 'the new build\'s script').toBe(200);
    } finally {
      await server.close();
    }
  });

  it('says which port is taken, so `drivelab view` can give its one-line usage error', async () => {
    const busy: Server = createServer();
    const port = await new Promise<number>((ok) => busy.listen(0, '127.0.0.1', () => ok((busy.address() as { port: number }).port)));
    try {
      const err = await startViewerServer({ root: join(REPO, 'src/viewer/app'), port, connect: noSession }).then(
        (s) => (void s.close(), null),
        (e: NodeJS.ErrnoException) => e,
      );
      expect(err?.code).toBe('EADDRINUSE');
    } finally {
      busy.close();
    }
  });

  it('says when --host is not an address of this machine, so `drivelab view` can say so in one line', async () => {
    // 203.0.113.0/24 is TEST-NET-3: never this machine's; binding to it fails at once and sends nothing.
    const err = await startViewerServer({ root: join(REPO, 'src/viewer/app'), host: '203.0.113.5', port: 0, connect: noSession }).then(
      (s) => (void s.close(), null),
      (e: NodeJS.ErrnoException) => e,
    );
    expect(err?.code).toBe('EADDRNOTAVAIL');
  });
});

describe('drivelab view under attack', () => {
  it('refuses a port in use in one line with exit code 2, not as an internal error', async () => {
    const busy: Server = createServer();
    const port = await new Promise<number>((ok) => busy.listen(0, '127.0.0.1', () => ok((busy.address() as { port: number }).port)));
    try {
      const r = await drivelab('view', '--port', String(port), '--replay', goodFile);
      expect(withoutBuild(r.stderr)).toBe(`--port ${port}: already in use; pass another port, or --port 0 for any free one`);
      expect(r.code).toBe(2);
    } finally {
      busy.close();
    }
  });

  it('does not take an empty --host (an unset variable) for "every interface"', async () => {
    let bound: string[] = [];
    const r = await viewChild(['--host', '', '--port', '0', '--replay', goodFile], (url) => (bound = listeners(Number(/:(\d+)\/$/.exec(url)?.[1]))));
    if (r.url === null) {
      // Refused: one line, exit code 2
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(STACK_FRAME);
      return;
    }
    // Taken as loopback: a URL that opens, bound to loopback only
    const m = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost):(\d+)\/$/.exec(r.url);
    expect(m, `the printed URL ${r.url}`).not.toBeNull();
    // /proc/net/tcp{,6} write 0.0.0.0 and :: as all zeros
    expect(bound.filter((address) => /^0+$/.test(address)), 'wildcard listeners').toEqual([]);
  });

  it('refuses a recording whose scenario does not validate before it starts the server', async () => {
    const file = join(dir, 'no-scenario.drec.json.gz');
    writeFileSync(file, gzipSync(JSON.stringify({ ...good, scenario: {} })));
    const r = await viewChild(['--port', '0', '--replay', file]);
    expect(r.url, 'the server started for a recording the page cannot show').toBeNull();
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^--replay .*no-scenario\.drec\.json\.gz: scenario/);
  });
});

describe('recordings under attack', () => {
  it('keeps a reward term named __proto__ as a term, or refuses it naming terms.names', () => {
    const data = { ...good, terms: { names: ['__proto__', 'speed'], values: encodeFloats(new Array(good.steps * 2).fill(0.5)) } };
    let replay;
    try {
      replay = parseRecord(data, 'hostile.drec.json.gz');
    } catch (err) {
      expect((err as Error).message).toMatch(/^hostile\.drec\.json\.gz: terms\.names/);
      return;
    }
    expect(Object.getPrototypeOf(replay.terms), 'the terms object\'s prototype').toBe(Object.prototype);
    expect(Object.keys(replay.terms).sort()).toEqual(['__proto__', 'speed']);
  });

  it('refuses infinite poses in one line naming poses (NaN alone marks an inactive actor)', () => {
    const n = (good.steps + 1) * good.actors.length * 4;
    const data = { ...good, poses: encodeFloats(new Array<number>(n).fill(Infinity)) };
    expect(() => parseRecord(data, 'hostile.drec.json.gz')).toThrow(/^hostile\.drec\.json\.gz: poses: /);
  });
});

describe('viewer session under attack', () => {
  it('keeps both of two switches sent together: the scenario, then the agent', async () => {
    const sent: ServerMessage[] = [];
    const s = new ViewerSession(nodeHost({ scenario: 'highway', agent: 'expert', detector: null }), (m) => sent.push(m), { scenario: 'highway', agent: 'expert', seed: 3, paused: true });
    await s.start();
    // Two WebSocket messages in one TCP packet are handled in the same tick.
    await Promise.all([s.handle({ type: 'scenario', id: 'roundabout' }), s.handle({ type: 'agent', id: 'random' })]);
    const last = sent.filter((m): m is EpisodeMessage => m.type === 'episode').at(-1)!;
    expect([last.scenario.id, last.agent]).toEqual(['roundabout', 'random']);
    s.close();
  });

  it('stops its clock when a step fails, rather than sending the same error every step', async () => {
    // The static page passes ?seed=abc through as NaN: every step then fails.
    const sent: ServerMessage[] = [];
    const s = new ViewerSession(nodeHost({ scenario: 'highway', agent: 'expert', detector: null }), (m) => sent.push(m), { scenario: 'highway', agent: 'expert', seed: NaN, speed: 4 });
    await s.start();
    await new Promise((r) => setTimeout(r, 1500));
    s.close();
    const errors = sent.filter((m): m is StatusMessage => m.type === 'status' && m.error !== undefined).map((m) => m.error);
    expect(errors.length, errors.slice(0, 3).join(' / ')).toBeLessThanOrEqual(2);
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
