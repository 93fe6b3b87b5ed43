/**
 * The page's view of a run: the three.js renderer with its cameras, the ego-camera inset with the
 * detector's boxes, the HUD and the charts. It draws whatever a `Source` sends; it never runs the
 * world itself.
 */
import { PerspectiveCamera, Vector3, WebGLRenderer } from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { Camera } from '../../../sim/sensors/camera/Camera.ts';
import type { CameraSpecInput } from '../../../sim/sensors/camera/Camera.ts';
import type { EpisodeMessage, FrameMessage, ServerMessage, StatusMessage } from '../protocol.ts';
import { Charts } from './charts.ts';
import { Hud } from './hud.ts';
import { WorldView } from './worldView.ts';

export type CameraMode = 'chase' | 'top' | 'orbit';
export const CAMERA_MODES: CameraMode[] = ['chase', 'top', 'orbit'];

const DETECTION_COLOURS: Record<string, string> = { vehicle: '#ff3fa4', pedestrian: '#ffc21a', obstacle: '#3fd2ff' };
const INSET_SCALE = 3;

/** What tests and the benchmark read from the page (window.drivelab) */
export interface ViewerStats {
  mode: string;
  episodes: number;
  frames: number;
  /** Frames drawn by the renderer since the page loaded */
  rendered: number;
  last: FrameMessage | null;
  episode: EpisodeMessage | null;
  status: StatusMessage | null;
  errors: string[];
}

export class Viewer {
  readonly stats: ViewerStats = { mode: '', episodes: 0, frames: 0, rendered: 0, last: null, episode: null, status: null, errors: [] };
  readonly renderer: WebGLRenderer;
  readonly camera = new PerspectiveCamera(55, 16 / 9, 0.5, 3000);
  readonly view = new WorldView();
  readonly hud: Hud;
  readonly charts: Charts;
  cameraMode: CameraMode = 'chase';
  show = { lidar: true, tracks: true, boxes: true };
  /** Called with every message after the viewer has taken it in */
  onMessage: (m: ServerMessage) => void = () => {};
  private readonly orbit: OrbitControls;
  private readonly insetCanvas: HTMLCanvasElement;
  private readonly insetPixels: HTMLCanvasElement;
  private egoCamera: Camera | null = null;
  private episode: EpisodeMessage | null = null;
  private loading: Promise<void> = Promise.resolve();
  private lastArrival = 0;
  /** Recent frames' [wall time ms, simulated time s], for the real-time factor */
  private readonly clock: [number, number][] = [];
  private frameInterval = 100;
  private readonly lastEgo = new Vector3();
  private readonly chasePosition = new Vector3();
  private readonly chaseTarget = new Vector3();

