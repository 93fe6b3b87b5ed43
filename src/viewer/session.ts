/**
 * One viewer's run of the world: an env, the agent driving it, and the detector and fusion when
 * one runs. It steps in real time times a speed factor, takes the page's controls (pause, step,
 * speed, reset, manual driving, another scenario or agent) and sends a frame after every step.
 *
 * It uses nothing of Node or of the browser beyond timers: `drivelab view` runs it in Node behind
 * a WebSocket, and the static build runs it in the page. What differs between the two (where
 * policies and detectors are loaded from) comes in through `SessionHost.open`.
 */
import type { Policy } from '../../agents/common/Policy.ts';
import type { PerceivedEnv } from '../../perception/perceivedEnv.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import { META_ACTIONS } from '../../sim/control/MetaController.ts';
import type { Action, Observation } from '../../sim/env/DrivingEnv.ts';
import type { Env, Info, StepResult } from '../../sim/env/Env.ts';
import type { ActionValues, ClientMessage, EpisodeMessage, FrameMessage, ManualAction, ServerMessage, ViewerTrack } from './protocol.ts';

/** What `SessionHost.open` builds for a scenario and an agent */
export interface OpenedRun {
  /** The env, with its time limit */
  env: Env<Observation, Action>;
  /** The same env seen through the detector and fusion, when a detector runs; the agent then acts on its observations */
  perceived: PerceivedEnv | null;
  policy: Policy<Observation, Action>;
  agent: string;
  detector: string | null;
  /** Frees what `open` made */
  close(): void;
}

/** The run of an env, its policy and perception, closing the env and freeing the policy's networks */
export function openedRun(env: OpenedRun['env'], policy: OpenedRun['policy'], perceived: PerceivedEnv | null, agent: string, detector: string | null): OpenedRun {
  return {
    env,
    perceived,
    policy,
    agent,
    detector,
    close: () => {
      env.close();
      (policy as { dispose?(): void }).dispose?.();
    },
  };
}

export interface SessionHost {
  /** Scenario ids the page offers */
  scenarios: string[];
  /** Agent ids the page offers */
  agents: string[];
  open(scenario: string, agent: string): Promise<OpenedRun>;
}

export interface SessionStart {
  scenario: string;
  agent: string;
  seed: number;
  /** Simulated seconds per wall second (default 1) */
  speed?: number;
  paused?: boolean;
  /** Wall time between the end of an episode and the next one [ms] (default 1,500) */
  pauseBetweenMs?: number;
}

export const MIN_SPEED = 0.1;
export const MAX_SPEED = 16;
const CONTINUOUS_NAMES = ['steer', 'acceleration'];


