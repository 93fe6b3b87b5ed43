/**
 * The classical baseline: pure-pursuit steering along the route's lanes, IDM speed control that
 * obeys signals, crossings and give-way lines, and MOBIL lane choice where the road allows it.
 * It is the NPCs' driving model (`sim/traffic/driving.ts`) put in charge of the ego's pedals and
 * steering wheel. It reads the world through the env, as CARLA's and MetaDrive's rule-based
 * agents read their maps, so it is a privileged policy.
 */
import { z } from 'zod';
import { formatPath } from '../scenarios/parse.ts';
import { newProjection } from '../sim/road/Path.ts';
import { NO_LANE } from '../sim/road/RoadNetwork.ts';
import { pedalsFor } from '../sim/control/pedals.ts';
import type { Env } from '../sim/env/Env.ts';
import type { Action, Observation } from '../sim/env/DrivingEnv.ts';
import { chooseLane, drivingAccel, laneChangeAccel, laneChangeUnsafe, obstacleAhead, lookaheadDistance, pointAhead, purePursuit, type DrivingContext } from '../sim/traffic/driving.ts';
import { DEFAULT_IDM, type IdmParams } from '../sim/traffic/idm.ts';
import { DEFAULT_MOBIL } from '../sim/traffic/mobil.ts';
import { EGO_PARAMS, type EgoControls } from '../sim/world/EgoVehicle.ts';
import type { World } from '../sim/world/World.ts';
import type { Policy } from './common/Policy.ts';
import { writePolicyManifest } from './common/manifest.ts';

export interface ExpertArgs {
  /** Fraction of the speed limit to drive at */
  speedFactor: number;
  /** Car-following parameters */
  idm: IdmParams;
  /** Seconds between lane-change decisions */
  decisionPeriod: number;
}

export const DEFAULT_EXPERT: ExpertArgs = {
  speedFactor: 1,
  idm: { ...DEFAULT_IDM, timeHeadway: 1.6, minGap: 3, decel: 3 },
  decisionPeriod: 1,
};

const finite = z.number().finite();

/** What `createExpert` and a saved expert's `policy.json` may set; the rest keep their defaults. */
const ExpertArgsInput = z.strictObject({
  speedFactor: finite.positive().max(2).optional(),
  idm: z
    .strictObject({
      accel: finite.positive().max(10),
      decel: finite.positive().max(9),
      timeHeadway: finite.min(0).max(10),
      minGap: finite.min(0).max(50),
      delta: finite.positive().max(16),
    })
    .partial()
    .optional(),
  decisionPeriod: finite.min(0).max(60).optional(),
});

/** The defaults with `args` merged in (`idm` field by field); a bad field is an error naming it. */
function expertArgs(args: unknown): ExpertArgs {
  const result = ExpertArgsInput.safeParse(args ?? {}, { reportInput: true });
  if (!result.success) throw new Error(result.error.issues.map(describeArgIssue).join('; '));
  const { idm, ...rest } = result.data;
  return { ...DEFAULT_EXPERT, ...rest, idm: { ...DEFAULT_EXPERT.idm, ...idm } };
}

