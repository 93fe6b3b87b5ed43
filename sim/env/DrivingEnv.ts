/**
 * The driving env: one scenario, a fresh seeded world per episode, the scenario's sensors as a
 * `Dict` observation, a continuous or discrete action space, and named reward terms.
 *
 * A step always runs in the same order: act, simulate, observe, reward terms, terminated, info.
 * Time limits are not checked here; `make()` wraps the env in `TimeLimit`.
 */
import type { Scenario } from '../../scenarios/schema.ts';
import { MetaController, META_ACTIONS } from '../control/MetaController.ts';
import { Rng } from '../rng.ts';
import { createSensor } from '../sensors/registry.ts';
import type { Sensor } from '../sensors/types.ts';
import type { EgoControls } from '../world/EgoVehicle.ts';
import { World, type StepEvents } from '../world/World.ts';
import { DrivingScene } from '../scene/DrivingScene.ts';
import { lightingFor } from '../scene/lighting.ts';
import type { Env, Info, ResetArgs, ResetResult, RgbFrame, StepResult } from './Env.ts';
import { Camera } from '../sensors/camera/Camera.ts';
import { computeReward, type RewardContext } from './rewardTerms.ts';
import { assertBoxAction, assertDiscreteAction } from './actions.ts';
import { Box, Dict, Discrete } from './spaces.ts';

export type Observation = Record<string, Float32Array>;
/** What agents give and spaces sample: [steer, acceleration] (continuous) or a meta-action index (discrete) */
export type Action = Float32Array | number;

/** What the two values of a continuous action mean */
const CONTROL_NAMES = ['steer', 'acceleration'] as const;

/** How an episode ended. */
export type Outcome = 'goal' | 'collision' | 'off-road' | 'time-limit';

export type RenderMode = 'rgb_array';
/** The render modes `render()` supports, as Gymnasium's `metadata["render_modes"]` */
export const RENDER_MODES: readonly RenderMode[] = ['rgb_array'];

export interface DrivingEnvOptions {
  /** `rgb_array`: `render()` returns a chase-camera image, as in Gymnasium */
  renderMode?: RenderMode;
  /** Size of rendered images [px] (default 640 × 360) */
  renderSize?: [number, number];
  /**
   * Seeds of episodes reset without one are drawn from this inclusive range (default: any 31-bit
   * seed). Training passes its seed range, so it never plays a benchmark's test seeds.
   */
  seedRange?: [number, number];
}

/** Seed of the first episode when `reset()` is never given one. */
const DEFAULT_SEED = 0;

export class DrivingEnv implements Env<Observation, Action> {
  readonly observationSpace: Dict;
  readonly actionSpace: Box | Discrete;
  private readonly sensors: Sensor[];
  private world_: World | null = null;
  private scene_: DrivingScene | null = null;
  /** Draws the seeds of episodes that are reset without one */
  private seeds = Rng.seeded(DEFAULT_SEED);
  private seeded = false;
  private readonly meta = new MetaController();
  private readonly controls: EgoControls = { steer: 0, throttle: 0, brake: 0 };
  private episodeSeed = DEFAULT_SEED;
  private done = false;
  private readonly ctx: RewardContext;
  /** World time of each sensor's next and last reading [s] */
  private readonly nextDue: Float64Array;
  private readonly lastReading: Float64Array;
  /** Latest reading of every observation key */
  private readings: Record<string, Float32Array> = {};
  private readonly sensorContext = { world: null as unknown as World, scene: () => this.scene };

  readonly renderMode: RenderMode | null;
  /** Gymnasium's env metadata: the render modes and the rate of rendered frames [1/s] */
  readonly metadata: { readonly renderModes: readonly RenderMode[]; readonly renderFps: number };
  private readonly renderSize: [number, number];
  private readonly seedRange: [number, number] | null;
  private chase: Camera | null = null;

