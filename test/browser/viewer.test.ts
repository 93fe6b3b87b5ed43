/**
 * The viewer in a real browser (Debian's Chromium, WebGL on SwiftShader): `drivelab view` running
 * an agent live and replaying a recording, and the static build running the world in the page.
 * The tests share one build, one browser and one live server, and run in order. Screenshots of
 * each mode go to test-artifacts/viewer/ for a person to look at.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { readRecord } from '../../src/bench/record.ts';
import { bufferIo } from '../../src/io.ts';
import { buildViewer, ensureViewerBuilt } from '../../src/viewer/build.ts';
import type { ServerMessage } from '../../src/viewer/protocol.ts';
import { initPhysics } from '../../sim/world/physics.ts';
import { World } from '../../sim/world/World.ts';
import { CHROMIUM, launchChromium } from './chromium.ts';
import { readStats as stats, serveStatic, startView, stopView, type PageGlobals, type ViewProcess } from './viewerPage.ts';

const root = join(import.meta.dirname, '../..');
const ARTIFACTS = join(root, 'test-artifacts/viewer');
const VIEWPORT = { width: 1280, height: 720 };
/** Longest wait for anything the page should do by itself; a loaded 2-core machine is slow, not stuck */
const PATIENCE = 30_000;
/**
 * Smallest per-channel variance of a drawn #view [grey levels²]. A cleared or blank canvas is one
 * colour: variance 0. A highway frame (sky, grass, asphalt, buildings, cars) measures in the
 * hundreds to thousands in every channel; 100 (a standard deviation of 10 levels) is far from both.
 */
const MIN_VARIANCE = 100;
/** Mean absolute difference between two #view images that shows the picture changed [grey levels] */
const MIN_CHANGE = 2;

/** A page at 1280×720 that keeps every page error and console error (SwiftShader's ReadPixels stall notes are not errors) */
async function openPage(browser: Browser, url: string, ignore: RegExp[] = []): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    const text = m.text();
    if (m.type() === 'error' && !/GPU stall due to ReadPixels/.test(text) && !ignore.some((r) => r.test(text))) errors.push(`console: ${text}`);
  });
  await page.goto(url);
  return { page, errors };
}

const text = async (page: Page, id: string): Promise<string> => (await page.locator(`#${id}`).textContent()) ?? '';

/** The 3D view's pixels as drawn (the renderer keeps its drawing buffer), without the HUD over it */
async function viewPixels(page: Page): Promise<{ width: number; height: number; channels: number; data: ArrayLike<number> }> {
  const dataUrl = await page.locator('#view').evaluate((c) => (c as unknown as { toDataURL(type: string): string }).toDataURL('image/png'));
  const png = decode(Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64'));
  return { width: png.width, height: png.height, channels: png.channels, data: png.data };
}

/** Variance of each colour channel (alpha left out) [levels²] */
function channelVariance(img: { channels: number; data: ArrayLike<number> }): number[] {
  const k = Math.min(3, img.channels);
  const n = img.data.length / img.channels;
  const sum = new Array<number>(k).fill(0), sq = new Array<number>(k).fill(0);
  for (let i = 0; i < img.data.length; i += img.channels) {
    for (let c = 0; c < k; c++) {
      sum[c] += img.data[i + c];
      sq[c] += img.data[i + c] ** 2;
    }
  }
  return sum.map((s, c) => sq[c] / n - (s / n) ** 2);
}

function meanAbsDiff(a: { data: ArrayLike<number> }, b: { data: ArrayLike<number> }): number {
  expect(a.data.length).toBe(b.data.length);
  let d = 0;
  for (let i = 0; i < a.data.length; i++) d += Math.abs(a.data[i] - b.data[i]);
  return d / a.data.length;
}

/** Waits until the page shows `what` (`test` true in the page); on a timeout, says what it was waiting for and where the page was */
async function until<A>(page: Page, what: string, test: (arg: A) => unknown, arg: A): Promise<void> {
  try {
    await page.waitForFunction(test as (arg: unknown) => unknown, arg as unknown, { polling: 50, timeout: PATIENCE });
  } catch (err) {
    const s = await stats(page).catch(() => null);
    const where = s ? `mode ${s.mode}, ${s.frames} frames, step ${s.last?.step}, paused ${s.status?.paused}, errors ${JSON.stringify(s.errors)}` : 'the page is gone';
    throw new Error(`waited ${PATIENCE / 1000} s for ${what}; the page had ${where}`, { cause: err });
  }
}

/** Waits until `ms` have passed and the renderer has drawn a few frames since: eased poses have arrived */
async function settle(page: Page, ms: number): Promise<void> {
  const start = await page.evaluate(() => ({ t: performance.now(), rendered: (globalThis as unknown as PageGlobals).drivelab.stats.rendered }));
  await until(page, `${ms} ms of drawing`, ({ t, rendered, ms }) => performance.now() - t > ms && (globalThis as unknown as PageGlobals).drivelab.stats.rendered > rendered + 3, { ...start, ms });
}

/** One HTTP/1.1 request over a raw socket, so the request target reaches the server as written */
function rawRequest(port: number, target: string, host = `127.0.0.1:${port}`): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('error', fail);
    socket.on('end', () => ok({ status: Number(data.slice(9, 12)), body: data.slice(data.indexOf('\r\n\r\n') + 4) }));
    socket.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  });
}

