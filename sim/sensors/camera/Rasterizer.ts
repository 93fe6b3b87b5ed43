/**
 * drivelab's z-buffer rasteriser: draws a RasterScene from a pinhole camera into rgb, depth,
 * semantic and instance images, plus each actor's unoccluded pixel count for ground truth.
 *
 * One pass writes a visibility buffer (nearest 1/depth and triangle id per pixel); `resolve`
 * then turns ids into colour, class and instance and applies fog. Per triangle:
 * - object culling by AABB (static chunks) or bounding sphere (actors, lamps) against the frustum;
 * - per-vertex outcodes reject triangles wholly outside one frustum plane;
 * - back faces are culled where the material is single-sided (what WebGL does);
 * - Sutherland–Hodgman clipping in camera space against the near plane and a guard band, so a
 *   triangle reaching behind the camera keeps its visible part;
 * - vertices snapped to 1/256 px and integer edge functions with the top-left fill rule, so
 *   triangles sharing an edge cover each pixel on it exactly once;
 * - 1/z interpolated linearly in screen space, which is exact under perspective.
 *
 * Camera convention (three.js): looks down −Z, +Y up, +X right. Pixel (i, j) has its centre at
 * (i + ½, j + ½), j counted down from the top; u = cx + fx·x/(−z), v = cy − fy·y/(−z).
 * `depth` is −z [m] of the nearest surface, +Infinity where nothing is hit within `far`.
 * Nothing here allocates per frame.
 */
import type { CameraIntrinsics } from './CameraFrame.ts';
import { MAX_POLY, clipPolygon } from './clip.ts';
import type { RasterScene } from './RasterScene.ts';
import { shade } from './shading.ts';
import { FILL_SUBPIXEL, rasterTriangle, type RasterTargets } from './triangle.ts';

const NEAR = 1, FAR = 2, LEFT = 4, RIGHT = 8, BOTTOM = 16, TOP = 32, GUARD = 64;
const OUTSIDE = NEAR | FAR | LEFT | RIGHT | BOTTOM | TOP;
/** Guard band: farther than this from the image centre a vertex is clipped, not projected [px] */
const GUARD_PX = 8192;

export class Rasterizer implements RasterTargets {
  readonly width: number;
  readonly height: number;
  readonly intrinsics: CameraIntrinsics;
  /** [H·W·3] sRGB, row-major from the top-left */
  readonly rgb: Uint8Array;
  /** [H·W] metres along the optical axis; +Infinity where nothing is hit */
  readonly depth: Float32Array;
  /** [H·W] semantic class ids (0 = sky) */
  readonly semantic: Uint8Array;
  /** [H·W] actor id + 1, 0 for static world and sky */
  readonly instance: Int32Array;
  /** [H·W] nearest 1/depth so far; starts at 1/far, so farther fragments fail the test */
  readonly invDepth: Float32Array;
  /** [H·W] id of the triangle seen, −1 for none */
  readonly triangle: Int32Array;
  /** [H·W] last instance that covered the pixel, depth test or not */
  readonly cover: Int32Array;
  /** [instance] pixels the instance covers with nothing in front: its unoccluded area */
  coverCount = new Int32Array(1);
  /** Instance left out of the image (a camera's own vehicle), or −1 */
  hiddenInstance = -1;
  /** Camera-to-world, column-major 4×4, of the last `setPose` */
  readonly pose = new Float64Array(16);
  readonly invFar: number;
  readonly span = new Int32Array(2);

