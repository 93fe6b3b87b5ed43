/**
 * The viewer's frames/s in headless Chromium (WebGL on SwiftShader: the CPU draws, as on a machine
 * without a GPU) at 1280×720 on a highway with 50 vehicles: the static build running the world in
 * the page, from the chase camera and from the top camera (every vehicle in view), and the page of
 * `drivelab view` drawing what the server streams. Frames are counted by the page's
 * requestAnimationFrame loop (window.drivelab.stats.rendered), which Chromium caps at the
 * display's rate. Run directly (`node bin/run-ts.mjs bench/viewer.ts`) to print the figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { bufferIo } from '../src/io.ts';
import { buildViewer, ensureViewerBuilt } from '../src/viewer/build.ts';
import { CHROMIUM, launchChromium } from '../test/browser/chromium.ts';
import { readStats, serveStatic, startView, stopView, type PageGlobals } from '../test/browser/viewerPage.ts';

export const VIEWER_VEHICLES = 50;
export const NO_CHROMIUM = "viewer frames/s: skipped, no Chromium (install Debian's chromium package or set DRIVELAB_CHROMIUM)";
const VIEWPORT = { width: 1280, height: 720 };
/** Drawing before the count starts: shaders compile and the first episode's scene builds [ms] */
const WARMUP_MS = 2000;

export interface ViewerFps {
  /** 'in-page, chase camera', 'in-page, top camera', 'in-page, road from above' or 'live, chase camera' (drivelab view streaming) */
  name: string;
  /** Frames the renderer drew per second of the page's clock */
  framesPerSecond: number;
  /** World states the page took in per second (10 per simulated second at speed 1) */
  statesPerSecond: number;
  /** Vehicles in the episode's world besides the ego, how many of them were on the road at the end, and how many of those were inside the camera's view */
  vehicles: number;
  active: number;
  inView: number;
}

/** The page's viewer as far as these measurements need it (src/viewer/app/Viewer.ts; `orbit` is private there) */
interface ViewerInPage {
  camera: { fov: number; aspect: number; matrixWorldInverse: { elements: number[] }; projectionMatrix: { elements: number[] }; position: { set(x: number, y: number, z: number): void } };
  orbit: { target: { set(x: number, y: number, z: number): void }; update(): void };
  view: { world: { actors: { x: number; y: number; active: boolean }[] } };
}

/** Lifts the orbit camera straight above the traffic, high enough that every vehicle is in the picture, with a margin for their moving apart */
async function overTheWholeRoad(page: Page): Promise<void> {
  await page.evaluate(() => {
    const v = (globalThis as unknown as { drivelab: { viewer: ViewerInPage } }).drivelab.viewer;
    const xs = v.view.world.actors.filter((a) => a.active).map((a) => a.x);
    const ys = v.view.world.actors.filter((a) => a.active).map((a) => a.y);
    const cx = (Math.min(...xs) + Math.max(...xs)) / 2, cy = (Math.min(...ys) + Math.max(...ys)) / 2;
    const halfHeight = Math.tan((v.camera.fov * Math.PI) / 360);
    const h = 1.5 * Math.max((Math.max(...xs) - Math.min(...xs)) / (2 * halfHeight * v.camera.aspect), (Math.max(...ys) - Math.min(...ys)) / (2 * halfHeight)) + 30;
    v.orbit.target.set(cx, 0, -cy);
    v.camera.position.set(cx, h, -cy + 0.01);
    v.orbit.update();
  });
}

