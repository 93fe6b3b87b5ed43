/**
 * `drivelab view`: the 3D viewer. Runs the world in Node and streams it to the page over a
 * WebSocket, or serves one recorded episode for the page to replay. Binds to 127.0.0.1 unless told
 * otherwise, prints the URL, and runs until interrupted.
 */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { readRecord, type Replay } from '../bench/record.ts';
import { ScenarioError, validateScenario } from '../../scenarios/parse.ts';
import { initPhysics } from '../../sim/world/physics.ts';
import { World } from '../../sim/world/World.ts';
import { benchDetector, detectorFailure } from '../bench/jobs.ts';
import { UsageError } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { parseSetFlags } from '../overrides.ts';
import { scenarioForRun } from '../agents.ts';
import { ensureViewerBuilt, viewerDist } from '../viewer/build.ts';
import { nodeHost } from '../viewer/nodeHost.ts';
import { startViewerServer } from '../viewer/server.ts';
import { ViewerSession } from '../viewer/session.ts';
import { MAX_SPEED, MIN_SPEED } from '../viewer/session.ts';
import { BACKENDS } from '../../perception/runtime/backends.ts';

export interface ViewOptions {
  scenario?: string;
  agent: string;
  detector?: string;
  replay?: string;
  seed: string;
  speed: string;
  port: string;
  host: string;
  allowHost: string[];
  set: string[];
  paused?: boolean;
  backend: string;
}

/**
 * Checks that the page can show a recording: its scenario is valid and builds a world with the
 * recording's actors (same kinds, in order). Errors start with the file's name.
 */
async function checkReplayable(replay: Replay, file: string): Promise<void> {
  const scenario = validateScenario(replay.header.scenario, `${file}: scenario`);
  await initPhysics();
  const world = new World(scenario, replay.header.seed);
  try {
    const kinds = world.actors.map((a) => a.kind).join(',');
    const recorded = replay.header.actors.map((a) => a.kind).join(',');
    if (kinds !== recorded) throw new Error(`${file}: actors: the recording has ${replay.header.actors.length}, the scenario with seed ${replay.header.seed} makes ${world.actors.length}${world.actors.length === replay.header.actors.length ? ' of other kinds' : ''}`);
  } finally {
    world.free();
  }
}

/** The URL path the page fetches a replayed recording from */
const REPLAY_PATH = '/api/replay';

export async function viewCommand(opts: ViewOptions, io: CliIo): Promise<number> {
  const seed = /^\d+$/.test(opts.seed) ? Number(opts.seed) : NaN;
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed ${opts.seed}: expected a non-negative integer`);
  const port = /^\d+$/.test(opts.port) ? Number(opts.port) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port ${opts.port}: expected a port number from 0 to 65535 (0: any free port)`);
  const speed = Number(opts.speed);
  if (!(speed >= MIN_SPEED && speed <= MAX_SPEED)) throw new UsageError(`--speed ${opts.speed}: expected simulated seconds per wall second, from ${MIN_SPEED} to ${MAX_SPEED}`);
  if (opts.host.trim() === '') throw new UsageError(`--host: empty; expected an address to bind, e.g. 127.0.0.1 (the default)`);
  if (!(BACKENDS as readonly string[]).includes(opts.backend)) throw new UsageError(`--backend ${opts.backend}: expected one of ${BACKENDS.join(', ')}`);

  let connect: Parameters<typeof startViewerServer>[0]['connect'];
  const files: Record<string, string> = {};
  if (opts.replay !== undefined) {
    const live = (['scenario', 'detector'] as const).filter((k) => opts[k] !== undefined);
    if (opts.agent !== 'expert') live.push('agent' as never);
    if (opts.set.length > 0) live.push('set' as never);
    if (live.length > 0) throw new UsageError(`--replay: shows a recorded episode; --${live[0]} only means something for a live run`);
    if (!existsSync(opts.replay)) throw new UsageError(`--replay ${opts.replay}: no such file; expected a drivelab-record file (.drec.json.gz) from bench --record`);
    if (!statSync(opts.replay).isFile()) throw new UsageError(`--replay ${opts.replay}: is a directory; expected a drivelab-record file (.drec.json.gz), such as one in a bench run's records/`);
    try {
      await checkReplayable(await readRecord(opts.replay), opts.replay);
    } catch (err) {
      // A scenario's problems come one per line: the first says what is wrong, and where.
      const first = err instanceof ScenarioError ? err.problems[0] : (err as Error).message;
      const more = err instanceof ScenarioError && err.problems.length > 1 ? ` (and ${err.problems.length - 1} more)` : '';
      throw new UsageError(`--replay ${first}${more}`);
    }
    files[REPLAY_PATH] = opts.replay;
    const name = basename(opts.replay);
    connect = (send) => {
      send({ type: 'replay', url: REPLAY_PATH.slice(1), name });
      return { message: () => {}, close: () => {} };
    };
  } else {
    const overrides = parseSetFlags(opts.set);
    // Everything the first run needs is checked now, so a bad flag is one line before any server starts.
    const scenario = (await scenarioForRun(opts.agent, opts.scenario, overrides)).id;
    const scenarioArg = opts.scenario ?? scenario;
    const detector = opts.detector ?? null;
    if (opts.backend !== 'auto') process.env.DRIVELAB_BACKEND = opts.backend;
    const host = nodeHost({ scenario: scenarioArg, agent: opts.agent, detector, overrides });
    // One frame through the detector: one that does not load or breaks its contract fails here.
    try {
      if (detector !== null) await benchDetector(detector);
      const run = await host.open(scenarioArg, opts.agent);
      await run.perceived?.reset({ seed });
      run.close();
    } catch (err) {
      if (detector !== null && err instanceof Error && err.message.startsWith('PerceivedEnv: ')) throw new UsageError(`--detector ${detector}: ${err.message.slice('PerceivedEnv: '.length)}`);
      throw detector !== null ? detectorFailure(err, detector) : err;
    }
    connect = (send) => {
      const session = new ViewerSession(host, send, { scenario: scenarioArg, agent: opts.agent, seed, speed, paused: opts.paused });
      void session.start();
      return { message: (msg) => void session.handle(msg), close: () => session.close() };
    };
  }

  await ensureViewerBuilt(io);
  let server;
  try {
    server = await startViewerServer({ root: viewerDist(), host: opts.host, port, allowedHosts: opts.allowHost, files, connect });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new UsageError(`--port ${port}: already in use; pass another port, or --port 0 for any free one`);
    if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') throw new UsageError(`--host ${opts.host}: not an address of this machine`);
    throw err;
  }
  io.stdout(`drivelab view: ${server.url}  (Ctrl-C to stop)\n`);
  if (!['127.0.0.1', 'localhost', '::1'].includes(opts.host)) {
    io.stderr(`listening on ${opts.host}: other machines may connect; a page is answered only under the names 127.0.0.1, localhost${opts.allowHost.length ? `, ${opts.allowHost.join(', ')}` : ''} (add one with --allow-host)\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