  /** World (or object) → camera, row-major 3×4 */
  private readonly view = new Float64Array(12);
  private readonly mv = new Float64Array(12);
  /** World-space frustum planes (nx, ny, nz, d), inside where n·p + d ≥ 0 */
  private readonly planes = new Float64Array(24);
  /** The same in camera space: near, far, left, right, bottom, top */
  private readonly cameraPlanes: Float64Array;
  private readonly tanX: number;
  private readonly tanY: number;
  private readonly guardX: number;
  private readonly guardY: number;
  /** Per object vertex scratch: camera xyz, projected (fixed x, fixed y, 1/z), outcode */
  private cam = new Float64Array(0);
  private proj = new Float64Array(0);
  private codes = new Uint8Array(0);
  private readonly polyA = new Float64Array(MAX_POLY * 3);
  private readonly polyB = new Float64Array(MAX_POLY * 3);
  private readonly localSun = new Float64Array(3);

  constructor(width: number, height: number, fovDegrees: number, near: number, far: number) {
    this.width = width;
    this.height = height;
    const fx = width / 2 / Math.tan((fovDegrees * Math.PI) / 360);
    this.intrinsics = { fx, fy: fx, cx: width / 2, cy: height / 2, width, height, near, far };
    const n = width * height;
    this.rgb = new Uint8Array(n * 3);
    this.depth = new Float32Array(n);
    this.semantic = new Uint8Array(n);
    this.instance = new Int32Array(n);
    this.invDepth = new Float32Array(n);
    this.triangle = new Int32Array(n);
    this.cover = new Int32Array(n);
    this.invFar = Math.fround(1 / far);
    this.tanX = width / 2 / fx;
    this.tanY = height / 2 / fx;
    this.guardX = (GUARD_PX + width / 2) / fx;
    this.guardY = (GUARD_PX + height / 2) / fx;
    const tx = this.tanX, ty = this.tanY;
    this.cameraPlanes = Float64Array.of(0, 0, -1, -near, 0, 0, 1, far, 1, 0, -tx, 0, -1, 0, -tx, 0, 0, 1, -ty, 0, 0, -1, -ty, 0);
  }

  /** Sets the camera-to-world transform (column-major 4×4, rotation orthonormal). */
  setPose(cameraToWorld: ArrayLike<number>): void {
    const p = this.pose, v = this.view, pl = this.planes;
    for (let i = 0; i < 16; i++) p[i] = cameraToWorld[i];
    // view = [Rᵀ | −Rᵀt]; R's columns are p[0..2], p[4..6], p[8..10].
    for (let r = 0; r < 3; r++) {
      const c = r * 4;
      v[r * 4] = p[c]; v[r * 4 + 1] = p[c + 1]; v[r * 4 + 2] = p[c + 2];
      v[r * 4 + 3] = -(p[c] * p[12] + p[c + 1] * p[13] + p[c + 2] * p[14]);
    }
    const cam = this.cameraPlanes;
    for (let k = 0; k < 6; k++) {
      const nx = cam[k * 4], ny = cam[k * 4 + 1], nz = cam[k * 4 + 2];
      const wx = p[0] * nx + p[4] * ny + p[8] * nz, wy = p[1] * nx + p[5] * ny + p[9] * nz, wz = p[2] * nx + p[6] * ny + p[10] * nz;
      pl[k * 4] = wx; pl[k * 4 + 1] = wy; pl[k * 4 + 2] = wz;
      pl[k * 4 + 3] = cam[k * 4 + 3] - (wx * p[12] + wy * p[13] + wz * p[14]);
    }
  }

  /** Draws `rs` from the current pose into every buffer. */
  render(rs: RasterScene): void {
    this.reserve(rs);
    this.invDepth.fill(this.invFar);
    this.triangle.fill(-1);
    this.cover.fill(0);
    this.coverCount.fill(0);
    rs.refreshMaterials();
    const B = rs.objBounds, pl = this.planes;
    for (let o = 0; o < rs.staticObjects; o++) {
      const b = o * 6;
      let inside = true;
      for (let k = 0; k < 24 && inside; k += 4) {
        // The AABB corner farthest along the plane normal.
        const x = pl[k] > 0 ? B[b + 3] : B[b], y = pl[k + 1] > 0 ? B[b + 4] : B[b + 1], z = pl[k + 2] > 0 ? B[b + 5] : B[b + 2];
        inside = pl[k] * x + pl[k + 1] * y + pl[k + 2] * z + pl[k + 3] >= 0;
      }
      if (inside) this.drawObject(rs, o, this.view, false);
    }
    for (let o = rs.staticObjects; o < rs.objectCount; o++) {
      const src = rs.objSource[o]!;
      if (rs.objInstance[o] === this.hiddenInstance || !visible(src)) continue;
      if (!this.placeObject(rs, o, src.matrixWorld.elements)) continue;
      this.drawObject(rs, o, this.mv, true);
    }
    this.resolve(rs);
  }

