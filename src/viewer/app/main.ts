/**
 * The viewer page. Served by `drivelab view`, it draws the world the server streams (or the
 * recording it serves); opened from the static build, it runs the world itself.
 *
 * Query parameters of the static build: scenario, agent, detector, seed, speed, paused=1,
 * camera, set=<path>=<json value> (repeatable), e.g. `?scenario=highway&set=traffic.vehicles=49`,
 * and replay=<url of a recording> to play one back.
 */
import './style.css';
import { setOwn, type ScenarioOverrides } from '../../../scenarios/parse.ts';
import type { EpisodeMessage, ManualAction, ServerMessage } from '../protocol.ts';
import { CAMERA_MODES, Viewer, type CameraMode } from './Viewer.ts';
import { LocalSource, PAGE_DETECTORS, pageHost, shippedModels } from './sources/local.ts';
import { decodeReplay, fetchReplay, ReplaySource } from './sources/replay.ts';
import type { Source } from './sources/source.ts';
import { openSocket, SocketSource } from './sources/ws.ts';

const SPEEDS = [0.1, 0.25, 0.5, 1, 2, 4, 8, 16];
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const viewer = new Viewer($('app'));
(window as unknown as { drivelab: unknown }).drivelab = { stats: viewer.stats, viewer };
window.addEventListener('error', (e) => viewer.error(e.message));
window.addEventListener('unhandledrejection', (e) => viewer.error(String((e.reason as Error)?.message ?? e.reason)));

const params = new URLSearchParams(location.search);
let source: Source | null = null;
let actions: { type: 'discrete' | 'continuous'; names: string[] } = { type: 'continuous', names: [] };

function fill(select: HTMLSelectElement, values: readonly (string | number)[], selected: string | number, label = (v: string | number) => String(v)): void {
  const want = String(selected);
  if (select.options.length === values.length && [...select.options].every((o, i) => o.value === String(values[i]))) {
    select.value = want;
    return;
  }
  select.replaceChildren(...values.map((v) => new Option(label(v), String(v), false, String(v) === want)));
}

fill($('speed'), SPEEDS, 1, (v) => `${v}×`);
fill($('camera'), CAMERA_MODES, 'chase');

/** A URL parameter that must be a whole number ≥ 0; a bad one is said once and the default used */
function wholeParam(name: string, fallback: number): number {
  const text = params.get(name);
  if (text === null) return fallback;
  if (/^\d{1,15}$/.test(text)) return Number(text);
  viewer.error(`${name}=${text}: expected a whole number from 0; using ${fallback}`);
  return fallback;
}

function numberParam(name: string, fallback: number, min: number, max: number): number {
  const text = params.get(name);
  if (text === null) return fallback;
  const v = Number(text);
  if (text.trim() !== '' && v >= min && v <= max) return v;
  viewer.error(`${name}=${text}: expected a number from ${min} to ${max}; using ${fallback}`);
  return fallback;
}

async function pickSource(): Promise<Source> {
  const forced = params.get('mode');
  if (forced !== 'in-page') {
    const socket = await openSocket();
    if (socket) {
      const ws = new SocketSource(socket, () => viewer.error('the connection to drivelab view closed; restart it and reload the page'));
      const first = await ws.first();
      if (first.type === 'replay') {
        ws.close();
        return new ReplaySource(await fetchReplay(first.url), first.name);
      }
      return ws;
    }
  }
  const replay = params.get('replay');
  if (replay) return new ReplaySource(await fetchReplay(replay), replay.split('/').pop() ?? replay);
  const overrides: ScenarioOverrides = {};
  for (const entry of params.getAll('set')) {
    const eq = entry.indexOf('=');
    if (eq < 1) throw new Error(`set=${entry}: expected <path>=<value>, e.g. traffic.vehicles=49`);
    const path = entry.slice(0, eq).split('.');
    let value: unknown = entry.slice(eq + 1);
    try {
      value = JSON.parse(value as string);
    } catch {
      // a plain string
    }
    // Scenario fields are plain names: nothing here may reach an object's prototype.
    const bad = path.find((key) => !/^[A-Za-z0-9_]+$/.test(key) || key === '__proto__' || key === 'constructor' || key === 'prototype');
    if (bad !== undefined) throw new Error(`set=${entry}: ${JSON.stringify(bad)} is not a scenario field name`);
    let at = overrides as Record<string, unknown>;
    for (const key of path.slice(0, -1)) {
      if (!Object.hasOwn(at, key) || typeof at[key] !== 'object' || at[key] === null) setOwn(at, key, {});
      at = at[key] as Record<string, unknown>;
    }
    setOwn(at, path[path.length - 1], value);
  }
  const detector = params.get('detector') || null;
  const index = await shippedModels();
  const start = {
    scenario: params.get('scenario') ?? 'highway',
    agent: params.get('agent') ?? 'expert',
    seed: wholeParam('seed', 0),
    speed: numberParam('speed', 1, 0.1, 16),
    paused: params.get('paused') === '1',
    detector,
    overrides,
  };
  fill($('detector'), ['', ...PAGE_DETECTORS], detector ?? '', (v) => (v === '' ? 'none' : String(v)));
  return new LocalSource(pageHost(index, start), start);
}

