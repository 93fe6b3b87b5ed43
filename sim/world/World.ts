/**
 * One episode's world: the road network, the Rapier physics world with the ego car, NPC traffic,
 * pedestrians and obstacles, stepped at a fixed physics timestep under a lower control rate.
 * Everything random comes from the seed, split into one stream per consumer.
 */
import type RAPIER from '@dimforge/rapier3d-compat';
import type { Scenario } from '../../scenarios/schema.ts';
import { Rng } from '../rng.ts';
import { Path, newProjection } from '../road/Path.ts';
import { NO_LANE, newLanePosition, type RoadNetwork } from '../road/RoadNetwork.ts';
import { buildMapCached } from '../road/maps/index.ts';
import { buildingsFor, type Building } from '../road/buildings.ts';
import { LaneOccupancy } from '../traffic/LaneOccupancy.ts';
import { PedestrianManager } from '../traffic/PedestrianManager.ts';
import { TrafficManager } from '../traffic/TrafficManager.ts';
import { TrafficRules } from '../traffic/TrafficRules.ts';
import type { DrivingContext } from '../traffic/driving.ts';
import { createActor, type Actor, type ActorKind } from './actors.ts';
import { EgoVehicle, type EgoControls } from './EgoVehicle.ts';
import { NpcContacts } from './NpcContacts.ts';
import { RayCaster } from './RayCaster.ts';
import { RAPIER as R, createFixedBody } from './physics.ts';

/** What happened during one step. */
export interface StepEvents {
  /** The actor the ego hit first this step, if any */
  collision: Actor | null;
  /** The ego's centre is off every lane and junction surface */
  offRoad: boolean;
  goalReached: boolean;
  /** Contacts between NPCs (vehicle–vehicle, vehicle–pedestrian, vehicle–obstacle) that started this step */
  npcContacts: number;
}

/** Where the ego is relative to its route and lanes. */
export interface EgoRouteState {
  /** Arc length along the route [m] */
  s: number;
  /** Lateral offset from the route centre line, positive left [m] */
  d: number;
  /** Lane the ego is on, or −1 when off every lane */
  lane: number;
  /** Offset from that lane's centre [m] */
  laneOffset: number;
  /** Ego heading minus the lane heading [rad] */
  headingError: number;
}

/** Vertices and triangles of the buildings' boxes in 3D world axes, or null when there are none. */
function buildingMesh(buildings: readonly Building[]): { vertices: Float32Array; indices: Uint32Array } | null {
  if (buildings.length === 0) return null;
  const vertices = new Float32Array(buildings.length * 8 * 3);
  const indices = new Uint32Array(buildings.length * 12 * 3);
  // Box corners: bit 0 along the heading, bit 1 across it, bit 2 up.
  const faces = [0, 1, 3, 0, 3, 2, 4, 6, 7, 4, 7, 5, 0, 4, 5, 0, 5, 1, 2, 3, 7, 2, 7, 6, 0, 2, 6, 0, 6, 4, 1, 5, 7, 1, 7, 3];
  buildings.forEach((b, n) => {
    const c = Math.cos(b.heading), s = Math.sin(b.heading);
    for (let k = 0; k < 8; k++) {
      const u = (k & 1 ? 0.5 : -0.5) * b.length, v = (k & 2 ? 0.5 : -0.5) * b.depth;
      const o = (n * 8 + k) * 3;
      vertices[o] = b.x + c * u - s * v;
      vertices[o + 1] = k & 4 ? b.height : 0;
      vertices[o + 2] = -(b.y + s * u + c * v);
    }
    for (let t = 0; t < faces.length; t++) indices[n * 36 + t] = n * 8 + faces[t];
  });
  return { vertices, indices };
}

/** The ego route's centre line per built map, shared like the map itself */
const routes = new WeakMap<object, Path>();

export interface WorldOptions {
  /**
   * Traffic alone: the ego's body is switched off and kept out of everyone's way, so that the
   * traffic and its rules can be run and measured by themselves.
   */
  trafficOnly?: boolean;
}

export class World {
  readonly physics: RAPIER.World;
  readonly network: RoadNetwork;
  readonly ego: EgoVehicle;
  /** Every actor; the ego first */
  readonly actors: Actor[] = [];
  readonly traffic: TrafficManager;
  readonly pedestrians: PedestrianManager;
  readonly rules: TrafficRules;
  readonly occupancy: LaneOccupancy;
  /** Lanes of the ego's route and the centre line through them */
  readonly routeLanes: readonly number[];
  readonly route: Path;
  /** Arc length along the route where the episode ends with success, or Infinity */
  readonly goalS: number;
  readonly egoState: EgoRouteState = { s: 0, d: 0, lane: NO_LANE, laneOffset: 0, headingError: 0 };
  /** Ray casts for the sensors on the ego: they never hit the ego's own body */
  readonly rays: RayCaster;
  /** Contacts between bodies other than the ego, counted as they start */
  readonly npcContacts: NpcContacts;
  /** Things the scenario asked for that the world could not do, e.g. more vehicles than fit */
  readonly warnings: string[] = [];
  /** Streams for consumers outside the world (sensor noise, controllers) */
  readonly sensorRng: Rng;
  time = 0;
  steps = 0;

