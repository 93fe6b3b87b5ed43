/**
 * The static world as a handful of merged meshes, one per material: terrain, road surface,
 * markings, zebra crossings, sidewalks, islands and buildings. Built once per network.
 *
 * Surfaces are layered a few centimetres apart so that no two visible faces are coplanar; a
 * z-buffer (the camera rasteriser's or WebGL's) then never has to choose between them.
 */
import {
  BoxGeometry,
  BufferGeometry,
  CylinderGeometry,
  Float32BufferAttribute,
  Matrix4,
  Mesh,
  MeshLambertMaterial,
  ShapeUtils,
  Vector2,
  Vector3,
} from 'three';
import type { Path } from '../road/Path.ts';
import { buildingsFor } from '../road/buildings.ts';
import type { RoadNetwork } from '../road/RoadNetwork.ts';
import { SemanticClass } from './semantics.ts';

/** Heights of each layer's top [m]; the ground collider's top is Y = 0. */
export const TERRAIN_Y = -0.03;
export const ROAD_Y = 0;
export const MARKING_Y = 0.015;
/** Above the markings, which run under the zebras at junction arms */
export const CROSSWALK_Y = 0.02;
export const SIDEWALK_Y = 0.12;
export const ISLAND_Y = 0.15;

export const COLOURS = {
  terrain: 0x6f7d5c,
  island: 0x4f8a3c,
  asphalt: 0x3b3d40,
  white: 0xf2f2f2,
  yellow: 0xf2c230,
  sidewalk: 0xb4b4b0,
  buildingA: 0xc9b89a,
  buildingB: 0x8f9aa6,
} as const;

/** Longest road-surface step along a path [m] */
const MAX_STEP = 2;
/** Largest sagitta allowed between samples on a bend [m]: step ≤ √(8·sag/κ) */
const SAGITTA = 0.02;
/** Lane strips overlap their neighbours by this much [m], so offset curves leave no slivers */
const ROAD_OVERLAP = 0.05;
const SOLID_WIDTH = 0.15;
const DASH = 3;
const DASH_GAP = 6;
const YELLOW_WIDTH = 0.12;
/** Centre-to-centre distance of the two yellow lines [m] */
const YELLOW_SPACING = 0.3;
const STOP_LINE_WIDTH = 0.4;
const ZEBRA_BAR = 0.5;
const ZEBRA_GAP = 0.5;
/** Grass is kept this far inside the island's kerb radius [m], so the ring's edge line stays visible */
const ISLAND_INSET = 0.3;
/** Terrain reaches this far beyond the lanes [m] (the physics ground pads by 200 m) */
const TERRAIN_MARGIN = 250;
/** Terrain tile size [m]; small tiles keep per-triangle near-plane clipping cheap in the rasteriser */
const TERRAIN_TILE = 50;

const _p = { x: 0, y: 0 };
const _q = { x: 0, y: 0 };
const _v = new Vector3();

/** Triangles for one material, in world coordinates, gathered into one non-indexed BufferGeometry. */
export class TriangleSoup {
  private readonly pos: number[] = [];

  get triangles(): number {
    return this.pos.length / 9;
  }

  vertex(x: number, y: number, z: number): void {
    this.pos.push(x, y, z);
  }

  /** A flat triangle at height `h` from ground points, anticlockwise seen from above (+Y normal). */
  groundTri(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, h: number): void {
    this.pos.push(ax, h, -ay, bx, h, -by, cx, h, -cy);
  }

  /** A flat quad from ground points a b c d, anticlockwise seen from above. */
  groundQuad(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number, h: number): void {
    this.groundTri(ax, ay, bx, by, cx, cy, h);
    this.groundTri(ax, ay, cx, cy, dx, dy, h);
  }

  /** A vertical wall over the ground segment p→q from height y0 to y1, facing right of p→q. */
  wall(px: number, py: number, qx: number, qy: number, y0: number, y1: number): void {
    this.pos.push(px, y0, -py, qx, y0, -qy, qx, y1, -qy);
    this.pos.push(px, y0, -py, qx, y1, -qy, px, y1, -py);
  }

  /** Appends another geometry's triangles, transformed by `m`. */
  add(geometry: BufferGeometry, m: Matrix4): void {
    const position = geometry.getAttribute('position');
    const index = geometry.getIndex();
    const n = index ? index.count : position.count;
    for (let i = 0; i < n; i++) {
      _v.fromBufferAttribute(position, index ? index.getX(i) : i).applyMatrix4(m);
      this.pos.push(_v.x, _v.y, _v.z);
    }
  }