/** A node WebSocket client of the viewer: its first messages up to and including `frames` frames, or the error of a refused upgrade */
function wsMessages(port: number, origin: string, frames: number): Promise<ServerMessage[] | string> {
  return new Promise((ok) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { origin });
    const got: ServerMessage[] = [];
    ws.on('error', (e) => ok(e.message));
    ws.on('message', (data) => {
      got.push(JSON.parse(String(data)) as ServerMessage);
      if (got.filter((m) => m.type === 'frame').length >= frames) {
        ws.close();
        ok(got);
      }
    });
  });
}

let browser: Browser;
let tmp = '';
let siteDir = '';
let recording = '';

beforeAll(async () => {
  if (!CHROMIUM) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'drivelab-viewer-browser-'));
  // dist/viewer for drivelab view (built here once, so no server builds it), and a static site.
  await ensureViewerBuilt(bufferIo());
  siteDir = join(tmp, 'site');
  await buildViewer({ outDir: siteDir, models: true, quiet: true });
  // A 3 s highway episode recorded by bench --record, for the replay.
  const suite = join(tmp, 'tiny.yaml');
  writeFileSync(suite, ['version: 1', 'id: tiny', 'scenarios:', '  - scenario: highway', '    overrides: { traffic: { vehicles: 8 }, limits: { duration: 3 } }', 'seeds: { train: [0, 9], test: [10, 10] }', 'episodes: 1'].join('\n'));
  const bench = spawn(process.execPath, [join(root, 'bin/drivelab.mjs'), 'bench', '--suite', suite, '--record', '--episodes', '1', '--workers', '1', '--out', join(tmp, 'bench')], { cwd: root, stdio: 'ignore' });
  expect(await new Promise((ok) => bench.on('exit', ok))).toBe(0);
  const records = readdirSync(join(tmp, 'bench/records'));
  expect(records).toHaveLength(1);
  recording = join(tmp, 'bench/records', records[0]);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const NO_CHROMIUM = "skipped: no Chromium; install Debian's chromium package or set DRIVELAB_CHROMIUM";
if (!CHROMIUM) console.warn(`the viewer in a browser: ${NO_CHROMIUM}`);