  private reserve(rs: RasterScene): void {
    if (this.codes.length < rs.maxObjectVertices) {
      this.cam = new Float64Array(rs.maxObjectVertices * 3);
      this.proj = new Float64Array(rs.maxObjectVertices * 3);
      this.codes = new Uint8Array(rs.maxObjectVertices);
    }
    if (this.coverCount.length < rs.maxInstance + 1) this.coverCount = new Int32Array(rs.maxInstance + 1);
  }

  /** mv = view · m (column-major object matrix); false when the bounding sphere is outside the frustum. */
  private placeObject(rs: RasterScene, o: number, m: ArrayLike<number>): boolean {
    const v = this.view, mv = this.mv;
    for (let r = 0; r < 3; r++) {
      const a = v[r * 4], b = v[r * 4 + 1], c = v[r * 4 + 2];
      mv[r * 4] = a * m[0] + b * m[1] + c * m[2];
      mv[r * 4 + 1] = a * m[4] + b * m[5] + c * m[6];
      mv[r * 4 + 2] = a * m[8] + b * m[9] + c * m[10];
      mv[r * 4 + 3] = a * m[12] + b * m[13] + c * m[14] + v[r * 4 + 3];
    }
    const B = rs.objBounds, b = o * 6;
    const scale = Math.sqrt(Math.max(m[0] * m[0] + m[1] * m[1] + m[2] * m[2], m[4] * m[4] + m[5] * m[5] + m[6] * m[6], m[8] * m[8] + m[9] * m[9] + m[10] * m[10]));
    const r = B[b + 3] * scale;
    const x = mv[0] * B[b] + mv[1] * B[b + 1] + mv[2] * B[b + 2] + mv[3];
    const y = mv[4] * B[b] + mv[5] * B[b + 1] + mv[6] * B[b + 2] + mv[7];
    const z = mv[8] * B[b] + mv[9] * B[b + 1] + mv[10] * B[b + 2] + mv[11];
    const { near, far } = this.intrinsics;
    if (-z + r < near || -z - r > far) return false;
    const nx = Math.sqrt(1 + this.tanX * this.tanX), ny = Math.sqrt(1 + this.tanY * this.tanY);
    if (x - this.tanX * z < -r * nx || -x - this.tanX * z < -r * nx) return false;
    if (y - this.tanY * z < -r * ny || -y - this.tanY * z < -r * ny) return false;
    // The sun in the object's frame: mᵀ·sun over the scale, for Lambert with local normals.
    const s = rs.sun, ls = this.localSun;
    ls[0] = (m[0] * s[0] + m[1] * s[1] + m[2] * s[2]) / (scale * scale);
    ls[1] = (m[4] * s[0] + m[5] * s[1] + m[6] * s[2]) / (scale * scale);
    ls[2] = (m[8] * s[0] + m[9] * s[1] + m[10] * s[2]) / (scale * scale);
    return true;
  }