  /** Use `make()`; this expects the physics engine to be loaded already. */
  constructor(readonly scenario: Scenario, options: DrivingEnvOptions = {}) {
    const mode = options.renderMode;
    if (mode !== undefined && mode !== null && !RENDER_MODES.includes(mode)) {
      throw new Error(`renderMode must be one of ${RENDER_MODES.map((m) => `"${m}"`).join(', ')} or left out, got ${JSON.stringify(mode)}`);
    }
    const size = options.renderSize ?? [640, 360];
    if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v) && v >= 8 && v <= 4096)) {
      throw new Error(`renderSize must be [width, height] in whole pixels from 8 to 4096, got ${JSON.stringify(size)}`);
    }
    this.renderMode = mode ?? null;
    this.renderSize = size;
    const range = options.seedRange;
    if (range !== undefined && !(Array.isArray(range) && range.length === 2 && range.every((v) => Number.isSafeInteger(v) && v >= 0) && range[0] <= range[1])) {
      throw new Error(`seedRange must be [first, last], whole numbers with 0 ≤ first ≤ last, got ${JSON.stringify(range)}`);
    }
    this.seedRange = range ?? null;
    this.metadata = { renderModes: RENDER_MODES, renderFps: 1 / scenario.sim.stepDt };
    const rate = 1 / scenario.sim.stepDt;
    this.sensors = scenario.sensors.map((spec) => createSensor(spec, rate));
    const spaces: Record<string, Box> = {};
    for (const s of this.sensors) Object.assign(spaces, s.spaces);
    this.observationSpace = new Dict(spaces);
    this.nextDue = new Float64Array(this.sensors.length);
    this.lastReading = new Float64Array(this.sensors.length);
    this.actionSpace = scenario.action.type === 'discrete' ? new Discrete(META_ACTIONS.length) : new Box(-1, 1, [2]);
    this.ctx = { world: null as unknown as World, events: null as unknown as StepEvents, previousS: 0, previousAccel: 0, previousSteer: 0, dt: scenario.sim.stepDt };
  }

  get unwrapped(): DrivingEnv {
    return this;
  }

  /** The current episode's world; throws before the first reset. */
  get world(): World {
    if (!this.world_) throw new Error('call reset() before using the world');
    return this.world_;
  }

  /**
   * The three.js scene of the current episode, built on first use and kept in sync after every
   * step from then on; runs that never look at it never pay for it.
   */
  get scene(): DrivingScene {
    if (!this.scene_) {
      this.scene_ = new DrivingScene(this.world, { lighting: lightingFor(this.scenario.environment) });
      this.scene_.sync(this.world);
    }
    return this.scene_;
  }

  /** Seed of the current episode. */
  get seed(): number {
    return this.episodeSeed;
  }

  reset(args?: ResetArgs | null): ResetResult<Observation> {
    // `reset(null)` as Gymnasium's `reset(seed=None)`: the next seed of the env's own stream.
    args ??= {};
    if (args.seed !== undefined) {
      this.seeds = Rng.seeded(args.seed);
      this.episodeSeed = args.seed;
    } else if (!this.seeded) {
      this.episodeSeed = DEFAULT_SEED;
    } else {
      this.episodeSeed = this.seedRange ? this.seeds.int(this.seedRange[0], this.seedRange[1]) : this.seeds.seed();
    }
    this.seeded = true;
    this.world_?.free();
    this.scene_?.dispose();
    this.scene_ = null;
    this.world_ = new World(this.scenario, this.episodeSeed);
    this.meta.reset(this.world_);
    this.done = false;
    for (const sensor of this.sensors) sensor.reset(this.world_, this.world_.sensorRng.split());
    this.nextDue.fill(0);
    this.readings = {};
    const info = this.info(null);
    if (this.world_.warnings.length > 0) info.warnings = [...this.world_.warnings];
    return { observation: this.observe(), info };
  }

  /** Also takes a continuous action as any array-like of two numbers: a plain array or any typed array. */
  step(action: Action | ArrayLike<number>): StepResult<Observation> {
    const world = this.world;
    if (this.done) throw new Error('the episode has ended; call reset() before step()');
    const controls = this.toControls(world, action);
    const ctx = this.ctx;
    ctx.world = world;
    ctx.previousS = world.egoState.s;
    ctx.previousAccel = world.egoActor.accel;
    ctx.previousSteer = world.ego.steerAngle;

    const events = world.step(controls);
    // A car that fell through or rolled over has left the road as surely as one in the field.
    if (world.ego.height() < 0 || world.ego.height() > 5) events.offRoad = true;
    ctx.events = events;
    this.scene_?.sync(world);
    const observation = this.observe();
    const rewards: Record<string, number> = {};
    const reward = computeReward(this.scenario.reward, ctx, rewards);
    const outcome: Outcome | null = events.collision ? 'collision' : events.offRoad ? 'off-road' : events.goalReached ? 'goal' : null;
    this.done = outcome !== null;
    const info = this.info(events);
    info.rewards = rewards;
    if (outcome) info.outcome = outcome;
    return { observation, reward, terminated: outcome !== null, truncated: false, info };
  }

  /** A chase-camera view of the current state, drawn by the camera rasteriser, or null without a render mode. */
  render(): RgbFrame | null {
    if (this.renderMode !== 'rgb_array') return null;
    const [width, height] = this.renderSize;
    this.chase ??= new Camera({ type: 'camera', id: 'chase', width, height, fov: 60, far: 400, mount: { x: -10, y: 0, z: 4.5, yaw: 0, pitch: -13, roll: 0 } }, { drawEgo: true });
    const frame = this.chase.render(this.world, this.scene);
    return { width, height, data: frame.data.slice() };
  }

  /** Marks the episode over from outside (a time limit), so that step() asks for a reset. */
  endEpisode(): void {
    this.done = true;
  }

  close(): void {
    this.scene_?.dispose();
    this.scene_ = null;
    this.world_?.free();
    this.world_ = null;
  }

  /** Continuous actions outside [-1, 1] are clamped, as the controls saturate. */
  private toControls(world: World, action: unknown): EgoControls {
    if (this.actionSpace.type === 'discrete') {
      assertDiscreteAction(action, this.actionSpace.n);
      return this.meta.controlsFor(world, action);
    }
    assertBoxAction(action, CONTROL_NAMES);
    const steer = action[0], accel = action[1];
    const c = this.controls;
    c.steer = Math.max(-1, Math.min(1, steer));
    c.throttle = accel > 0 ? Math.min(accel, 1) : 0;
    c.brake = accel < 0 ? Math.min(-accel, 1) : 0;
    return c;
  }

  /** Takes the readings that are due; sensors slower than the env step repeat their last one. */
  private observe(): Observation {
    const world = this.world;
    this.sensorContext.world = world;
    for (let i = 0; i < this.sensors.length; i++) {
      if (world.time + 1e-9 < this.nextDue[i]) continue;
      this.sensors[i].observe(this.sensorContext, this.readings);
      this.lastReading[i] = world.time;
      const period = 1 / this.sensors[i].rate;
      while (this.nextDue[i] <= world.time + 1e-9) this.nextDue[i] += period;
    }
    return { ...this.readings };
  }

  /** When each sensor's current reading was taken, and its rate. */
  private sensorTimes(): Record<string, { timestamp: number; rate: number }> {
    const out: Record<string, { timestamp: number; rate: number }> = {};
    this.sensors.forEach((s, i) => (out[s.id] = { timestamp: this.lastReading[i], rate: s.rate }));
    return out;
  }

  private info(events: StepEvents | null): Info {
    const world = this.world;
    const ego = world.egoActor;
    const st = world.egoState;
    return {
      seed: this.episodeSeed,
      time: world.time,
      step: world.steps,
      ego: { x: ego.x, y: ego.y, heading: ego.heading, speed: ego.speed, accel: ego.accel, steer: world.ego.steerAngle, lane: st.lane, laneOffset: st.laneOffset, routeS: st.s, routeD: st.d },
      route: { length: world.route.length, goal: world.goalS },
      collision: events?.collision ? { kind: events.collision.kind, actor: events.collision.id } : null,
      offRoad: events?.offRoad ?? false,
      goalReached: events?.goalReached ?? false,
      npcCollisions: world.npcContacts.total,
      sensors: this.sensorTimes(),
    };
  }
}
