/**
 * The ego car: a dynamic Rapier body on Rapier's raycast vehicle controller, with four wheels on
 * suspension, rear-wheel drive, brakes on all wheels and front-wheel steering. Rolling resistance
 * and aerodynamic drag are applied through the drive force, since the controller has neither.
 */
import type RAPIER from '@dimforge/rapier3d-compat';
import { RAPIER as R, bodyHeight, halfExtents } from './physics.ts';
import type { Actor } from './actors.ts';
import { headingOfQuat, yawQuat, type Quat } from './frames.ts';

/** Driver inputs, each in [0, 1] except steer in [−1, 1] (positive turns left). */
export interface EgoControls {
  steer: number;
  throttle: number;
  brake: number;
}

export const EGO_PARAMS = {
  /** [kg] */
  mass: 1500,
  /** Axle distance [m] */
  wheelBase: 2.8,
  /** Half the track width [m] */
  halfTrack: 0.8,
  wheelRadius: 0.33,
  /** Suspension rest length [m] */
  suspensionRest: 0.3,
  /** Per unit of chassis mass, as in Bullet's raycast vehicle [1/s²] */
  suspensionStiffness: 30,
  /** Largest road-wheel angle [rad] */
  maxSteer: 0.6,
  /** Fastest the road wheels turn [rad/s] */
  steerRate: 1.2,
  /** Total drive force at full throttle [N] */
  maxDriveForce: 6000,
  /** Per-wheel brake value at full brake (Rapier units); about 9 m/s² on dry road */
  maxBrake: 130,
  /** Rolling-resistance coefficient */
  rollingResistance: 0.015,
  /** Drag area × air density / 2 [kg/m] */
  dragFactor: 0.42,
} as const;

const _q: Quat = { x: 0, y: 0, z: 0, w: 1 };

export class EgoVehicle {
  readonly body: RAPIER.RigidBody;
  readonly collider: RAPIER.Collider;
  readonly controller: RAPIER.DynamicRayCastVehicleController;
  /** Current road-wheel angle [rad] */
  steerAngle = 0;

  constructor(world: RAPIER.World, readonly actor: Actor) {
    const p = EGO_PARAMS;
    // Wheels mounted so that at static sag the collision box sits where every vehicle's does.
    const staticSag = 9.81 / (4 * p.suspensionStiffness);
    const centreY = bodyHeight(actor);
    const connectionY = p.wheelRadius + p.suspensionRest - staticSag - centreY;
    const box = halfExtents(actor);
    this.body = world.createRigidBody(
      R.RigidBodyDesc.dynamic()
        .setTranslation(actor.x, centreY, -actor.y)
        .setRotation(yawQuat(actor.heading, _q))
        .setCanSleep(false)
        .setLinvel(Math.cos(actor.heading) * actor.speed, 0, -Math.sin(actor.heading) * actor.speed),
    );
    // Centre of mass low in the body, as in a real car; it keeps the raycast vehicle from rolling.
    const inertia = {
      x: (p.mass / 12) * (actor.height ** 2 + actor.width ** 2),
      y: (p.mass / 12) * (actor.length ** 2 + actor.width ** 2),
      z: (p.mass / 12) * (actor.length ** 2 + actor.height ** 2),
    };
    this.collider = world.createCollider(
      R.ColliderDesc.cuboid(box.x, box.y, box.z)
        .setMassProperties(p.mass, { x: 0, y: connectionY, z: 0 }, inertia, { x: 0, y: 0, z: 0, w: 1 })
        .setActiveEvents(R.ActiveEvents.COLLISION_EVENTS),
      this.body,
    );
    this.controller = world.createVehicleController(this.body);
    const half = p.wheelBase / 2;
    for (const [x, z] of [[half, -p.halfTrack], [half, p.halfTrack], [-half, -p.halfTrack], [-half, p.halfTrack]]) {
      this.controller.addWheel({ x, y: connectionY, z }, { x: 0, y: -1, z: 0 }, { x: 0, y: 0, z: 1 }, p.suspensionRest, p.wheelRadius);
    }
    for (let i = 0; i < 4; i++) {
      this.controller.setWheelSuspensionStiffness(i, p.suspensionStiffness);
      this.controller.setWheelSuspensionCompression(i, 4.4);
      this.controller.setWheelSuspensionRelaxation(i, 2.3);
      this.controller.setWheelMaxSuspensionForce(i, 1e5);
      this.controller.setWheelFrictionSlip(i, 1.0);
      this.controller.setWheelSideFrictionStiffness(i, 1.0);
    }
    this.readState();
  }

  /** Applies the controls for one physics sub-step of `dt` seconds. */
  applyControls(c: EgoControls, dt: number): void {
    const p = EGO_PARAMS;
    const target = clamp(c.steer, -1, 1) * p.maxSteer;
    const maxDelta = p.steerRate * dt;
    this.steerAngle += clamp(target - this.steerAngle, -maxDelta, maxDelta);
    const v = this.actor.speed;
    const resist = Math.abs(v) > 0.05 ? Math.sign(v) * (p.rollingResistance * p.mass * 9.81 + p.dragFactor * v * v) : 0;
    const drive = (clamp(c.throttle, 0, 1) * p.maxDriveForce - resist) / 2;
    const brake = clamp(c.brake, 0, 1) * p.maxBrake;
    const vc = this.controller;
    vc.setWheelSteering(0, this.steerAngle);
    vc.setWheelSteering(1, this.steerAngle);
    vc.setWheelEngineForce(2, drive);
    vc.setWheelEngineForce(3, drive);
    for (let i = 0; i < 4; i++) vc.setWheelBrake(i, brake);
    vc.updateVehicle(dt);
  }

  /** Copies the body's pose and velocity into the actor. */
  readState(dt = 0): void {
    const a = this.actor;
    const t = this.body.translation();
    const r = this.body.rotation();
    const v = this.body.linvel();
    a.x = t.x;
    a.y = -t.z;
    const heading = headingOfQuat(r);
    const speed = v.x * Math.cos(heading) - v.z * Math.sin(heading);
    if (dt > 0) a.accel = (speed - a.speed) / dt;
    a.heading = heading;
    a.speed = speed;
    a.yawRate = this.body.angvel().y;
  }

  /** Height of the body centre above the ground [m]; a car on its roof is far from normal. */
  height(): number {
    return this.body.translation().y;
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
