/**
 * The Rapier side of the world: engine start-up and the bodies every actor kind gets.
 * `@dimforge/rapier3d-compat` is the same engine as `@dimforge/rapier3d`, with the wasm inlined so
 * that it loads in plain Node ESM, in workers and in browsers alike.
 */
import RAPIER from '@dimforge/rapier3d-compat';
import type { Actor } from './actors.ts';
import { yawQuat, type Quat } from './frames.ts';

export { RAPIER };

let ready: Promise<void> | null = null;

/** Loads the physics engine once; every world needs this first. */
export function initPhysics(): Promise<void> {
  ready ??= RAPIER.init();
  return ready;
}

/** Gap under a vehicle body [m]; keeps kinematic bodies off the ground collider. */
export const BODY_CLEARANCE = 0.3;

function isVehicle(actor: Actor): boolean {
  return actor.kind === 'vehicle' || actor.kind === 'ego' || actor.model === 'car';
}

/** Height of an actor's collision box centre [m]; vehicle boxes span from the clearance to the roof. */
export function bodyHeight(actor: Actor): number {
  return isVehicle(actor) ? (BODY_CLEARANCE + actor.height) / 2 : actor.height / 2;
}

/** Half extents of an actor's collision box [m], in body axes (X forward, Y up, Z right). */
export function halfExtents(actor: Actor): { x: number; y: number; z: number } {
  const h = isVehicle(actor) ? actor.height - BODY_CLEARANCE : actor.height;
  return { x: actor.length / 2, y: h / 2, z: actor.width / 2 };
}

const _q: Quat = { x: 0, y: 0, z: 0, w: 1 };
const _v = { x: 0, y: 0, z: 0 };

/** A body that moves by velocity set each step: NPC vehicles and pedestrians. */
export function createKinematicBody(world: RAPIER.World, actor: Actor): RAPIER.RigidBody {
  const body = world.createRigidBody(
    RAPIER.RigidBodyDesc.kinematicVelocityBased().setTranslation(actor.x, bodyHeight(actor), -actor.y).setRotation(yawQuat(actor.heading, _q)),
  );
  const shape =
    actor.kind === 'pedestrian'
      ? RAPIER.ColliderDesc.capsule(actor.height / 2 - actor.width / 2, actor.width / 2)
      : cuboid(actor);
  world.createCollider(shape, body);
  return body;
}

/** A fixed body: static obstacles. */
export function createFixedBody(world: RAPIER.World, actor: Actor): RAPIER.RigidBody {
  const body = world.createRigidBody(
    RAPIER.RigidBodyDesc.fixed().setTranslation(actor.x, bodyHeight(actor), -actor.y).setRotation(yawQuat(actor.heading, _q)),
  );
  world.createCollider(cuboid(actor), body);
  return body;
}

function cuboid(actor: Actor): RAPIER.ColliderDesc {
  const e = halfExtents(actor);
  return RAPIER.ColliderDesc.cuboid(e.x, e.y, e.z);
}

/** A vector in the engine's wasm memory, which the JS wrapper otherwise allocates per call */
export type RawVector = ReturnType<typeof RAPIER.VectorOps.intoRaw>;
/**
 * One wasm vector for velocities, made on first use (the engine must be loaded): the wrapper's
 * `setLinvel` and `setAngvel` allocate and free one per call, which shows in every step.
 */
let _raw: RawVector | null = null;

/**
 * Puts a kinematic body at the actor's pose and gives it the velocity that carries it to
 * (x1, y1, heading1) over `dt`, so that physics sub-steps sweep it smoothly.
 */
export function driveKinematic(physics: RAPIER.World, body: RAPIER.RigidBody, actor: Actor, x1: number, y1: number, heading1: number, dt: number): void {
  _v.x = actor.x;
  _v.y = bodyHeight(actor);
  _v.z = -actor.y;
  body.setTranslation(_v, false);
  body.setRotation(yawQuat(actor.heading, _q), false);
  const raw = (_raw ??= RAPIER.VectorOps.intoRaw(_v));
  const bodies = physics.bodies.raw;
  raw.x = (x1 - actor.x) / dt;
  raw.y = 0;
  raw.z = -(y1 - actor.y) / dt;
  bodies.rbSetLinvel(body.handle, raw, false);
  let dh = heading1 - actor.heading;
  dh = Math.atan2(Math.sin(dh), Math.cos(dh));
  raw.x = 0;
  raw.y = dh / dt;
  raw.z = 0;
  bodies.rbSetAngvel(body.handle, raw, true);
}

/** Moves a body out of the way while its actor waits to re-enter the world. */
export function parkBody(body: RAPIER.RigidBody, index: number): void {
  _v.x = index * 20;
  _v.y = -50;
  _v.z = 0;
  body.setTranslation(_v, false);
  _v.x = 0;
  body.setLinvel(_v, false);
  body.setAngvel(_v, false);
}