  private readonly substeps: number;
  private readonly trafficOnly: boolean;
  private readonly events = new R.EventQueue(true);
  private readonly colliderActors = new Map<number, Actor>();
  private readonly buildingColliders = new Set<number>();
  private readonly groundHandle: number;
  private readonly pos = newLanePosition();
  private readonly proj = newProjection();
  private hit: Actor | null = null;
  private readonly onCollision = (h1: number, h2: number, started: boolean): void => {
    if (!started || this.hit) return;
    const other = h1 === this.ego.collider.handle ? h2 : h2 === this.ego.collider.handle ? h1 : -1;
    if (other < 0 || other === this.groundHandle) return;
    this.hit = this.colliderActors.get(other) ?? null;
  };

  constructor(readonly scenario: Scenario, readonly seed: number, options: WorldOptions = {}) {
    const root = Rng.seeded(seed);
    const mapRng = root.split();
    const trafficRng = root.split();
    const pedestrianRng = root.split();
    this.sensorRng = root.split();

    const built = buildMapCached(scenario.map, scenario.ego, seed, mapRng);
    this.network = built.network;
    this.routeLanes = built.egoRoute;
    let route = routes.get(built);
    if (!route) routes.set(built, (route = Path.concat(built.egoRoute.map((id) => this.network.lanes[id].path))));
    this.route = route;
    const goal = scenario.goal;
    this.goalS = goal.type === 'reach' ? goal.position : goal.type === 'route-end' ? this.route.length - 3 : Infinity;

    const sim = scenario.sim;
    this.substeps = Math.round(sim.stepDt / sim.physicsDt);
    this.physics = new R.World({ x: 0, y: -9.81, z: 0 });
    this.physics.timestep = sim.physicsDt;
    // The solver resolves contacts and joints. The only dynamic body is the ego, whose wheels are
    // ray casts, and any contact of its body ends the episode: one iteration is all it ever needs,
    // and the default four cost a fifth of the step.
    this.physics.integrationParameters.numSolverIterations = 1;
    const b = this.network.bounds;
    const ground = this.physics.createCollider(
      R.ColliderDesc.cuboid((b.maxX - b.minX) / 2 + 200, 0.5, (b.maxY - b.minY) / 2 + 200).setTranslation((b.minX + b.maxX) / 2, -0.5, -(b.minY + b.maxY) / 2),
    );
    this.groundHandle = ground.handle;
    // Buildings are solid, so lidar and radar see them: one triangle-mesh collider for the whole
    // town, because every extra collider costs Rapier's JS layer time on every physics step.
    const town = buildingMesh(buildingsFor(this.network));
    if (town) this.buildingColliders.add(this.physics.createCollider(R.ColliderDesc.trimesh(town.vertices, town.indices)).handle);

    // Ego at its start position along the route.
    const egoActor = createActor(0, 'ego', 'car');
    const start = scenario.ego.position;
    const p = this.route.pointAt(start, { x: 0, y: 0 });
    egoActor.x = p.x;
    egoActor.y = p.y;
    egoActor.heading = this.route.headingAt(start);
    egoActor.speed = scenario.ego.speed;
    this.ego = new EgoVehicle(this.physics, egoActor);
    this.actors.push(egoActor);
    this.rays = new RayCaster(this.physics, this.ego.collider.handle);
    this.trafficOnly = options.trafficOnly ?? false;
    if (this.trafficOnly) {
      egoActor.active = false;
      this.ego.body.setEnabled(false);
    }

    this.occupancy = new LaneOccupancy(this.network);
    this.rules = new TrafficRules(this.network, this.occupancy);
    const ctx: DrivingContext = { network: this.network, occupancy: this.occupancy, rules: this.rules };

    for (const spec of scenario.obstacles) {
      const at = built.roadLane(spec.lane, spec.position);
      const lane = this.network.lanes[at.lane];
      const o = createActor(this.actors.length, 'obstacle', spec.kind);
      const q = lane.path.toWorld(at.s, spec.offset, { x: 0, y: 0 });
      o.x = q.x;
      o.y = q.y;
      o.heading = lane.path.headingAt(at.s);
      o.lane = lane.id;
      o.s = at.s;
      o.d = spec.offset;
      this.register(createFixedBody(this.physics, o), o);
    }

    this.trackEgo();
    this.traffic = new TrafficManager(ctx, this.physics, trafficRng, scenario.traffic, this.actors);
    const keepClear = this.trafficOnly ? this.actors.slice(1) : this.actors;
    const placed = this.traffic.spawn(built.spawnLanes, this.actors.length, keepClear).length;
    if (placed < scenario.traffic.vehicles) {
      this.warnings.push(`traffic.vehicles: ${scenario.traffic.vehicles} requested, ${placed} placed; the spawn lanes have no room for more`);
    }
    for (const npc of this.traffic.npcs) this.register(npc.body, npc.actor);
    this.pedestrians = new PedestrianManager(this.network, this.occupancy, this.rules, this.physics, pedestrianRng);
    this.pedestrians.spawn(scenario.traffic.pedestrians, this.actors.length);
    for (const w of this.pedestrians.walkers) this.register(w.body, w.actor);

    this.occupancy.rebuild(this.actors);
    this.rules.update(0, this.actors);
    this.npcContacts = new NpcContacts(this.actors);
    this.npcContacts.update();
    // Ray casts see colliders only after a step has built the broad phase; a zero-length step
    // builds it without moving anything, so the first observation's lidar sees the world.
    this.physics.timestep = 0;
    this.physics.step(this.events);
    // A contact that exists from the start never starts again during the episode: it is the
    // first step's collision, or it would never be reported while the solver holds the car back.
    this.events.drainCollisionEvents(this.onCollision);
    this.physics.timestep = sim.physicsDt;
  }