export class ViewerSession {
  private run: OpenedRun | null = null;
  private scenarioId: string;
  private agentId: string;
  private seed: number;
  private speed: number;
  private paused: boolean;
  private readonly pauseBetweenMs: number;
  private observation: Observation = {};
  private step = 0;
  private total = 0;
  private done = false;
  private manual: ManualAction | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** When the next step is due [ms, Date.now()] */
  private due = 0;
  /** The one step, reset or switch in progress; every change waits for it */
  private busy: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly host: SessionHost, private readonly send: (msg: ServerMessage) => void, start: SessionStart) {
    this.scenarioId = start.scenario;
    this.agentId = start.agent;
    this.seed = start.seed;
    this.speed = clampSpeed(start.speed ?? 1);
    this.paused = start.paused ?? false;
    this.pauseBetweenMs = start.pauseBetweenMs ?? 1500;
  }

  /** Opens the first run and starts the clock; rejects when the run cannot be opened */
  async start(): Promise<void> {
    await this.serial(async () => {
      await this.open();
      await this.reset();
    });
    this.sendStatus();
    this.schedule(0);
  }

  /** Carries out one message from the page. Failures reach the page as a status error line. */
  handle(msg: ClientMessage): Promise<void> {
    switch (msg.type) {
      case 'pause':
        this.paused = true;
        this.cancel();
        this.sendStatus();
        return Promise.resolve();
      case 'play':
        this.paused = false;
        this.sendStatus();
        this.schedule(0);
        return Promise.resolve();
      case 'speed':
        this.speed = clampSpeed(msg.speed);
        this.sendStatus();
        return Promise.resolve();
      case 'step':
        this.paused = true;
        this.cancel();
        this.sendStatus();
        return this.serial(() => (this.done ? this.reset() : this.advance()));
      case 'reset':
        return this.serial(() => this.reset(msg.seed ?? this.seed));
      case 'manual':
        return this.setManual(msg.action);
      case 'scenario':
        return this.switchTo({ scenario: msg.id, seed: msg.seed });
      case 'agent':
        return this.switchTo({ agent: msg.id, seed: msg.seed });
    }
  }

  /** Stops the clock and frees the run */
  close(): void {
    this.closed = true;
    this.cancel();
    void this.busy.then(() => {
      this.run?.close();
      this.run = null;
    });
  }

  /** Another scenario or agent, the other kept as it is when this switch's turn comes */
  private async switchTo(change: { scenario?: string; agent?: string; seed?: number }): Promise<void> {
    await this.serial(async () => {
      const scenario = change.scenario ?? this.scenarioId;
      const agent = change.agent ?? this.agentId;
      if (scenario !== this.scenarioId && !this.host.scenarios.includes(scenario)) throw new Error(`scenario ${JSON.stringify(scenario)}: expected one of ${this.host.scenarios.join(', ')}`);
      if (agent !== this.agentId && !this.host.agents.includes(agent)) throw new Error(`agent ${JSON.stringify(agent)}: expected one of ${this.host.agents.join(', ')}`);
      const before = [this.scenarioId, this.agentId] as const;
      [this.scenarioId, this.agentId] = [scenario, agent];
      try {
        await this.open();
      } catch (err) {
        [this.scenarioId, this.agentId] = before;
        throw err;
      }
      await this.reset(change.seed ?? this.seed);
      this.sendStatus();
      this.schedule(0);
    }, false);
  }

  private async setManual(action: ManualAction | null): Promise<void> {
    if (action !== null && this.run) {
      const space = this.run.env.actionSpace;
      if (space.type === 'discrete') {
        if (typeof action !== 'number' || !Number.isInteger(action) || action < 0 || action >= space.n) return this.fail(`manual action: expected an integer in [0, ${space.n}), got ${JSON.stringify(action)}`);
      } else if (!Array.isArray(action) || action.length !== CONTINUOUS_NAMES.length || !action.every(Number.isFinite)) {
        return this.fail(`manual action: expected [steer, acceleration] in [-1, 1], got ${JSON.stringify(action)}`);
      } else {
        action = action.map((v) => Math.max(-1, Math.min(1, v)));
      }
    }
    this.manual = action;
  }

  /**
   * Runs `work` after whatever is in progress. An error becomes a status line; one in the world
   * (`stops`: a step or reset) also pauses the clock, so that it is said once, not every step.
   */
  private serial(work: () => Promise<void>, stops = true): Promise<void> {
    const next = this.busy.then(work).catch((err: unknown) => {
      if (stops) {
        this.paused = true;
        this.cancel();
      }
      this.fail((err as Error).message ?? String(err));
    });
    this.busy = next;
    return next;
  }

  private fail(message: string): void {
    // One line: a message from elsewhere (a file name, an id) may hold line breaks.
    this.sendStatus(message.replace(/\s*\n\s*/g, ' '));
  }

  private async open(): Promise<void> {
    const run = await this.host.open(this.scenarioId, this.agentId);
    this.run?.close();
    this.run = run;
    this.manual = null;
  }

  private async reset(seed = this.seed): Promise<void> {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed ${seed}: expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`);
    const run = this.run;
    if (!run) throw new Error(`nothing to run: scenario ${JSON.stringify(this.scenarioId)} with agent ${JSON.stringify(this.agentId)} did not load; choose another`);
    this.seed = seed;
    const r = run.perceived ? await run.perceived.reset({ seed }) : run.env.reset({ seed });
    run.policy.reset(seed);
    this.observation = r.observation;
    this.step = 0;
    this.total = 0;
    this.done = false;
    const scenario = run.env.unwrapped.scenario;
    const space = run.env.actionSpace;
    const episode: EpisodeMessage = {
      type: 'episode',
      scenario: scenario as Scenario,
      seed,
      agent: run.agent,
      detector: run.detector,
      dt: scenario.sim.stepDt,
      actions: space.type === 'discrete' ? { type: 'discrete', names: [...META_ACTIONS].slice(0, space.n) } : { type: 'continuous', names: CONTINUOUS_NAMES },
      frame: this.frame(null, 0, {}, null),
    };
    this.send(episode);
  }

  /** One env step with the agent's (or the keyboard's) action */
  private async advance(): Promise<void> {
    const run = this.run;
    if (!run || this.done) return;
    const values = run.policy.explain?.(this.observation) ?? null;
    const manual = this.manual;
    const action: Action = manual === null ? run.policy.act(this.observation, { deterministic: true }) : typeof manual === 'number' ? manual : Float32Array.from(manual);
    const r: StepResult<Observation> = run.perceived ? await run.perceived.step(action) : run.env.step(action);
    this.observation = r.observation;
    this.step++;
    this.total += r.reward;
    this.done = r.terminated || r.truncated;
    if (values && typeof action === 'number') values.chosen = action;
    this.send(this.frame(action, r.reward, r.info, values));
  }

  private frame(action: Action | null, reward: number, info: Info, values: ActionValues | null): FrameMessage {
    const run = this.run!;
    const world = run.env.unwrapped.world;
    const poses: (number | null)[] = [];
    for (const a of world.actors) {
      if (a.active) poses.push(round(a.x, 3), round(a.y, 3), round(a.heading, 4), round(a.speed, 3));
      else poses.push(null, null, null, null);
    }
    const p = run.perceived;
    let lidar: number[] | null = null;
    let tracks: ViewerTrack[] | null = null;
    if (p) {
      const pts = p.pipeline.points;
      lidar = new Array<number>(pts.count * 3);
      for (let i = 0; i < pts.count * 3; i++) lidar[i] = round(pts.world[i], 2);
      tracks = p.tracks.map((t) => ({
        id: t.id,
        label: t.label,
        x: round(t.position[0], 3),
        y: round(t.position[1], 3),
        vx: round(t.velocity[0], 3),
        vy: round(t.velocity[1], 3),
        cov: [t.covariance[0], t.covariance[1], t.covariance[5]],
      }));
    }
    const rewards = (info.rewards as Record<string, number> | undefined) ?? {};
    return {
      type: 'frame',
      step: this.step,
      time: round(world.time, 4),
      poses,
      speed: world.egoActor.speed,
      reward,
      rewards,
      return: this.total,
      action: action === null ? null : typeof action === 'number' ? [action] : Array.from(action),
      driver: this.manual === null ? 'agent' : 'manual',
      values,
      detections: p ? p.detections.map((d) => ({ bbox: [d.bbox[0], d.bbox[1], d.bbox[2], d.bbox[3]], label: d.label, score: d.score })) : null,
      lidar,
      tracks,
      outcome: (info.outcome as FrameMessage['outcome'] | undefined) ?? null,
    };
  }

  private sendStatus(error?: string): void {
    this.send({ type: 'status', paused: this.paused, speed: this.speed, scenarios: this.host.scenarios, agents: this.host.agents, ...(error ? { error } : {}) });
  }

  private cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Steps while playing, on a clock: each step is due one step time (at the speed) after the one
   * before, so a late timer (a busy page) is made up by the next delay instead of slowing the
   * world. More than half a second behind, the clock starts again from now rather than racing.
   */
  private schedule(delayMs: number): void {
    this.cancel();
    if (this.paused || this.closed) return;
    this.due = Date.now() + delayMs;
    this.arm();
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.serial(async () => {
        if (this.done) {
          await this.reset(this.seed + 1);
          return;
        }
        await this.advance();
      }).then(() => {
        if (!this.run || this.paused || this.closed || this.timer !== null) return;
        const now = Date.now();
        const stepMs = (1000 * this.run.env.unwrapped.scenario.sim.stepDt) / this.speed;
        const next = this.due + stepMs;
        this.due = this.done ? now + this.pauseBetweenMs : next < now - 500 ? now : next;
        this.arm();
      });
    }, Math.max(0, this.due - Date.now()));
  }
}

function clampSpeed(speed: number): number {
  return Number.isFinite(speed) ? Math.max(MIN_SPEED, Math.min(MAX_SPEED, speed)) : 1;
}

function round(v: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}