function onMessage(m: ServerMessage): void {
  if (m.type === 'status') {
    $('play').textContent = m.paused ? 'play' : 'pause';
    $('timeline-play').textContent = m.paused ? 'play' : 'pause';
    fill($('speed'), SPEEDS.includes(m.speed) ? SPEEDS : [...SPEEDS, m.speed].sort((a, b) => a - b), m.speed, (v) => `${v}×`);
    if (m.scenarios.length) fill($('scenario'), m.scenarios, viewer.stats.episode?.scenario.id ?? m.scenarios[0]);
    if (m.agents.length) fill($('agent'), m.agents, viewer.stats.episode?.agent ?? m.agents[0]);
  } else if (m.type === 'episode') {
    // Another scenario or agent hands the car back to the agent; a new episode of the same keeps you driving.
    const before = viewer.stats.episode === m ? previousEpisode : viewer.stats.episode;
    if (manual && before && (before.scenario.id !== m.scenario.id || before.agent !== m.agent)) setManual(false);
    previousEpisode = m;
    actions = m.actions;
    document.body.classList.toggle('no-perception', m.detector === null);
    ($('seed') as HTMLInputElement).value = String(m.seed);
    const scenarios = $<HTMLSelectElement>('scenario');
    if ([...scenarios.options].some((o) => o.value === m.scenario.id)) scenarios.value = m.scenario.id;
    const agents = $<HTMLSelectElement>('agent');
    if ([...agents.options].some((o) => o.value === m.agent)) agents.value = m.agent;
    if (manual) sendManual();
  }
}

// Manual driving: arrow keys or WASD. Continuous: steer and accelerate while held; discrete: the
// meta-action of the key held, IDLE otherwise.
let manual = false;
let previousEpisode: EpisodeMessage | null = null;
const held = new Set<string>();
const KEYS: Record<string, string> = { ArrowUp: 'up', KeyW: 'up', ArrowDown: 'down', KeyS: 'down', ArrowLeft: 'left', KeyA: 'left', ArrowRight: 'right', KeyD: 'right' };

function manualAction(): ManualAction {
  const up = held.has('up'), down = held.has('down'), left = held.has('left'), right = held.has('right');
  if (actions.type === 'discrete') {
    const pick = (name: string) => Math.max(0, actions.names.indexOf(name));
    if (left) return pick('LANE_LEFT');
    if (right) return pick('LANE_RIGHT');
    if (up) return pick('FASTER');
    if (down) return pick('SLOWER');
    return pick('IDLE');
  }
  return [(left ? 1 : 0) - (right ? 1 : 0), up ? 1 : down ? -1 : 0];
}

function sendManual(): void {
  source?.send({ type: 'manual', action: manual ? manualAction() : null });
}

function setManual(on: boolean): void {
  manual = on;
  $('manual').classList.toggle('on', on);
  $('manual').textContent = on ? 'hand back to the agent' : 'drive yourself';
  held.clear();
  sendManual();
}

function togglePause(): void {
  const paused = viewer.stats.status?.paused ?? false;
  source?.send({ type: paused ? 'play' : 'pause' });
}