  constructor(private readonly root: HTMLElement) {
    const canvas = root.querySelector<HTMLCanvasElement>('#view')!;
    this.renderer = new WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.orbit = new OrbitControls(this.camera, canvas);
    this.orbit.enabled = false;
    this.orbit.maxPolarAngle = Math.PI / 2 - 0.05;
    this.hud = new Hud(root);
    this.charts = new Charts(root.querySelector('#chart-return')!, root.querySelector('#chart-terms')!, root.querySelector('#history')!);
    this.insetCanvas = root.querySelector<HTMLCanvasElement>('#inset-canvas')!;
    this.insetPixels = document.createElement('canvas');
    window.addEventListener('resize', () => this.resize());
    this.resize();
    const loop = (now: number) => {
      this.draw(now);
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  }

  setCamera(mode: CameraMode): void {
    this.cameraMode = mode;
    this.orbit.enabled = mode === 'orbit';
    if (mode === 'orbit' && this.view.world) {
      const ego = this.view.world.egoActor;
      this.orbit.target.set(ego.x, 0, -ego.y);
      this.camera.position.set(ego.x - 30, 35, -ego.y + 30);
      this.orbit.update();
    }
  }

  /** Takes one message; episodes load in order, and frames wait for their episode's world */
  receive(m: ServerMessage): void {
    const arrived = performance.now();
    this.loading = this.loading
      .then(async () => {
        if (m.type === 'episode') await this.startEpisode(m);
        else if (m.type === 'frame') this.takeFrame(m, true, arrived);
        else if (m.type === 'error') this.error(m.message);
        else if (m.type === 'status') {
          this.stats.status = m;
          if (m.error) this.error(m.error);
        }
        this.onMessage(m);
      })
      .catch((err: unknown) => this.error((err as Error).message ?? String(err)));
  }

  error(message: string): void {
    this.stats.errors.push(message);
    const box = this.root.querySelector<HTMLElement>('#error');
    if (box) {
      box.textContent = message;
      box.className = 'show';
      setTimeout(() => (box.className = ''), 8000);
    }
  }

  private async startEpisode(m: EpisodeMessage): Promise<void> {
    const last = this.stats.last;
    if (this.episode && last && last.outcome) this.charts.endEpisode(this.episode.seed, last.return, last.outcome);
    await this.view.load(m.scenario, m.seed);
    this.episode = m;
    this.stats.episode = m;
    this.stats.episodes++;
    const spec = (m.scenario.sensors.find((s) => s.type === 'camera') ?? { type: 'camera' }) as CameraSpecInput;
    this.egoCamera = new Camera(spec);
    this.insetPixels.width = this.egoCamera.spec.width;
    this.insetPixels.height = this.egoCamera.spec.height;
    this.insetCanvas.width = this.egoCamera.spec.width * INSET_SCALE;
    this.insetCanvas.height = this.egoCamera.spec.height * INSET_SCALE;
    this.frameInterval = m.dt * 1000;
    this.hud.episode(m, this.stats.mode);
    this.charts.reset();
    this.takeFrame(m.frame, false);
    const ego = this.view.world.egoActor;
    this.lastEgo.set(ego.x, 0, -ego.y);
    this.chasePosition.set(ego.x - 14 * Math.cos(ego.heading), 6, -(ego.y - 14 * Math.sin(ego.heading)));
    if (this.cameraMode === 'orbit') this.setCamera('orbit');
  }

  /** Shows a frame; `live` eases to it over the time since the last one, a scrub jumps */
  takeFrame(f: FrameMessage, live = true, arrived = performance.now()): void {
    if (!this.episode) return;
    const now = performance.now();
    const interval = live && this.lastArrival ? Math.min(1000, Math.max(16, now - this.lastArrival)) : 1;
    this.lastArrival = now;
    this.view.apply(f, interval, now);
    this.stats.frames++;
    this.stats.last = f;
    // A replay's frames follow the timeline, which may jump: no rate to speak of.
    // Only while playing: single steps say nothing of a rate.
    const playing = live && this.stats.mode !== 'replay' && this.stats.status?.paused !== true;
    const rate = live ? this.realTimeFactor(arrived, f.time) : null;
    this.hud.frame(f, playing ? rate : null);
    if (f.step > 0) this.charts.add(f.time, f.return, f.rewards);
    if (this.stats.frames % 3 === 0 || !live || f.outcome) this.charts.redraw();
    this.drawInset(f);
  }

  /** Simulated seconds per wall second over the last two seconds of frames, or null until known */
  private realTimeFactor(now: number, simTime: number): number | null {
    const h = this.clock;
    if (h.length && simTime < h[h.length - 1][1]) h.length = 0; // a new episode
    h.push([now, simTime]);
    while (h.length > 2 && now - h[0][0] > 2000) h.shift();
    const wall = (now - h[0][0]) / 1000;
    return wall > 0.5 ? (simTime - h[0][1]) / wall : null;
  }

  /** Draws the inset again, e.g. when its boxes are switched on or off while paused */
  redrawInset(): void {
    if (this.stats.last) this.drawInset(this.stats.last);
  }

  /** The ego camera's frame at the step, drawn by the rasteriser, as the agent and detector see it */
  private drawInset(f: FrameMessage): void {
    const cam = this.egoCamera;
    if (!cam) return;
    this.view.update(Infinity);
    const frame = cam.render(this.view.world, this.view.scene);
    const ctx = this.insetPixels.getContext('2d')!;
    const image = ctx.createImageData(frame.width, frame.height);
    const rgb = frame.data, rgba = image.data;
    for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
      rgba[j] = rgb[i];
      rgba[j + 1] = rgb[i + 1];
      rgba[j + 2] = rgb[i + 2];
      rgba[j + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
    const out = this.insetCanvas.getContext('2d')!;
    out.imageSmoothingEnabled = false;
    out.drawImage(this.insetPixels, 0, 0, this.insetCanvas.width, this.insetCanvas.height);
    if (this.show.boxes && f.detections) {
      out.lineWidth = 2;
      out.font = '12px system-ui, sans-serif';
      for (const d of f.detections) {
        const [x, y, w, h] = d.bbox.map((v) => v * INSET_SCALE);
        const colour = DETECTION_COLOURS[d.label] ?? '#ffffff';
        out.strokeStyle = colour;
        out.strokeRect(x, y, w, h);
        // Labels only where there is room: distant cars are a few pixels wide.
        if (w >= 40) {
          out.fillStyle = colour;
          out.fillText(`${d.label} ${(100 * d.score).toFixed(0)}%`, x, Math.max(11, y - 3));
        }
      }
    }
  }

  private resize(): void {
    const canvas = this.renderer.domElement;
    const host = canvas.parentElement!;
    const w = host.clientWidth, h = host.clientHeight;
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / Math.max(1, h);
    this.camera.updateProjectionMatrix();
    this.charts.resize();
  }

  private draw(now: number): void {
    if (!this.view.scene) return;
    const canvas = this.renderer.domElement;
    if (canvas.width !== Math.floor(canvas.clientWidth * this.renderer.getPixelRatio())) this.resize();
    this.view.update(now);
    this.view.overlays.children.forEach((o) => {
      if (o.name === 'lidar') o.visible = this.show.lidar && o.userData.active === true;
      else if (o.name.startsWith('track-')) o.visible = this.show.tracks && o.userData.active === true;
    });
    this.follow();
    this.renderer.render(this.view.scene.scene, this.camera);
    this.stats.rendered++;
  }

  private follow(): void {
    const ego = this.view.world.egoActor;
    const ex = ego.x, ez = -ego.y;
    if (this.cameraMode === 'chase') {
      const back = 14, up = 6, ahead = 12;
      const c = Math.cos(ego.heading), s = Math.sin(ego.heading);
      const want = new Vector3(ex - back * c, up, ez + back * s);
      this.chasePosition.lerp(want, 0.12);
      this.camera.position.copy(this.chasePosition);
      this.chaseTarget.set(ex + ahead * c, 1, ez - ahead * s);
      this.camera.lookAt(this.chaseTarget);
    } else if (this.cameraMode === 'top') {
      this.camera.position.set(ex, 60, ez + 0.001);
      this.camera.up.set(0, 0, -1);
      this.camera.lookAt(ex, 0, ez);
      this.camera.up.set(0, 1, 0);
    } else {
      // The orbit camera keeps its angle and distance and moves with the ego.
      const dx = ex - this.lastEgo.x, dz = ez - this.lastEgo.z;
      if (Math.abs(dx) + Math.abs(dz) < 50) {
        this.camera.position.x += dx;
        this.camera.position.z += dz;
        this.orbit.target.x += dx;
        this.orbit.target.z += dz;
      } else {
        this.orbit.target.set(ex, 0, ez);
      }
      this.orbit.update();
    }
    this.lastEgo.set(ex, 0, ez);
  }
}
