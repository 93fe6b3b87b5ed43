/**
 * Carries out discrete meta-actions (as in highway-env): change lane left or right, keep lane,
 * faster, slower. It tracks a target lane with pure pursuit and a target speed with a
 * proportional controller; the agent chooses only the targets.
 */
import { newProjection } from '../road/Path.ts';
import { NO_LANE } from '../road/RoadNetwork.ts';
import { lookaheadDistance, pointAhead, purePursuit } from '../traffic/driving.ts';
import { EGO_PARAMS, type EgoControls } from '../world/EgoVehicle.ts';
import type { World } from '../world/World.ts';
import { pedalsFor } from './pedals.ts';

export const META_ACTIONS = ['LANE_LEFT', 'IDLE', 'LANE_RIGHT', 'FASTER', 'SLOWER'] as const;
export type MetaAction = (typeof META_ACTIONS)[number];

/** Target speeds as fractions of the lane's speed limit */
const SPEED_LEVELS = [0, 0.3, 0.6, 0.8, 1.0];
/** Speed-tracking gain [1/s] */
const SPEED_GAIN = 0.8;

export class MetaController {
  private targetLane = NO_LANE;
  private plan: number[] = [];
  private speedLevel = 0;
  private readonly proj = newProjection();
  private readonly pt = { x: 0, y: 0 };
  private readonly controls: EgoControls = { steer: 0, throttle: 0, brake: 0 };

  reset(world: World): void {
    this.proj.s = world.egoState.s;
    this.setTarget(world, world.routeLanes[0]);
    const limit = world.network.lanes[this.targetLane].speedLimit;
    const ratio = world.egoActor.speed / limit;
    let best = 0;
    for (let i = 1; i < SPEED_LEVELS.length; i++) if (Math.abs(SPEED_LEVELS[i] - ratio) < Math.abs(SPEED_LEVELS[best] - ratio)) best = i;
    this.speedLevel = best;
  }

  /** Lanes ahead of the target lane: the route where it is on the route, else straight on. */
  private setTarget(world: World, lane: number): void {
    this.targetLane = lane;
    const route = world.routeLanes;
    const at = route.indexOf(lane);
    if (at >= 0) {
      this.plan = route.slice(at);
      return;
    }
    this.plan = [lane];
    let last = world.network.lanes[lane];
    while (last.next.length > 0 && this.plan.length < 6) {
      const next = last.next[0];
      this.plan.push(next);
      last = world.network.lanes[next];
    }
  }

  controlsFor(world: World, action: number): EgoControls {
    const ego = world.egoActor;
    const network = world.network;
    let lane = network.lanes[this.targetLane];
    lane.path.project(ego.x, ego.y, this.proj, this.proj.s);
    while (this.proj.s > lane.path.length && this.plan.length > 1) {
      this.setTarget(world, this.plan[1]);
      lane = network.lanes[this.targetLane];
      lane.path.project(ego.x, ego.y, this.proj, 0);
    }
    const name = META_ACTIONS[action];
    if (name === 'LANE_LEFT' && lane.left !== NO_LANE) this.setTarget(world, lane.left);
    else if (name === 'LANE_RIGHT' && lane.right !== NO_LANE) this.setTarget(world, lane.right);
    else if (name === 'FASTER') this.speedLevel = Math.min(this.speedLevel + 1, SPEED_LEVELS.length - 1);
    else if (name === 'SLOWER') this.speedLevel = Math.max(this.speedLevel - 1, 0);
    if (this.targetLane !== lane.id) {
      lane = network.lanes[this.targetLane];
      lane.path.project(ego.x, ego.y, this.proj, this.proj.s);
    }

    const target = pointAhead(network, this.plan, this.proj.s, lookaheadDistance(ego.speed, Math.abs(this.proj.d) > 0.5), this.pt);
    const steer = purePursuit(ego.x, ego.y, ego.heading, target, EGO_PARAMS.wheelBase);
    const wanted = SPEED_LEVELS[this.speedLevel] * lane.speedLimit;
    const accel = Math.max(-6, Math.min(3, SPEED_GAIN * (wanted - ego.speed)));
    pedalsFor(accel, ego.speed, this.controls);
    this.controls.steer = Math.max(-1, Math.min(1, steer / EGO_PARAMS.maxSteer));
    return this.controls;
  }
}