  /** Transforms, clips and rasterises one object's triangles with `mv` (object → camera). */
  private drawObject(rs: RasterScene, o: number, mv: Float64Array, dynamic: boolean): void {
    const V = rs.vertices, I = rs.indices, cam = this.cam, proj = this.proj, codes = this.codes;
    const { fx, fy, cx, cy, near, far } = this.intrinsics;
    const tx = this.tanX, ty = this.tanY, gx = this.guardX, gy = this.guardY;
    const v0 = rs.objVertexStart[o], nv = rs.objVertexStart[o + 1] - v0;
    const m0 = mv[0], m1 = mv[1], m2 = mv[2], m3 = mv[3], m4 = mv[4], m5 = mv[5], m6 = mv[6], m7 = mv[7];
    const m8 = mv[8], m9 = mv[9], m10 = mv[10], m11 = mv[11];
    for (let i = 0, s = v0 * 3; i < nv; i++, s += 3) {
      const X = V[s], Y = V[s + 1], Z = V[s + 2];
      const x = m0 * X + m1 * Y + m2 * Z + m3, y = m4 * X + m5 * Y + m6 * Z + m7, z = m8 * X + m9 * Y + m10 * Z + m11;
      const k = i * 3;
      cam[k] = x; cam[k + 1] = y; cam[k + 2] = z;
      let c = 0;
      if (z > -near) c = NEAR;
      else {
        if (z < -far) c |= FAR;
        if (x < tx * z) c |= LEFT;
        else if (x > -tx * z) c |= RIGHT;
        if (y < ty * z) c |= BOTTOM;
        else if (y > -ty * z) c |= TOP;
        if (x < gx * z || x > -gx * z || y < gy * z || y > -gy * z) c |= GUARD;
        else {
          const w = -1 / z;
          proj[k] = Math.round((cx + fx * x * w) * FILL_SUBPIXEL);
          proj[k + 1] = Math.round((cy - fy * y * w) * FILL_SUBPIXEL);
          proj[k + 2] = w;
        }
      }
      codes[i] = c;
    }
    const t0 = rs.objTriStart[o], t1 = rs.objTriStart[o + 1];
    const cull = rs.triCull, stampInst = rs.objInstance[o];
    for (let t = t0; t < t1; t++) {
      const a = I[t * 3], b = I[t * 3 + 1], c = I[t * 3 + 2];
      const ca = codes[a], cb = codes[b], cc = codes[c];
      if ((ca & cb & cc & OUTSIDE) !== 0) continue;
      const ka = a * 3, kb = b * 3, kc = c * 3;
      if (cull[t] !== 0) {
        // Back-facing when the camera (origin) is behind the plane: n·a ≥ 0.
        const ax = cam[ka], ay = cam[ka + 1], az = cam[ka + 2];
        const ux = cam[kb] - ax, uy = cam[kb + 1] - ay, uz = cam[kb + 2] - az;
        const vx = cam[kc] - ax, vy = cam[kc + 1] - ay, vz = cam[kc + 2] - az;
        if ((uy * vz - uz * vy) * ax + (uz * vx - ux * vz) * ay + (ux * vy - uy * vx) * az >= 0) continue;
      }
      let drawn: number;
      if (((ca | cb | cc) & (NEAR | GUARD)) === 0) {
        drawn = rasterTriangle(this, t, stampInst, cull[t], proj, ka, kb, kc);
      } else {
        drawn = this.clipAndDraw(t, stampInst, cull[t], ka, kb, kc, (ca | cb | cc) & NEAR);
      }
      if (dynamic && drawn > 0) rs.triColour[t] = shade(rs.materialData, rs.triSlot[t] * 6, rs.light, rs.normals, t * 3, this.localSun) | (rs.triSemantic[t] << 24);
    }
  }

