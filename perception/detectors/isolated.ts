/**
 * A plug-in detector in its own worker thread, so that what it does cannot take the run with it:
 *   - a `detect` (or `load`) that never returns, even in a busy loop, is stopped at the timeout:
 *     the thread is terminated and a fresh one loads the plug-in again for the next frame;
 *   - `process.exit()` in the plug-in ends its thread only, and is reported;
 *   - what it prints goes to stderr with its name in front, never into stdout (where `--json`
 *     output goes).
 * The proxy returned keeps the Detector contract; results are checked by the caller as before.
 */
import { Worker } from 'node:worker_threads';
import type { CameraFrame, Detection, Detector } from './types.ts';
import { checkDetector, DetectorError } from './validate.ts';

export interface IsolationOptions {
  /** Longest a `detect` call may take before the thread is stopped [ms] */
  timeoutMs: number;
  /** Longest `load` may take [ms] */
  loadTimeoutMs: number;
  /** Where the plug-in's prints go (default: this process's stderr) */
  log?: (line: string) => void;
}

type Reply = { type: 'loaded'; name: string; classes: string[] } | { type: 'load-error'; message: string }
  | { type: 'result'; id: number; detections: unknown } | { type: 'throw'; id: number; message: string } | { type: 'disposed' };

const WORKER = new URL('./isolatedWorker.mjs', import.meta.url);

class PluginThread {
  readonly worker: Worker;
  private waiting: ((reply: Reply) => void) | null = null;
  private failed: ((err: DetectorError) => void) | null = null;
  exited: string | null = null;

  constructor(spec: string, options: Record<string, unknown>, log: (line: string) => void) {
    this.worker = new Worker(WORKER, { workerData: { spec, options }, stdout: true, stderr: true });
    for (const stream of [this.worker.stdout, this.worker.stderr]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop()!;
        for (const line of lines) log(`[${spec}] ${line}`);
      });
    }
    this.worker.on('message', (reply: Reply) => this.waiting?.(reply));
    this.worker.on('error', (err: Error) => this.fail(`its thread failed: ${String(err?.message ?? err).split('\n')[0]}`));
    this.worker.on('exit', (code) => this.fail(`it ended its thread (process.exit(${code}))`));
  }

  private fail(why: string): void {
    this.exited ??= why;
    this.failed?.(new DetectorError(`${why}`));
  }

  /** Sends `message` and waits for the reply, or rejects after `timeoutMs` with `onTimeout`'s error */
  ask(message: unknown, timeoutMs: number, onTimeout: () => DetectorError): Promise<Reply> {
    if (this.exited) return Promise.reject(new DetectorError(this.exited));
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        void this.worker.terminate();
        reject(onTimeout());
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiting = this.failed = null;
      };
      this.waiting = (reply) => { done(); resolve(reply); };
      this.failed = (err) => { done(); reject(err); };
      this.worker.postMessage(message);
    });
  }
}

/** Loads the plug-in module at `spec` in a worker thread; see the file's comment */
export async function loadIsolated(spec: string, options: Record<string, unknown>, iso: IsolationOptions): Promise<Detector> {
  const log = iso.log ?? ((line: string) => void process.stderr.write(line + '\n'));
  let thread: PluginThread | null = null;
  const start = async (): Promise<{ name: string; classes: string[] }> => {
    thread = new PluginThread(spec, options, log);
    let reply: Reply;
    try {
      reply = await thread.ask({ type: 'load' }, iso.loadTimeoutMs, () => new DetectorError(`${spec}: load() gave no answer within ${iso.loadTimeoutMs} ms`));
    } catch (err) {
      throw err instanceof DetectorError && !err.message.startsWith(spec) ? new DetectorError(`${spec}: load(): ${err.message}`) : err;
    }
    if (reply.type === 'load-error') {
      void thread.worker.terminate();
      throw new DetectorError(reply.message);
    }
    return reply as { name: string; classes: string[] };
  };
  const first = await start();
  let nextId = 0;
  // One call at a time: the thread answers in order, and each call's timeout starts when it is sent.
  let turn: Promise<unknown> = Promise.resolve();
  const detectNow = async (frame: CameraFrame): Promise<Detection[]> => {
    const where = `detector "${first.name}", frame ${frame.cameraId}@${frame.timestamp.toFixed(2)}s`;
    // A thread stopped after a hang or an exit is replaced for the next frame.
    if (!thread || thread.exited) await start();
    const id = nextId++;
    let reply: Reply;
    try {
      reply = await thread!.ask({ type: 'detect', id, frame }, iso.timeoutMs, () => new DetectorError(`${where}: detect() gave no answer within ${iso.timeoutMs} ms; its thread was stopped`));
    } catch (err) {
      throw err instanceof DetectorError && !err.message.startsWith(where) ? new DetectorError(`${where}: detect(): ${err.message}`) : err;
    }
    if (reply.type === 'throw') throw new Error(reply.message);
    return (reply as { detections: Detection[] }).detections;
  };
  const detector: Detector = {
    name: first.name,
    classes: first.classes,
    detect(frame: CameraFrame): Promise<Detection[]> {
      const mine = turn.then(() => detectNow(frame));
      turn = mine.catch(() => {});
      return mine;
    },
    dispose() {
      const t = thread;
      if (!t || t.exited) return;
      // dispose() is synchronous in the contract: ask, and end the thread shortly whatever it says.
      t.ask({ type: 'dispose' }, 1000, () => new DetectorError(`${spec}: dispose() gave no answer`)).catch(() => {}).finally(() => void t.worker.terminate());
    },
  };
  return checkDetector(detector, spec);
}