describe.skipIf(!CHROMIUM)(`the viewer in a browser${CHROMIUM ? '' : ` (${NO_CHROMIUM})`}`, () => {
  let live: ViewProcess | null = null;
  let page: Page;
  let errors: string[];

  afterAll(async () => {
    if (live) await stopView(live);
  });

  it('live: drivelab view streams the agent driving, and the page draws it with its HUD, Q-values and perception', async () => {
    live = await startView(['--agent', 'models/dqn-highway', '--detector', 'oracle', '--speed', '2']);
    ({ page, errors } = await openPage(browser, live.url));
    await until(page, 'more than 10 frames', () => (globalThis as unknown as PageGlobals).drivelab.stats.frames > 10, null);
    const first = await stats(page);
    expect(first.mode).toBe('live');
    expect(first.episode?.agent).toBe('models/dqn-highway');
    // The stream keeps coming: more frames, later steps.
    await until(page, '10 more frames', (n) => (globalThis as unknown as PageGlobals).drivelab.stats.frames > n + 10, first.frames);
    const later = await stats(page);
    expect(later.last!.step).toBeGreaterThan(first.last!.step);

    // The HUD follows: the step and the return read differently a moment later.
    const [step0, return0] = [await text(page, 'hud-step'), await text(page, 'hud-return')];
    expect(step0).toMatch(/^step \d+ · \d+\.\d s( · \d+\.\d+× real time)?$/);
    await until(
      page,
      'a new step and return in the HUD',
      ([s, r]) => {
        const doc = (globalThis as unknown as PageGlobals).document;
        return doc.getElementById('hud-step')?.textContent !== s && doc.getElementById('hud-return')?.textContent !== r;
      },
      [step0, return0],
    );

    // What the DQN thinks, and what the oracle detector, the lidar and the tracker give.
    const f = later.last!;
    expect(f.values?.kind).toBe('q');
    expect(f.values?.labels).toEqual(['LANE_LEFT', 'IDLE', 'LANE_RIGHT', 'FASTER', 'SLOWER']);
    expect(f.values?.values).toHaveLength(5);
    expect(await page.locator('#hud-values .value-row').count()).toBe(5);
    expect(Array.isArray(f.detections)).toBe(true);
    expect(Array.isArray(f.tracks)).toBe(true);
    expect(f.lidar!.length).toBeGreaterThan(0);

    // The 3D view is drawn, not left clear.
    const pixels = await viewPixels(page);
    expect(pixels.width).toBeGreaterThan(1000);
    for (const v of channelVariance(pixels)) expect(v).toBeGreaterThan(MIN_VARIANCE);
    await page.screenshot({ path: join(ARTIFACTS, 'live-chase.png') });
    await page.selectOption('#camera', 'top');
    await settle(page, 500);
    for (const v of channelVariance(await viewPixels(page))) expect(v).toBeGreaterThan(MIN_VARIANCE);
    await page.screenshot({ path: join(ARTIFACTS, 'live-top.png') });
    await page.selectOption('#camera', 'chase');

    // Any same-origin client gets its own run: an episode, then frames.
    const messages = await wsMessages(live.port, `http://127.0.0.1:${live.port}`, 2);
    expect(typeof messages).not.toBe('string');
    const stream = (messages as ServerMessage[]).filter((m) => m.type !== 'status');
    expect(stream.map((m) => m.type)).toEqual(['episode', 'frame', 'frame']);
    expect(stream[0].type === 'episode' && stream[0].agent).toBe('models/dqn-highway');
    expect(stream.map((m) => (m.type === 'frame' ? m.step : m.type === 'episode' ? m.frame.step : null))).toEqual([0, 1, 2]);
    expect(errors).toEqual([]);
    expect((await stats(page)).errors).toEqual([]);
  });

  it('live: pause holds the world, step advances exactly one step, reset restarts at step 0 with the seed', async () => {
    await page.click('#play');
    await until(page, 'the paused status', () => (globalThis as unknown as PageGlobals).drivelab.stats.status?.paused === true, null);
    expect(await text(page, 'play')).toBe('play');
    // A step under way when the pause arrived may still report; nothing after it.
    await page.waitForTimeout(400);
    const held = await stats(page);
    await page.waitForTimeout(1000);
    const still = await stats(page);
    expect(still.frames).toBe(held.frames);
    expect(still.last!.step).toBe(held.last!.step);

    await page.click('#step');
    await until(page, 'the stepped frame', (n) => (globalThis as unknown as PageGlobals).drivelab.stats.frames > n, held.frames);
    await page.waitForTimeout(400);
    const stepped = await stats(page);
    expect(stepped.frames).toBe(held.frames + 1);
    expect(stepped.last!.step).toBe(held.last!.step + 1);

    await page.fill('#seed', '7');
    await page.click('#reset');
    await until(page, 'the episode of seed 7', () => (globalThis as unknown as PageGlobals).drivelab.stats.episode?.seed === 7, null);
    const reset = await stats(page);
    expect(reset.last!.step).toBe(0);
    expect(reset.status!.paused).toBe(true);
    expect(await text(page, 'hud-step')).toBe('step 0 · 0.0 s');
    expect(await text(page, 'hud-title')).toContain('seed 7');
    // The world of seed 7 as Node builds it: the same actors in the same places.
    await initPhysics();
    const world = new World(reset.episode!.scenario, 7);
    const expected = world.actors.flatMap((a) => (a.active ? [a.x, a.y] : [null, null]));
    world.free();
    const poses = reset.last!.poses;
    expect(poses.length / 4).toBe(expected.length / 2);
    expected.forEach((v, i) => {
      const got = poses[Math.floor(i / 2) * 4 + (i % 2)];
      if (v === null) expect(got).toBeNull();
      else expect(got).toBeCloseTo(v, 2);
    });

    await page.click('#play');
    await until(page, 'the run playing again', () => ((globalThis as unknown as PageGlobals).drivelab.stats.last?.step ?? 0) > 5, null);
    expect((await stats(page)).episode!.seed).toBe(7);
    expect(errors).toEqual([]);
  });

  it('live: M hands the car to the keyboard; holding ArrowLeft steers full left on a continuous agent', async () => {
    await page.selectOption('#agent', 'expert');
    await until(page, 'an episode of the expert', () => (globalThis as unknown as PageGlobals).drivelab.stats.episode?.agent === 'expert', null);
    await page.selectOption('#scenario', 'lane-keep-curvy');
    await until(page, 'an episode of lane-keep-curvy', () => (globalThis as unknown as PageGlobals).drivelab.stats.episode?.scenario.id === 'lane-keep-curvy', null);
    const episode = (await stats(page)).episode!;
    expect(episode.actions).toEqual({ type: 'continuous', names: ['steer', 'acceleration'] });
    // Keys go to the page, not to the select that has the focus.
    await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.blur?.());
    await page.keyboard.press('m');
    await page.keyboard.down('ArrowLeft');
    await until(page, 'a manual frame steering full left', () => {
      const f = (globalThis as unknown as PageGlobals).drivelab.stats.last;
      return f?.driver === 'manual' && f.action?.[0] === 1;
    }, null);
    expect((await stats(page)).last!.action).toEqual([1, 0]);
    expect(await text(page, 'hud-driver')).toBe('you are driving');
    await page.keyboard.up('ArrowLeft');
    await page.keyboard.press('m');
    await until(page, 'the agent driving again', () => (globalThis as unknown as PageGlobals).drivelab.stats.last?.driver === 'agent', null);
    expect(errors).toEqual([]);
    expect((await stats(page)).errors).toEqual([]);
  });

  it('security: the real server refuses a foreign Host, a foreign Origin and encoded traversals', async () => {
    const port = live!.port;
    const home = await rawRequest(port, '/');
    expect(home.status).toBe(200);
    expect(home.body).toContain('<title>drivelab viewer</title>');
    for (const host of ['evil.example', `evil.example:${port}`]) {
      const r = await rawRequest(port, '/', host);
      expect(r.status).toBe(403);
      expect(r.body).not.toContain('drivelab viewer');
    }
    expect(await wsMessages(port, 'http://evil.example', 1)).toMatch(/403/);
    expect(await wsMessages(port, `http://127.0.0.1:${port + 1}`, 1)).toMatch(/403/);
    // dist/viewer is two levels under the repository, whose package.json must stay unreachable.
    for (const target of ['/%2e%2e/%2e%2e/package.json', '/..%2f..%2fpackage.json', '/%2E%2E%2F%2E%2E%2Fpackage.json', '/assets/%2e%2e/%2e%2e/%2e%2e/package.json', '/..%5c..%5cpackage.json', '/%252e%252e/%252e%252e/package.json', '/./../../package.json']) {
      const r = await rawRequest(port, target);
      expect([400, 403, 404], target).toContain(r.status);
      expect(r.body, target).not.toContain('"name": "drivelab"');
    }
  });

  it('live: the server stops on SIGTERM with exit code 0', async () => {
    await page.close();
    const code = await stopView(live!);
    const stderr = live!.stderr();
    live = null;
    expect(code, stderr).toBe(0);
  });

  it('replay: the timeline spans the recording, and scrubbing moves the car to the step', async () => {
    const steps = (await readRecord(recording)).header.steps;
    const view = await startView(['--replay', recording]);
    try {
      // The top camera sits over the ego at once; the chase camera would still be gliding after a scrub.
      const { page, errors } = await openPage(browser, `${view.url}?camera=top`);
      await until(page, 'the recorded episode', () => (globalThis as unknown as PageGlobals).drivelab.stats.episodes > 0, null);
      expect((await stats(page)).mode).toBe('replay');
      expect(await page.locator('#timeline').isVisible()).toBe(true);
      expect(await page.locator('#timeline-range').getAttribute('max')).toBe(String(steps));
      const scrub = async (step: number) => {
        await page.locator('#timeline-range').evaluate((el, v) => {
          const input = el as unknown as { value: string; dispatchEvent(e: Event): boolean };
          input.value = String(v);
          input.dispatchEvent(new Event('input'));
        }, step);
        await until(page, 'the scrubbed step', (t) => (globalThis as unknown as PageGlobals).drivelab.stats.last?.step === t, step);
        // Poses ease to a frame over at most a second.
        await settle(page, 1100);
        const s = await stats(page);
        expect(s.last!.step).toBe(step);
        expect(s.status!.paused).toBe(true);
        expect(await text(page, 'timeline-label')).toMatch(new RegExp(`^step ${step} / ${steps} `));
        return { pose: s.last!.poses.slice(0, 4) as number[], pixels: await viewPixels(page) };
      };
      const a = await scrub(3);
      const b = await scrub(steps - 3);
      // The ego drove on between them: metres, not rounding; and the view shows it.
      expect(Math.hypot(b.pose[0] - a.pose[0], b.pose[1] - a.pose[1])).toBeGreaterThan(5);
      for (const v of channelVariance(b.pixels)) expect(v).toBeGreaterThan(MIN_VARIANCE);
      expect(meanAbsDiff(a.pixels, b.pixels)).toBeGreaterThan(MIN_CHANGE);
      // Back at the first step: the recording's pose, and the view as it was there (it measures ~0.05).
      const again = await scrub(3);
      expect(again.pose).toEqual(a.pose);
      expect(meanAbsDiff(again.pixels, a.pixels)).toBeLessThan(MIN_CHANGE / 4);
      await page.selectOption('#camera', 'chase');
      await scrub(steps - 3);
      await page.screenshot({ path: join(ARTIFACTS, 'replay.png') });
      expect(errors).toEqual([]);
      expect((await stats(page)).errors).toEqual([]);
      await page.close();
    } finally {
      expect(await stopView(view)).toBe(0);
    }
  });

  it('static build: with no server the page runs the world itself, the shipped DQN and CNN detector included', async () => {
    const { server, url } = await serveStatic(siteDir);
    try {
      // The page looks for drivelab view's WebSocket first; a static host has none, and Chromium logs the failed attempt.
      const { page, errors } = await openPage(browser, `${url}?agent=models/dqn-highway&detector=cnn&speed=2`, [/WebSocket connection to .* failed/]);
      await until(page, 'more than 5 frames', () => (globalThis as unknown as PageGlobals).drivelab.stats.frames > 5, null);
      const first = await stats(page);
      expect(first.mode).toBe('in-page');
      expect(first.episode?.agent).toBe('models/dqn-highway');
      expect(first.episode?.detector).toBe('cnn');
      await until(page, '5 more frames', (n) => (globalThis as unknown as PageGlobals).drivelab.stats.frames > n + 5, first.frames);
      // The CNN finds the traffic ahead in the page's own camera frames.
      await until(page, 'a CNN detection', () => ((globalThis as unknown as PageGlobals).drivelab.stats.last?.detections?.length ?? 0) > 0, null);
      const s = await stats(page);
      expect(s.last!.step).toBeGreaterThan(first.last!.step);
      expect(s.last!.values?.kind).toBe('q');
      expect(s.last!.values?.labels).toHaveLength(5);
      expect(s.last!.detections!.every((d) => d.label === 'vehicle' || d.label === 'pedestrian' || d.label === 'obstacle')).toBe(true);
      for (const v of channelVariance(await viewPixels(page))) expect(v).toBeGreaterThan(MIN_VARIANCE);
      await page.screenshot({ path: join(ARTIFACTS, 'static-cnn.png') });
      expect(errors).toEqual([]);
      expect(s.errors).toEqual([]);
      await page.close();
    } finally {
      server.close();
    }
  });
});