  /** Clips a triangle in camera space (near plane if needed, then the guard band) and draws the fan. */
  private clipAndDraw(t: number, stamp: number, cull: number, ka: number, kb: number, kc: number, nearCut: number): number {
    const cam = this.cam;
    let src = this.polyA, dst = this.polyB;
    src[0] = cam[ka]; src[1] = cam[ka + 1]; src[2] = cam[ka + 2];
    src[3] = cam[kb]; src[4] = cam[kb + 1]; src[5] = cam[kb + 2];
    src[6] = cam[kc]; src[7] = cam[kc + 1]; src[8] = cam[kc + 2];
    let n = 3;
    const near = this.intrinsics.near, gx = this.guardX, gy = this.guardY;
    for (let plane = nearCut ? 0 : 1; plane < 5 && n >= 3; plane++) {
      n = clipPolygon(src, n, dst, plane, near, gx, gy);
      const tmp = src; src = dst; dst = tmp;
    }
    if (n < 3) return 0;
    const { fx, fy, cx, cy } = this.intrinsics;
    // Project in place: (x, y, z) → (fixed x, fixed y, 1/z), exactly as drawObject does.
    for (let i = 0; i < n * 3; i += 3) {
      const w = -1 / src[i + 2];
      const px = Math.round((cx + fx * src[i] * w) * FILL_SUBPIXEL);
      const py = Math.round((cy - fy * src[i + 1] * w) * FILL_SUBPIXEL);
      src[i] = px; src[i + 1] = py; src[i + 2] = w;
    }
    let drawn = 0;
    for (let i = 1; i + 1 < n; i++) {
      drawn += rasterTriangle(this, t, stamp, cull, src, 0, i * 3, i * 3 + 3);
    }
    return drawn;
  }

  /** Visibility buffer → rgb, depth, semantic, instance; then sky and fog. */
  private resolve(rs: RasterScene): void {
    const L = rs.lighting;
    resolvePixels(this.triangle, this.invDepth, rs.triColour, rs.triInstance, this.rgb, this.depth, this.semantic, this.instance, L.skyColor);
    if (L.fogDensity > 0) applyFog(this.rgb, this.depth, L.fogColor, L.fogDensity);
  }
}

function resolvePixels(
  ids: Int32Array, inv: Float32Array, colours: Int32Array, triInst: Int32Array,
  rgb: Uint8Array, depth: Float32Array, sem: Uint8Array, inst: Int32Array, sky: number,
): void {
  const skyR = (sky >> 16) & 255, skyG = (sky >> 8) & 255, skyB = sky & 255;
  const n = ids.length;
  for (let p = 0, q = 0; p < n; p++, q += 3) {
    const id = ids[p];
    if (id < 0) {
      rgb[q] = skyR; rgb[q + 1] = skyG; rgb[q + 2] = skyB;
      depth[p] = Infinity;
      sem[p] = 0;
      inst[p] = 0;
    } else {
      // Packed class << 24 | 0xBBGGRR; a Uint8Array store keeps the low byte.
      const c = colours[id];
      rgb[q] = c; rgb[q + 1] = c >> 8; rgb[q + 2] = c >> 16;
      depth[p] = 1 / inv[p];
      sem[p] = c >>> 24;
      inst[p] = triInst[id];
    }
  }
}

/** Blends in sRGB bytes towards the fog colour: a surface keeps exp(−density·depth) of its own; sky is untouched. */
function applyFog(rgb: Uint8Array, depth: Float32Array, fog: number, density: number): void {
  const fogR = (fog >> 16) & 255, fogG = (fog >> 8) & 255, fogB = fog & 255;
  for (let p = 0, q = 0; p < depth.length; p++, q += 3) {
    const z = depth[p];
    if (z === Infinity) continue;
    const f = Math.exp(-density * z);
    rgb[q] = Math.round(fogR + (rgb[q] - fogR) * f);
    rgb[q + 1] = Math.round(fogG + (rgb[q + 1] - fogG) * f);
    rgb[q + 2] = Math.round(fogB + (rgb[q + 2] - fogB) * f);
  }
}

/** Whether an object and all its ancestors are visible. */
function visible(o: { visible: boolean; parent: unknown }): boolean {
  for (let n: { visible: boolean; parent: unknown } | null = o; n; n = n.parent as typeof n) if (!n.visible) return false;
  return true;
}