function wire(): void {
  $('play').onclick = togglePause;
  $('timeline-play').onclick = togglePause;
  $('step').onclick = () => source?.send({ type: 'step' });
  $('speed').onchange = (e) => source?.send({ type: 'speed', speed: Number((e.target as HTMLSelectElement).value) });
  $('reset').onclick = () => source?.send({ type: 'reset', seed: Math.max(0, Math.floor(Number(($('seed') as HTMLInputElement).value) || 0)) });
  // A switch plays the seed in the field, so one typed before switching is kept.
  const typedSeed = () => {
    const text = ($('seed') as HTMLInputElement).value;
    return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
  };
  $('scenario').onchange = (e) => source?.send({ type: 'scenario', id: (e.target as HTMLSelectElement).value, seed: typedSeed() });
  $('agent').onchange = (e) => source?.send({ type: 'agent', id: (e.target as HTMLSelectElement).value, seed: typedSeed() });
  $('detector').onchange = (e) => {
    const url = new URL(location.href);
    const value = (e.target as HTMLSelectElement).value;
    if (value) url.searchParams.set('detector', value);
    else url.searchParams.delete('detector');
    const episode = viewer.stats.episode;
    if (episode) {
      url.searchParams.set('scenario', episode.scenario.id);
      url.searchParams.set('agent', episode.agent);
    }
    location.href = url.href;
  };
  $('camera').onchange = (e) => viewer.setCamera((e.target as HTMLSelectElement).value as CameraMode);
  $('manual').onclick = () => setManual(!manual);
  $('back-live').onclick = () => location.reload();
  $<HTMLInputElement>('open-recording').onchange = async (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return;
    try {
      const replay = new ReplaySource(await decodeReplay(new Uint8Array(await file.arrayBuffer()), file.name), file.name);
      if (manual) setManual(false);
      source?.close();
      await use(replay);
    } catch (err) {
      viewer.error((err as Error).message);
    }
  };
  for (const [id, key] of [['show-lidar', 'lidar'], ['show-tracks', 'tracks'], ['show-boxes', 'boxes']] as const) {
    $(id).onchange = (e) => {
      viewer.show[key] = (e.target as HTMLInputElement).checked;
      viewer.redrawInset();
    };
  }
  window.addEventListener('keydown', (e) => {
    if ((e.target as HTMLElement).tagName === 'INPUT' || (e.target as HTMLElement).tagName === 'SELECT') return;
    const dir = KEYS[e.code];
    if (dir && manual) {
      e.preventDefault();
      if (!held.has(dir)) {
        held.add(dir);
        sendManual();
      }
      return;
    }
    if (e.code === 'Space') {
      e.preventDefault();
      togglePause();
    } else if (e.code === 'KeyN') source?.send({ type: 'step' });
    else if (e.code === 'KeyR') $('reset').click();
    else if (e.code === 'KeyM' && source?.mode !== 'replay') setManual(!manual);
    else if (e.code === 'KeyC') {
      const next = CAMERA_MODES[(CAMERA_MODES.indexOf(viewer.cameraMode) + 1) % CAMERA_MODES.length];
      ($('camera') as HTMLSelectElement).value = next;
      viewer.setCamera(next);
    }
  });
  window.addEventListener('keyup', (e) => {
    const dir = KEYS[e.code];
    if (dir && held.delete(dir) && manual) sendManual();
  });
}

function wireTimeline(replay: ReplaySource): void {
  const range = $<HTMLInputElement>('timeline-range');
  const label = $('timeline-label');
  $('timeline').hidden = false;
  range.max = String(replay.steps);
  const show = (t: number) => {
    range.value = String(t);
    label.textContent = `step ${t} / ${replay.steps} · ${(t * replay.replay.header.dt).toFixed(1)} s`;
  };
  replay.onPosition = (t) => {
    show(t);
    const c = replay.curves();
    viewer.charts.setAll(c.time, c.returns, c.terms);
  };
  range.oninput = () => {
    replay.send({ type: 'pause' });
    replay.seek(Number(range.value));
  };
  show(0);
}

/** Shows what `next` sends from now on */
async function use(next: Source): Promise<void> {
  source = next;
  viewer.stats.mode = next.mode;
  document.body.classList.remove('mode-live', 'mode-in-page', 'mode-replay');
  document.body.classList.add(`mode-${next.mode}`);
  // A replay opened from the static page keeps its way back: the page's own controls.
  if (next.mode === 'replay' && !params.get('replay') && viewer.stats.episodes > 0) document.body.classList.add('mode-replay-in-page');
  $('mode').textContent = next.mode === 'live' ? 'live · drivelab view' : next.mode === 'replay' ? `replay · ${(next as ReplaySource).name}` : 'in the page';
  $('help').textContent = next.mode === 'replay' ? 'space play or pause · N next step · drag the timeline to scrub · C camera' : 'space pause · N step · R reset · C camera · M drive yourself (arrows / WASD)';
  if (next instanceof ReplaySource) wireTimeline(next);
  else $('timeline').hidden = true;
  await next.start((m) => {
    if (source === next) viewer.receive(m);
  });
}

async function main(): Promise<void> {
  wire();
  viewer.onMessage = onMessage;
  const camera = params.get('camera');
  if (camera && (CAMERA_MODES as string[]).includes(camera)) {
    ($('camera') as HTMLSelectElement).value = camera;
    viewer.setCamera(camera as CameraMode);
  } else if (camera) {
    viewer.error(`camera=${camera}: expected one of ${CAMERA_MODES.join(', ')}`);
  }
  await use(await pickSource());
}

main().catch((err: unknown) => {
  viewer.error((err as Error).message ?? String(err));
  $('mode').textContent = 'failed';
});