  /**
   * Appends a strip along `path` from arc length s0 to s1 between lateral offsets dRight < dLeft,
   * at height `h`; with `walls`, also its vertical sides and ends down to Y = 0 (kerbs).
   */
  strip(path: Path, s0: number, s1: number, dRight: number, dLeft: number, h: number, walls = false): void {
    let s = s0;
    while (s < s1 - 1e-9) {
      const k = Math.abs(path.curvatureAt(s));
      const step = Math.min(MAX_STEP, k > 0 ? Math.max(0.25, Math.sqrt((8 * SAGITTA) / k)) : MAX_STEP);
      const t = Math.min(s1, s + step);
      path.toWorld(s, dRight, _p);
      const r0x = _p.x, r0y = _p.y;
      path.toWorld(s, dLeft, _p);
      const l0x = _p.x, l0y = _p.y;
      path.toWorld(t, dRight, _p);
      path.toWorld(t, dLeft, _q);
      this.groundQuad(r0x, r0y, _p.x, _p.y, _q.x, _q.y, l0x, l0y, h);
      if (walls) {
        this.wall(r0x, r0y, _p.x, _p.y, 0, h);
        this.wall(_q.x, _q.y, l0x, l0y, 0, h);
        if (s === s0) this.wall(l0x, l0y, r0x, r0y, 0, h);
        if (t === s1) this.wall(_p.x, _p.y, _q.x, _q.y, 0, h);
      }
      s = t;
    }
  }

  build(): BufferGeometry {
    const g = new BufferGeometry();
    g.setAttribute('position', new Float32BufferAttribute(this.pos, 3));
    g.computeVertexNormals();
    g.computeBoundingBox();
    g.computeBoundingSphere();
    return g;
  }
}

/** A static mesh of one material, tagged as static world (instance 0). */
export function staticMesh(name: string, soup: TriangleSoup, colour: number, semantic: SemanticClass): Mesh {
  const mesh = new Mesh(soup.build(), new MeshLambertMaterial({ color: colour }));
  mesh.name = name;
  mesh.userData.semantic = semantic;
  mesh.userData.instance = 0;
  // Never moves: compute its (identity) matrix once and skip it on every update.
  mesh.matrixAutoUpdate = false;
  mesh.updateMatrix();
  return mesh;
}

export interface RoadMeshOptions {
  /** Buildings beside the road (default true); the physics world gives them a collider too */
  buildings?: boolean;
}

/** Every static mesh of the network except the signals; empty layers are left out. */
/** Built road meshes per network and options; scenes of the same network share their geometry. */
const templates = new WeakMap<RoadNetwork, Map<string, readonly Mesh[]>>();

/**
 * The static meshes of a network: new Mesh objects each call, sharing geometries and materials
 * with every other scene of the same network (marked `userData.shared`, so scenes do not dispose
 * them). Building them is most of the cost of a new scene; episodes on one map pay it once.
 */
export function roadMeshesFor(network: RoadNetwork, options: RoadMeshOptions = {}): { meshes: Mesh[]; key: readonly Mesh[] } {
  let byOptions = templates.get(network);
  if (!byOptions) templates.set(network, (byOptions = new Map()));
  const optionsKey = JSON.stringify({ buildings: options.buildings !== false });
  let built = byOptions.get(optionsKey);
  if (!built) {
    built = buildRoadMeshes(network, options);
    for (const m of built) {
      m.geometry.userData.shared = true;
      (m.material as MeshLambertMaterial).userData.shared = true;
    }
    byOptions.set(optionsKey, built);
  }
  const meshes = built.map((t) => {
    const mesh = new Mesh(t.geometry, t.material);
    mesh.name = t.name;
    mesh.userData.semantic = t.userData.semantic;
    mesh.userData.instance = 0;
    mesh.matrixAutoUpdate = false;
    mesh.updateMatrix();
    return mesh;
  });
  return { meshes, key: built };
}

