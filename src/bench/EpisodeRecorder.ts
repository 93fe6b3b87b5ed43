/**
 * Samples the world after every step into an `EpisodeTrace`: speeds, accelerations, time to
 * collision, red lights passed, lane markings crossed. Runs beside the episode loop; it only reads.
 */
import { NO_LANE } from '../../sim/road/RoadNetwork.ts';
import type { Actor } from '../../sim/world/actors.ts';
import type { World } from '../../sim/world/World.ts';
import type { EpisodeTrace } from './metrics.ts';
import { timeToCollision, type MovingBox } from './ttc.ts';

/**
 * cos 150°: an actor whose centre lies more than 150° from the ego's heading, seen from the ego's
 * centre, is behind it. As in nuPlan's `is_agent_behind`, it is left out of the ego's TTC: being run
 * into from behind is not the ego's conflict. Everything else counts, so a car alongside that
 * cuts in does, even with its centre behind the ego's.
 */
const COS_BEHIND = Math.cos((150 * Math.PI) / 180);

export class EpisodeRecorder {
  readonly trace: EpisodeTrace;
  private readonly world: World;
  /** Signal stop lines along the route: route arc length [m] and signal group */
  private readonly signalStops: { s: number; group: number }[] = [];
  private lastLane = NO_LANE;
  private lastS: number;
  private lastTime: number;
  private readonly a: MovingBox = { x: 0, y: 0, heading: 0, vx: 0, vy: 0, length: 0, width: 0 };
  private readonly b: MovingBox = { x: 0, y: 0, heading: 0, vx: 0, vy: 0, length: 0, width: 0 };

  constructor(world: World) {
    this.world = world;
    const sc = world.scenario;
    this.trace = {
      dt: sc.sim.stepDt, speed: [], accel: [], latAccel: [], speedLimit: [], ttc: [], offRoad: [],
      progress: 0, routeLength: Number.isFinite(world.goalS) ? world.goalS : world.route.length,
      collisions: { vehicle: 0, pedestrian: 0, obstacle: 0 }, redLights: 0, laneInvasions: 0, npcCollisions: 0,
      outcome: 'time-limit', survival: sc.goal.type === 'survive', timeLimit: sc.limits.duration,
      reward: 0, rewards: {}, wallTime: 0,
    };
    let offset = 0;
    for (const id of world.routeLanes) {
      const lane = world.network.lanes[id];
      for (const stop of lane.stops) if (stop.kind === 'signal') this.signalStops.push({ s: offset + stop.s, group: stop.group });
      offset += lane.path.length;
    }
    this.lastLane = world.egoState.lane;
    this.lastS = world.egoState.s;
    this.lastTime = world.time;
  }

  /** Call after every env step with that step's reward and info. */
  onStep(reward: number, info: Record<string, unknown>): void {
    const w = this.world;
    const t = this.trace;
    const ego = w.egoActor;
    const lane = w.egoState.lane;
    t.speed.push(ego.speed);
    t.accel.push(ego.accel);
    t.latAccel.push(ego.speed * ego.yawRate);
    t.speedLimit.push(w.network.lanes[lane === NO_LANE ? w.routeLanes[0] : lane].speedLimit);
    t.offRoad.push(Boolean(info.offRoad));
    t.ttc.push(this.minTtc(ego));
    t.reward += reward;
    for (const [k, v] of Object.entries(info.rewards as Record<string, number>)) t.rewards[k] = (t.rewards[k] ?? 0) + v;
    const hit = info.collision as { kind: 'vehicle' | 'pedestrian' | 'obstacle' } | null;
    if (hit) t.collisions[hit.kind]++;
    t.npcCollisions = w.npcContacts.total;

    // Red light: the front bumper crossed a signal's stop line while it showed red.
    const front = w.egoState.s + ego.length / 2, lastFront = this.lastS + ego.length / 2;
    const plan = w.network.signalPlan;
    for (const stop of this.signalStops) {
      if (plan && lastFront < stop.s && front >= stop.s && plan.state(stop.group, this.lastTime) === 'red') t.redLights++;
    }
    // Lane invasion: onto a lane that does not continue the last one.
    if (lane !== NO_LANE && this.lastLane !== NO_LANE && lane !== this.lastLane && !w.network.lanes[this.lastLane].next.includes(lane)) {
      t.laneInvasions++;
    }
    if (lane !== NO_LANE) this.lastLane = lane;
    this.lastS = w.egoState.s;
    this.lastTime = w.time;
    t.progress = w.egoState.s;
    if (info.outcome) t.outcome = info.outcome as EpisodeTrace['outcome'];
  }

  private minTtc(ego: Actor): number {
    setBox(this.a, ego);
    let best = Infinity;
    const c = Math.cos(ego.heading), s = Math.sin(ego.heading);
    for (const other of this.world.actors) {
      if (other === ego || !other.active) continue;
      const dx = other.x - ego.x, dy = other.y - ego.y;
      if (dx * c + dy * s < COS_BEHIND * Math.hypot(dx, dy)) continue;
      setBox(this.b, other);
      const ttc = timeToCollision(this.a, this.b);
      if (ttc < best) best = ttc;
    }
    return best;
  }
}

function setBox(box: MovingBox, a: Actor): void {
  box.x = a.x;
  box.y = a.y;
  box.heading = a.heading;
  box.vx = a.speed * Math.cos(a.heading);
  box.vy = a.speed * Math.sin(a.heading);
  box.length = a.length;
  box.width = a.width;
}