/** Opens `url` at 1280×720, waits for the world's first frames and a warm-up, then counts the frames drawn over `seconds`. */
async function measure(browser: Browser, name: string, url: string, seconds: number, setup?: (page: Page) => Promise<void>): Promise<ViewerFps> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(url);
    await page.waitForFunction(() => {
      const s = (globalThis as unknown as PageGlobals).drivelab.stats;
      return s.frames > 0 && s.rendered > 0;
    }, null, { polling: 100, timeout: 120_000 });
    await setup?.(page);
    await page.waitForTimeout(WARMUP_MS);
    const clock = () => page.evaluate(() => ({ t: performance.now(), s: (globalThis as unknown as PageGlobals).drivelab.stats }));
    const a = await clock();
    await page.waitForTimeout(seconds * 1000);
    const b = await clock();
    const stats = await readStats(page);
    // Actors (the ego first) whose ground position projects inside the picture; occlusion aside.
    const inView = await page.evaluate(() => {
      const v = (globalThis as unknown as { drivelab: { viewer: ViewerInPage } }).drivelab.viewer;
      const view = v.camera.matrixWorldInverse.elements, proj = v.camera.projectionMatrix.elements;
      let n = 0;
      // No named functions in here: tsx would wrap them in a helper the page does not have.
      for (const a of v.view.world.actors.slice(1)) {
        if (!a.active) continue;
        // World (x east, y north) to three's (x, y up, z south); column-major 4×4 matrices.
        const p = [a.x, 0.8, -a.y, 1];
        const c = [0, 1, 2, 3].map((r) => view[r] * p[0] + view[4 + r] * p[1] + view[8 + r] * p[2] + view[12 + r] * p[3]);
        const [x, y, , w] = [0, 1, 2, 3].map((r) => proj[r] * c[0] + proj[4 + r] * c[1] + proj[8 + r] * c[2] + proj[12 + r] * c[3]);
        if (w > 0 && Math.abs(x / w) <= 1 && Math.abs(y / w) <= 1) n++;
      }
      return n;
    });
    const errorList = [...errors, ...stats.errors];
    if (errorList.length > 0) throw new Error(`${name}: the page reported ${errorList[0]}`);
    const poses = stats.last?.poses ?? stats.episode!.frame.poses;
    const elapsed = (b.t - a.t) / 1000;
    return {
      name,
      framesPerSecond: (b.s.rendered - a.s.rendered) / elapsed,
      statesPerSecond: (b.s.frames - a.s.frames) / elapsed,
      vehicles: stats.episode!.frame.poses.length / 4 - 1,
      active: poses.filter((v, i) => i % 4 === 0 && v !== null).length - 1,
      inView,
    };
  } finally {
    await page.close();
  }
}

/** The three figures, `seconds` of counting each; needs Chromium (CHROMIUM not null) */
export async function viewerFramesPerSecond(seconds = 10): Promise<ViewerFps[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'drivelab-viewer-bench-'));
  const browser = await launchChromium();
  try {
    const site = join(tmp, 'site');
    await buildViewer({ outDir: site, models: true, quiet: true });
    await ensureViewerBuilt(bufferIo());
    const out: ViewerFps[] = [];
    const { server, url } = await serveStatic(site);
    try {
      const query = `?mode=in-page&scenario=highway&set=traffic.vehicles=${VIEWER_VEHICLES}`;
      out.push(await measure(browser, 'in-page, chase camera', `${url}${query}&camera=chase`, seconds));
      out.push(await measure(browser, 'in-page, top camera', `${url}${query}&camera=top`, seconds));
      out.push(await measure(browser, 'in-page, road from above', `${url}${query}&camera=orbit`, seconds, overTheWholeRoad));
    } finally {
      server.close();
    }
    const view = await startView(['--scenario', 'highway', '--set', `traffic.vehicles=${VIEWER_VEHICLES}`]);
    try {
      out.push(await measure(browser, 'live, chase camera', `${view.url}?camera=chase`, seconds));
    } finally {
      await stopView(view);
    }
    return out;
  } finally {
    await browser.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** One line per figure, as bench/perf.ts prints its rows */
export function viewerRow(r: ViewerFps): { name: string; value: number; unit: string; note: string } {
  return {
    name: `viewer 1280×720, ${VIEWER_VEHICLES} vehicles, ${r.name}`,
    value: r.framesPerSecond,
    unit: 'frames/s',
    note: `${r.vehicles} vehicles placed, ${r.active} on the road, ${r.inView} in view; ${r.statesPerSecond.toFixed(1)} world states/s`,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!CHROMIUM) {
    process.stdout.write(`${NO_CHROMIUM}\n`);
  } else {
    const loadAtStart = loadavg().map((x) => x.toFixed(2)).join(' ');
    const rows = (await viewerFramesPerSecond()).map(viewerRow);
    const load = loadavg().map((x) => x.toFixed(2)).join(' ');
    process.stdout.write(`drivelab viewer frames/s · headless Chromium, SwiftShader · load at start ${loadAtStart}, at end ${load}\n\n`);
    for (const r of rows) process.stdout.write(`${r.name.padEnd(58)} ${r.value.toFixed(1).padStart(8)} ${r.unit}  ${r.note}\n`);
  }
}
