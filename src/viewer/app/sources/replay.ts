/**
 * A recorded episode (drivelab-record, from `bench --record`) played back in the page: every step
 * is in the file, so the timeline can jump anywhere without simulating.
 */
import { parseRecord, type Replay } from '../../../bench/recordFormat.ts';
import { validateScenario } from '../../../../scenarios/parse.ts';
import { META_ACTIONS } from '../../../../sim/control/MetaController.ts';
import type { ClientMessage, EpisodeMessage, FrameMessage, ServerMessage } from '../../protocol.ts';
import type { Source } from './source.ts';

/** Fetches and decodes a recording (gzip JSON) */
export async function fetchReplay(url: string): Promise<Replay> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return decodeReplay(new Uint8Array(await r.arrayBuffer()), url);
}

/** Decodes the bytes of a recording file, gzip-compressed or not; errors start with `name` */
export async function decodeReplay(bytes: Uint8Array, name: string): Promise<Replay> {
  let data: unknown;
  try {
    // A gzip file starts 1f 8b; a server may also have sent it already unpacked.
    const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
    const body = new Response(gzip ? new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip')) : (bytes as BodyInit));
    data = JSON.parse(await body.text());
  } catch (err) {
    throw new Error(`${name}: not a drivelab-record file (${(err as Error).message})`);
  }
  return parseRecord(data, name);
}

export class ReplaySource implements Source {
  readonly mode = 'replay' as const;
  readonly steps: number;
  position = 0;
  paused = false;
  speed = 1;
  /** Called whenever the position changes */
  onPosition: (step: number) => void = () => {};
  private listener: (m: ServerMessage) => void = () => {};
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** When the next step is due [ms, performance.now()] */
  private due = 0;
  private readonly returns: number[];
  private readonly termNames: string[];
  private readonly episode: Omit<EpisodeMessage, 'frame'>;

  constructor(readonly replay: Replay, readonly name: string) {
    const h = replay.header;
    this.steps = h.steps;
    this.returns = [0];
    for (let t = 0; t < h.steps; t++) this.returns.push(this.returns[t] + replay.rewards[t]);
    this.termNames = Object.keys(replay.terms);
    const scenario = validateScenario(h.scenario, `${name}: scenario`);
    const discrete = scenario.action.type === 'discrete';
    this.episode = {
      type: 'episode',
      scenario,
      seed: h.seed,
      agent: h.agent,
      detector: null,
      dt: h.dt,
      actions: discrete ? { type: 'discrete', names: [...META_ACTIONS] } : { type: 'continuous', names: ['steer', 'acceleration'] },
    };
  }

  async start(listener: (m: ServerMessage) => void): Promise<void> {
    this.listener = listener;
    listener({ ...this.episode, frame: this.frame(0) });
    this.status();
    this.schedule();
  }

  /** The frame of step `t`: poses after it, its reward and terms, the return up to it */
  frame(t: number): FrameMessage {
    const r = this.replay;
    const n = r.header.actors.length * 4;
    const poses: (number | null)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const v = r.poses[t * n + i];
      poses[i] = Number.isNaN(v) ? null : v;
    }
    const rewards: Record<string, number> = {};
    if (t > 0) for (const name of this.termNames) rewards[name] = r.terms[name][t - 1];
    const size = r.header.actionSize;
    const end = t === this.steps;
    const outcome = end ? (r.header.outcome as FrameMessage['outcome']) : null;
    return {
      type: 'frame',
      step: t,
      time: t * r.header.dt,
      poses,
      speed: poses[3] ?? 0,
      reward: t > 0 ? r.rewards[t - 1] : 0,
      rewards,
      return: this.returns[t],
      action: t > 0 ? Array.from(r.actions.subarray((t - 1) * size, t * size)) : null,
      driver: 'agent',
      values: null,
      detections: null,
      lidar: null,
      tracks: null,
      outcome: outcome && ['goal', 'collision', 'off-road', 'time-limit'].includes(outcome) ? outcome : null,
    };
  }

  /** Jumps to step `t` (clamped) */
  seek(t: number): void {
    this.position = Math.max(0, Math.min(this.steps, Math.round(t)));
    this.listener(this.frame(this.position));
    this.onPosition(this.position);
  }

  /** The return curve and reward terms up to the position, for the charts */
  curves(): { time: number[]; returns: number[]; terms: Record<string, number[]> } {
    const dt = this.replay.header.dt;
    const time: number[] = [], returns: number[] = [];
    const terms: Record<string, number[]> = Object.fromEntries(this.termNames.map((n) => [n, [] as number[]]));
    for (let t = 1; t <= this.position; t++) {
      time.push(t * dt);
      returns.push(this.returns[t]);
      for (const n of this.termNames) terms[n].push(this.replay.terms[n][t - 1]);
    }
    return { time, returns, terms };
  }

  send(m: ClientMessage): void {
    if (m.type === 'pause') this.paused = true;
    else if (m.type === 'play') {
      this.paused = false;
      if (this.position >= this.steps) this.seek(0);
    } else if (m.type === 'speed') this.speed = Math.max(0.1, Math.min(16, m.speed));
    else if (m.type === 'step') {
      this.paused = true;
      if (this.position < this.steps) this.seek(this.position + 1);
    } else if (m.type === 'reset') this.seek(0);
    this.status();
    this.schedule();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private status(): void {
    this.listener({ type: 'status', paused: this.paused, speed: this.speed, scenarios: [], agents: [] });
  }

  /** Plays on a clock, as the live session does: a late timer is made up, half a second behind starts afresh */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.paused || this.position >= this.steps) return;
    this.due = performance.now();
    this.arm();
  }

  private arm(): void {
    const stepMs = (1000 * this.replay.header.dt) / this.speed;
    const next = this.due + stepMs;
    const now = performance.now();
    this.due = next < now - 500 ? now : next;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.seek(this.position + 1);
      if (this.position >= this.steps) {
        // At the end: paused there; play starts it again.
        this.paused = true;
        this.status();
      } else if (!this.paused) this.arm();
    }, Math.max(0, this.due - now));
  }
}