export function buildRoadMeshes(network: RoadNetwork, options: RoadMeshOptions = {}): Mesh[] {
  const road = new TriangleSoup();
  const white = new TriangleSoup();
  const yellow = new TriangleSoup();
  const zebra = new TriangleSoup();
  const sidewalk = new TriangleSoup();
  const island = new TriangleSoup();

  for (const lane of network.lanes) {
    const half = lane.width / 2 + ROAD_OVERLAP / 2;
    road.strip(lane.path, 0, lane.path.length, -half, half, ROAD_Y);
  }
  for (const poly of network.junctions) addPolygon(road, poly, ROAD_Y);

  for (const m of network.markings) {
    const len = m.path.length;
    switch (m.style) {
      case 'solid':
        white.strip(m.path, 0, len, -SOLID_WIDTH / 2, SOLID_WIDTH / 2, MARKING_Y);
        break;
      case 'dashed':
        for (let s = 0; s < len; s += DASH + DASH_GAP) white.strip(m.path, s, Math.min(len, s + DASH), -SOLID_WIDTH / 2, SOLID_WIDTH / 2, MARKING_Y);
        break;
      case 'double-yellow': {
        const a = YELLOW_SPACING / 2 - YELLOW_WIDTH / 2, b = YELLOW_SPACING / 2 + YELLOW_WIDTH / 2;
        yellow.strip(m.path, 0, len, -b, -a, MARKING_Y);
        yellow.strip(m.path, 0, len, a, b, MARKING_Y);
        break;
      }
      case 'stop-line':
        // The line's path runs across the lane; its width lies along the lane.
        white.strip(m.path, 0, len, -STOP_LINE_WIDTH / 2, STOP_LINE_WIDTH / 2, MARKING_Y);
        break;
    }
  }

  // Zebra bars run along the traffic (across the crosswalk path), centred on the path's length.
  for (const cw of network.crosswalks) {
    const len = cw.path.length;
    const bars = Math.max(1, Math.floor((len + ZEBRA_GAP) / (ZEBRA_BAR + ZEBRA_GAP)));
    const start = (len - (bars * ZEBRA_BAR + (bars - 1) * ZEBRA_GAP)) / 2;
    for (let i = 0; i < bars; i++) {
      const s = start + i * (ZEBRA_BAR + ZEBRA_GAP);
      zebra.strip(cw.path, s, s + ZEBRA_BAR, -cw.width / 2, cw.width / 2, CROSSWALK_Y);
    }
  }

  for (const sw of network.sidewalks) sidewalk.strip(sw.path, 0, sw.path.length, -sw.width / 2, sw.width / 2, SIDEWALK_Y, true);

  for (const isl of network.islands) {
    const r = Math.max(0.5, isl.radius - ISLAND_INSET);
    const disc = new CylinderGeometry(r, r, ISLAND_Y, Math.max(24, Math.ceil(r * 3)), 1);
    island.add(disc, new Matrix4().makeTranslation(isl.x, ISLAND_Y / 2, -isl.y));
    disc.dispose();
  }

  const meshes = [
    staticMesh('terrain', terrain(network), COLOURS.terrain, SemanticClass.terrain),
    staticMesh('road', road, COLOURS.asphalt, SemanticClass.road),
  ];
  const optional: [string, TriangleSoup, number, SemanticClass][] = [
    ['marking-white', white, COLOURS.white, SemanticClass.laneMarking],
    ['marking-yellow', yellow, COLOURS.yellow, SemanticClass.laneMarking],
    ['crosswalks', zebra, COLOURS.white, SemanticClass.crosswalk],
    ['sidewalks', sidewalk, COLOURS.sidewalk, SemanticClass.sidewalk],
    ['islands', island, COLOURS.island, SemanticClass.terrain],
    ...(options.buildings === false ? [] : buildings(network)),
  ];
  for (const [name, soup, colour, semantic] of optional) {
    if (soup.triangles > 0) meshes.push(staticMesh(name, soup, colour, semantic));
  }
  return meshes;
}

/** A flat polygon at height `h`, triangulated and wound to face up. */
function addPolygon(soup: TriangleSoup, poly: readonly { x: number; y: number }[], h: number): void {
  const contour = poly.map((p) => new Vector2(p.x, p.y));
  for (const [i, j, k] of ShapeUtils.triangulateShape(contour, [])) {
    const a = contour[i], b = contour[j], c = contour[k];
    const ccw = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x) > 0;
    if (ccw) soup.groundTri(a.x, a.y, b.x, b.y, c.x, c.y, h);
    else soup.groundTri(a.x, a.y, c.x, c.y, b.x, b.y, h);
  }
}

/** Ground tiles covering the network's bounds plus a margin, just below the road. */
function terrain(network: RoadNetwork): TriangleSoup {
  const soup = new TriangleSoup();
  const b = network.bounds;
  const x0 = b.minX - TERRAIN_MARGIN, y0 = b.minY - TERRAIN_MARGIN;
  const nx = Math.ceil((b.maxX - b.minX + 2 * TERRAIN_MARGIN) / TERRAIN_TILE);
  const ny = Math.ceil((b.maxY - b.minY + 2 * TERRAIN_MARGIN) / TERRAIN_TILE);
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      const ax = x0 + i * TERRAIN_TILE, ay = y0 + j * TERRAIN_TILE;
      const bx = ax + TERRAIN_TILE, by = ay + TERRAIN_TILE;
      soup.groundQuad(ax, ay, bx, ay, bx, by, ax, by, TERRAIN_Y);
    }
  }
  return soup;
}

/** The network's buildings (sim/road/buildings.ts) as two merged meshes of alternating colour. */
function buildings(network: RoadNetwork): [string, TriangleSoup, number, SemanticClass][] {
  const soups = [new TriangleSoup(), new TriangleSoup()];
  const box = new BoxGeometry(1, 1, 1).translate(0, 0.5, 0);
  const m = new Matrix4();
  const scale = new Vector3();
  for (const b of buildingsFor(network)) {
    m.makeRotationY(b.heading).scale(scale.set(b.length, b.height, b.depth)).setPosition(b.x, 0, -b.y);
    // Neighbours on the building grid alternate colours.
    soups[Math.abs(Math.round(b.x / 26) + Math.round(b.y / 26)) % 2].add(box, m);
  }
  box.dispose();
  return [
    ['buildings-a', soups[0], COLOURS.buildingA, SemanticClass.building],
    ['buildings-b', soups[1], COLOURS.buildingB, SemanticClass.building],
  ];
}