/** `args.idm.decel: expected number to be >0, got 0`, the way scenario problems read. */
function describeArgIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? `args.${formatPath(issue.path)}` : 'args';
  if (issue.code === 'unrecognized_keys') return `${field}: unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  const message = issue.message.replace(/^Invalid input: /, '').replace(/^Too (small|big): /, '').replace(/, received \w+$/, '');
  const got = typeof issue.input === 'number' ? String(issue.input) : JSON.stringify(issue.input);
  return `${field}: ${message}, got ${got}`;
}

class Expert implements Policy<Observation, Action> {
  readonly name = 'expert';
  /** Lane being followed and the lanes after it */
  private plan: number[] = [];
  private changingFrom = NO_LANE;
  private nextDecision = 0;
  private world: World | null = null;
  private readonly proj = newProjection();
  private readonly pt = { x: 0, y: 0 };
  private readonly pedals: EgoControls = { steer: 0, throttle: 0, brake: 0 };

  constructor(private readonly env: Env<Observation, Action>, private readonly args: ExpertArgs) {
    if (env.actionSpace.type !== 'box') throw new Error('the expert drives the continuous action space; set action.type to "continuous"');
  }

  reset(): void {
    this.world = null;
  }

  act(): Action {
    const world = this.env.unwrapped.world;
    if (world !== this.world) this.start(world);
    const ego = world.egoActor;
    const ctx: DrivingContext = { network: world.network, occupancy: world.occupancy, rules: world.rules };
    const lanes = world.network.lanes;

    // Where the ego is on the lane it follows; move on at the lane's end.
    let lane = lanes[this.plan[0]];
    lane.path.project(ego.x, ego.y, this.proj, this.proj.s);
    while (this.proj.s > lane.path.length && this.plan.length > 1) {
      this.plan = this.plan.slice(1);
      lane = lanes[this.plan[0]];
      lane.path.project(ego.x, ego.y, this.proj, 0);
    }
    const s = this.proj.s;
    if (this.changingFrom !== NO_LANE && Math.abs(this.proj.d) < 0.5) this.changingFrom = NO_LANE;
    if (this.changingFrom !== NO_LANE && ego.lane === this.changingFrom && Math.abs(ego.d) < 0.3 * lanes[this.changingFrom].width && !obstacleAhead(ctx, ego, this.continuation(world, this.changingFrom), ego.s) && laneChangeUnsafe(ctx, ego, lane.id, s, this.args.idm, DEFAULT_MOBIL)) {
      // Someone took the gap first: go back to the lane being left.
      this.plan = this.continuation(world, this.changingFrom);
      this.changingFrom = NO_LANE;
      this.nextDecision = world.time + 2 * this.args.decisionPeriod;
      lane = lanes[this.plan[0]];
      lane.path.project(ego.x, ego.y, this.proj, ego.s);
    }

    const desired = this.args.speedFactor * lane.speedLimit;
    if (world.time >= this.nextDecision && this.changingFrom === NO_LANE && ego.lane === lane.id && !this.branchAhead(world, s)) {
      this.nextDecision = world.time + this.args.decisionPeriod;
      const target = chooseLane(ctx, ego, this.plan, desired, this.args.idm, DEFAULT_MOBIL);
      if (target !== NO_LANE) {
        this.changingFrom = lane.id;
        this.plan = this.continuation(world, target);
        lane = lanes[target];
        lane.path.project(ego.x, ego.y, this.proj, s);
      }
    }

    let accel = drivingAccel(ctx, ego, this.plan, this.proj.s, desired, this.args.idm);
    if (this.changingFrom !== NO_LANE && ego.lane !== NO_LANE && ego.lane !== lane.id) {
      // Until the change is done, keep the gap to whoever is ahead in the lane being left.
      accel = laneChangeAccel(ctx, ego, accel, this.continuation(world, ego.lane), ego.s, desired, this.args.idm);
    }
    const target = pointAhead(world.network, this.plan, this.proj.s, lookaheadDistance(ego.speed, this.changingFrom !== NO_LANE), this.pt);
    const steer = purePursuit(ego.x, ego.y, ego.heading, target, EGO_PARAMS.wheelBase);
    pedalsFor(accel, ego.speed, this.pedals);
    return Float32Array.of(Math.max(-1, Math.min(1, steer / EGO_PARAMS.maxSteer)), this.pedals.throttle - this.pedals.brake);
  }

  private start(world: World): void {
    this.world = world;
    this.plan = [...world.routeLanes];
    this.changingFrom = NO_LANE;
    this.nextDecision = 0;
    this.proj.s = 0;
  }

  /** The route from a lane on it, or the lane and its first successors for a lane beside it. */
  private continuation(world: World, laneId: number): number[] {
    const at = world.routeLanes.indexOf(laneId);
    if (at >= 0) return world.routeLanes.slice(at);
    const out = [laneId];
    let lane = world.network.lanes[laneId];
    while (lane.next.length > 0 && out.length < 8) {
      out.push(lane.next[0]);
      lane = world.network.lanes[lane.next[0]];
    }
    return out;
  }

  /** The route turns off within the next stretch, so the lane must be kept. */
  private branchAhead(world: World, s: number): boolean {
    let dist = -s;
    for (const id of this.plan) {
      const lane = world.network.lanes[id];
      if (lane.kind === 'connector' || lane.mergesInto) return dist < 150;
      dist += lane.path.length;
      if (dist > 150) return false;
    }
    return false;
  }

  async save(dir: string): Promise<void> {
    await writePolicyManifest(dir, { agent: 'expert', args: this.args });
  }
}

/** The expert for an env; it must be the env the policy will act in. */
export function createExpert(env: Env<Observation, Action>, args: Partial<Omit<ExpertArgs, 'idm'>> & { idm?: Partial<IdmParams> } = {}): Policy<Observation, Action> {
  return new Expert(env, expertArgs(args));
}
