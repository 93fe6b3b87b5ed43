/**
 * The feature vector: the ego's kinematics and its place on the road and route, then the nearest
 * objects relative to it. Every entry is scaled to about [−1, 1] and clipped there.
 *
 * Layout, [EGO_FEATURES + objects × OBJECT_FEATURES]:
 *   ego: speed, acceleration, road-wheel angle, yaw rate, lane offset, heading error, route offset,
 *        route progress, speed limit, lane to the left, lane to the right, route curvature 10 m
 *        and 30 m ahead, route heading 20 m ahead, distance to the next stop to obey, on road,
 *        bumper gap to the leader in the ego's lane (and in the lane it straddles) and the
 *        leader's speed relative to the ego's (range and 0 when there is none within range)
 *   each object (nearest first): present, x, y (ego frame, forward and left), relative velocity x,
 *        y (ego frame), cos and sin of relative heading, is vehicle, is pedestrian, is obstacle
 */
import type { z } from 'zod';
import type { FeaturesSensor } from '../../scenarios/schema.ts';
import { Box } from '../env/spaces.ts';
import { NO_LANE } from '../road/RoadNetwork.ts';
import { EGO_PARAMS } from '../world/EgoVehicle.ts';
import type { World } from '../world/World.ts';
import type { Rng } from '../rng.ts';
import type { Sensor, SensorContext } from './types.ts';
import { egoPlan, lanesFrom } from '../world/egoPlan.ts';
import type { Neighbour } from '../traffic/LaneOccupancy.ts';
import { NearestList } from './nearestList.ts';

export const EGO_FEATURES = 18;
export const OBJECT_FEATURES = 10;
/** Speed scale of the velocity entries [m/s] */
export const SPEED_SCALE = 40;
const V = SPEED_SCALE;

export class FeatureSensor implements Sensor {
  readonly type = 'features';
  readonly id: string;
  readonly rate: number;
  readonly spaces: Readonly<Record<string, Box>>;
  private readonly space: Box;
  private readonly objects: number;
  private readonly range: number;
  /** The nearest actors, kept sorted */
  private readonly nearest: NearestList;
  private readonly leader: Neighbour = { actor: null, gap: Infinity };

  constructor(spec: z.infer<typeof FeaturesSensor>, stepRate: number) {
    this.id = spec.id;
    this.rate = spec.rate ?? stepRate;
    this.objects = spec.objects;
    this.range = spec.range;
    this.space = new Box(-1, 1, [EGO_FEATURES + spec.objects * OBJECT_FEATURES]);
    this.spaces = { [spec.id]: this.space };
    this.nearest = new NearestList(spec.objects);
  }

  reset(_world: World, _rng: Rng): void {}

  observe(ctx: SensorContext, readings: Record<string, Float32Array>): void {
    const world = ctx.world;
    const out = new Float32Array(this.space.size);
    const ego = world.egoActor;
    const st = world.egoState;
    const network = world.network;
    const lane = st.lane === NO_LANE ? null : network.lanes[st.lane];
    const route = world.route;
    const plan = egoPlan(world);
    out[0] = ego.speed / V;
    out[1] = ego.accel / 10;
    out[2] = world.ego.steerAngle / EGO_PARAMS.maxSteer;
    out[3] = ego.yawRate;
    out[4] = lane ? st.laneOffset / (lane.width / 2) : 0;
    out[5] = st.headingError / (Math.PI / 2);
    out[6] = st.d / 10;
    out[7] = world.goalS < Infinity ? st.s / world.goalS : st.s / route.length;
    out[8] = (lane ? lane.speedLimit : network.lanes[world.routeLanes[0]].speedLimit) / V;
    out[9] = lane && lane.left !== NO_LANE ? 1 : 0;
    out[10] = lane && lane.right !== NO_LANE ? 1 : 0;
    out[11] = route.curvatureAt(st.s + 10) * 20;
    out[12] = route.curvatureAt(st.s + 30) * 20;
    out[13] = wrap(route.headingAt(st.s + 20) - ego.heading) / (Math.PI / 2);
    const stop = world.rules.stopDistance(ego, plan.lanes, plan.s, 100);
    out[14] = stop === Infinity ? 1 : stop / 100;
    out[15] = lane ? 1 : 0;
    this.writeLeader(world, out);
    this.writeObjects(world, out);
    readings[this.id] = this.space.clip(out);
  }

  /**
   * The nearest actor ahead along the ego's lane and the lanes after it, and along the lane it
   * straddles, if any. In a lane the ego drives against (the oncoming one) nothing is ahead
   * along the lane; the objects show what comes towards it.
   */
  private writeLeader(world: World, out: Float32Array): void {
    const ego = world.egoActor;
    let gap = this.range, speed = ego.speed;
    if (Math.abs(world.egoState.headingError) < Math.PI / 2) {
      // The ego's lane, then the one it straddles: no arrays built per step.
      for (let k = 0; k < 2; k++) {
        const lane = k === 0 ? ego.lane : ego.lane2;
        if (lane === NO_LANE) continue;
        const n = world.occupancy.leader(ego, lanesFrom(world, lane), k === 0 ? ego.s : ego.s2, this.range, this.leader);
        if (n.actor && n.gap < gap) {
          gap = Math.max(0, n.gap);
          speed = n.actor.speed;
        }
      }
    }
    out[16] = gap / this.range;
    out[17] = (speed - ego.speed) / V;
  }

  private writeObjects(world: World, out: Float32Array): void {
    const ego = world.egoActor;
    const actors = world.actors;
    const nearest = this.nearest;
    nearest.clear();
    const r2 = this.range * this.range;
    for (let i = 1; i < actors.length; i++) {
      const a = actors[i];
      if (!a.active) continue;
      const dx = a.x - ego.x, dy = a.y - ego.y;
      const d2 = dx * dx + dy * dy;
      if (d2 <= r2) nearest.offer(i, d2);
    }
    const found = nearest.count;
    const c = Math.cos(ego.heading), s = Math.sin(ego.heading);
    const evx = ego.speed * c, evy = ego.speed * s;
    for (let k = 0; k < found; k++) {
      const a = actors[nearest.index[k]];
      const o = EGO_FEATURES + k * OBJECT_FEATURES;
      const dx = a.x - ego.x, dy = a.y - ego.y;
      const dvx = a.speed * Math.cos(a.heading) - evx, dvy = a.speed * Math.sin(a.heading) - evy;
      out[o] = 1;
      out[o + 1] = (c * dx + s * dy) / this.range;
      out[o + 2] = (-s * dx + c * dy) / this.range;
      out[o + 3] = (c * dvx + s * dvy) / V;
      out[o + 4] = (-s * dvx + c * dvy) / V;
      out[o + 5] = Math.cos(a.heading - ego.heading);
      out[o + 6] = Math.sin(a.heading - ego.heading);
      out[o + 7] = a.kind === 'vehicle' ? 1 : 0;
      out[o + 8] = a.kind === 'pedestrian' ? 1 : 0;
      out[o + 9] = a.kind === 'obstacle' ? 1 : 0;
    }
  }
}

function wrap(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}
