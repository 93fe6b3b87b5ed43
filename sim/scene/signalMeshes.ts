/**
 * Traffic lights: a pole and a housing per signal head (merged into one static mesh), and three
 * lamp discs per head facing the approaching traffic. Lamps of one signal group share a material
 * per colour, so `update(time)` recolours a handful of materials, not every lamp.
 */
import { BoxGeometry, Color, CylinderGeometry, Group, Matrix4, Mesh, MeshLambertMaterial } from 'three';
import type { RoadNetwork, SignalPlan, SignalState } from '../road/RoadNetwork.ts';
import { TriangleSoup, staticMesh } from './roadMeshes.ts';
import { SemanticClass } from './semantics.ts';

/** Top of the pole; the housing sits on it [m] */
const POLE_HEIGHT = 3;
const POLE_RADIUS = 0.08;
/** Housing size: depth along the facing direction, height, width [m] */
const HOUSING = { depth: 0.3, height: 1.0, width: 0.36 } as const;
const LAMP_RADIUS = 0.12;
const LAMP_DEPTH = 0.04;
/** Lamp centres above the pole top, red at the top [m] */
const LAMP_Y = [0.8, 0.5, 0.2] as const;
const HOUSING_COLOUR = 0x262626;

/** Lamp order within a head, top to bottom. */
export const LAMP_STATES: readonly SignalState[] = ['red', 'yellow', 'green'];
const BRIGHT = [new Color(0xff2a1a), new Color(0xffc21a), new Color(0x2aff5a)];
const DIM = [new Color(0x3a0c0a), new Color(0x3a300c), new Color(0x0c3a16)];
const BLACK = new Color(0x000000);

export class SignalMeshes {
  /** Poles, housings and lamps; empty when the network has no signals */
  readonly root = new Group();
  /** Lamp meshes; each has userData.signalGroup, userData.lamp (a SignalState) and userData.lit */
  readonly lamps: Mesh[] = [];
  private readonly plan: SignalPlan | undefined;
  /** [group * 3 + lamp] */
  private readonly materials: MeshLambertMaterial[] = [];

  constructor(network: RoadNetwork) {
    this.root.name = 'signals';
    this.plan = network.signalPlan;
    if (network.signals.length === 0) return;

    const groups = Math.max(network.signalPlan?.groups ?? 0, ...network.signals.map((s) => s.group + 1));
    for (let i = 0; i < groups * 3; i++) this.materials.push(new MeshLambertMaterial({ color: DIM[i % 3] }));

    const fixtures = new TriangleSoup();
    const pole = new CylinderGeometry(POLE_RADIUS, POLE_RADIUS, POLE_HEIGHT, 8).translate(0, POLE_HEIGHT / 2, 0);
    const housing = new BoxGeometry(HOUSING.depth, HOUSING.height, HOUSING.width).translate(0, POLE_HEIGHT + HOUSING.height / 2, 0);
    // A disc with its axis along +X: it faces along the head's local +X.
    const lamp = new CylinderGeometry(LAMP_RADIUS, LAMP_RADIUS, LAMP_DEPTH, 14).rotateZ(Math.PI / 2);
    const m = new Matrix4();
    for (const head of network.signals) {
      // Face the traffic, which travels along `heading` towards the head.
      const facing = head.heading + Math.PI;
      m.makeRotationY(facing).setPosition(head.x, 0, -head.y);
      fixtures.add(pole, m);
      fixtures.add(housing, m);
      const fx = Math.cos(facing), fy = Math.sin(facing);
      const out = HOUSING.depth / 2 + LAMP_DEPTH / 2 - 0.01;
      for (let k = 0; k < 3; k++) {
        const mesh = new Mesh(lamp, this.materials[head.group * 3 + k]);
        mesh.name = `lamp-${head.group}-${LAMP_STATES[k]}`;
        mesh.position.set(head.x + fx * out, POLE_HEIGHT + LAMP_Y[k], -(head.y + fy * out));
        mesh.rotation.y = facing;
        mesh.matrixAutoUpdate = false;
        mesh.updateMatrix();
        mesh.userData.semantic = SemanticClass.signal;
        mesh.userData.instance = 0;
        mesh.userData.signalGroup = head.group;
        mesh.userData.lamp = LAMP_STATES[k];
        mesh.userData.lit = false;
        this.lamps.push(mesh);
        this.root.add(mesh);
      }
    }
    this.root.add(staticMesh('signal-fixtures', fixtures, HOUSING_COLOUR, SemanticClass.signal));
    pole.dispose();
    housing.dispose();
  }

  /** Lights each group's lamp for its state at `time` [s] and dims the rest; allocates nothing. */
  update(time: number): void {
    const plan = this.plan;
    const groups = this.materials.length / 3;
    for (let g = 0; g < groups; g++) {
      const state = plan ? plan.state(g, time) : undefined;
      for (let k = 0; k < 3; k++) {
        const on = state === LAMP_STATES[k];
        const mat = this.materials[g * 3 + k];
        mat.color.copy(on ? BRIGHT[k] : DIM[k]);
        // Lit lamps glow regardless of the sun; the rasteriser may read `color` alone.
        mat.emissive.copy(on ? BRIGHT[k] : BLACK).multiplyScalar(on ? 0.6 : 0);
      }
    }
    for (let i = 0; i < this.lamps.length; i++) {
      const ud = this.lamps[i].userData;
      ud.lit = plan !== undefined && plan.state(ud.signalGroup, time) === ud.lamp;
    }
  }
}