  private register(body: RAPIER.RigidBody, actor: Actor): void {
    this.actors.push(actor);
    this.colliderActors.set(body.collider(0).handle, actor);
  }

  /** Whether a Rapier collider is one of the buildings beside the road. */
  isBuilding(handle: number): boolean {
    return this.buildingColliders.has(handle);
  }

  /** The actor a Rapier collider belongs to, or undefined for the ground, buildings and the ego. */
  actorOfCollider(handle: number): Actor | undefined {
    return this.colliderActors.get(handle);
  }

  get egoActor(): Actor {
    return this.ego.actor;
  }

  /** Advances one control step: traffic decides, physics runs its sub-steps, then state is read back. */
  step(controls: EgoControls): StepEvents {
    const dt = this.scenario.sim.stepDt;
    const h = this.scenario.sim.physicsDt;
    this.traffic.decide(this.time, dt);
    this.pedestrians.decide(this.time, dt);
    // The contact found while building the world, if any, belongs to the first step.
    if (this.steps > 0) this.hit = null;
    for (let k = 0; k < this.substeps; k++) {
      if (!this.trafficOnly) this.ego.applyControls(controls, h);
      this.stepPhysics();
      this.events.drainCollisionEvents(this.onCollision);
    }
    this.traffic.commit(dt);
    this.pedestrians.commit(dt);
    this.ego.readState(dt);
    this.time = Math.round((this.time + dt) * 1e9) / 1e9;
    this.steps++;
    const onRoad = this.trackEgo();
    this.occupancy.rebuild(this.actors);
    this.rules.update(this.time, this.actors);
    const npcContacts = this.npcContacts.update();
    return { collision: this.hit, offRoad: !onRoad, goalReached: this.egoState.s >= this.goalS, npcContacts };
  }

  /**
   * One physics sub-step. `World.step()` also re-maps every body and collider handle to its JS
   * wrapper after each step, which costs time per collider and matters only when bodies are
   * created or removed; that never happens while an episode runs, so the pipeline is called directly.
   */
  private stepPhysics(): void {
    const w = this.physics;
    w.physicsPipeline.step(w.gravity, w.integrationParameters, w.islands, w.broadPhase, w.narrowPhase, w.bodies, w.colliders, w.softBodies, w.impulseJoints, w.multibodyJoints, w.ccdSolver, this.events);
  }

  /** Updates the ego's route and lane state; returns whether it is on drivable surface. */
  private trackEgo(): boolean {
    const a = this.ego.actor;
    const st = this.egoState;
    this.route.project(a.x, a.y, this.proj, st.s);
    st.s = this.proj.s;
    st.d = this.proj.d;
    this.network.locate(a.x, a.y, this.pos, a.heading);
    a.lane = this.pos.lane;
    a.s = this.pos.s;
    a.d = this.pos.d;
    a.lane2 = NO_LANE;
    st.lane = this.pos.lane;
    st.laneOffset = this.pos.lane === NO_LANE ? 0 : this.pos.d;
    st.headingError = this.pos.lane === NO_LANE ? 0 : wrap(a.heading - this.pos.heading);
    if (this.pos.lane !== NO_LANE) {
      // A body over the lane line also occupies the neighbouring lane.
      const lane = this.network.lanes[this.pos.lane];
      const side = this.pos.d > 0 ? lane.left : lane.right;
      if (side !== NO_LANE && Math.abs(this.pos.d) + a.width / 2 > lane.width / 2) {
        const other = this.network.lanes[side];
        a.lane2 = side;
        a.s2 = other.path.project(a.x, a.y, this.proj, a.s).s;
      }
    }
    return this.network.isDrivable(a.x, a.y);
  }

  /** Counts of each actor kind, for summaries. */
  count(kind: ActorKind): number {
    let n = 0;
    for (const a of this.actors) if (a.kind === kind) n++;
    return n;
  }

  takeSnapshot(): Uint8Array {
    return this.physics.takeSnapshot();
  }

  free(): void {
    this.rays.free();
    this.events.free();
    this.physics.free();
  }
}

function wrap(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}
