/**
 * The TensorFlow.js runtime: which backend runs the networks, chosen once per process (or worker).
 *
 * Order of choice for `auto`: `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` (optional
 * peers, used when the user installed one), then the embedded wasm backend, then `cpu`. The wasm
 * backend gets drivelab's training kernels: the filter gradient of a convolution it lacks, and
 * matrix products that stay on its fast path when an operand is transposed. `webgpu` (Dawn, an
 * optional package; see webgpu.ts) runs only when asked for by name.
 */
import * as tf from '@tensorflow/tfjs';
import { registerWasmFusedMatMul } from './wasmMatMul.ts';
import { registerWasmTrainingKernels } from './wasmTrainingKernels.ts';

import { BACKENDS, BackendUnavailableError, type BackendChoice } from './backends.ts';
import { startWebgpu } from './webgpu.ts';

export { BACKENDS, BackendUnavailableError, type BackendChoice };

let ready: Promise<string> | null = null;
let chosen: BackendChoice | null = null;

/**
 * Starts tfjs on `choice` (default: `DRIVELAB_BACKEND` from the environment, else `auto`) and
 * resolves to the backend's name. Later calls return the first call's backend; asking for a
 * different one then is an error, since tensors cannot cross backends.
 */
export function initTf(choice?: BackendChoice): Promise<string> {
  const wanted = choice ?? envChoice();
  if (ready) {
    if (choice && chosen !== choice && !(choice === 'auto')) {
      return ready.then((name) => {
        if (name !== choice) throw new Error(`--backend ${choice}: tfjs already runs on ${name} in this process`);
        return name;
      });
    }
    return ready;
  }
  chosen = wanted;
  ready = start(wanted).then((name) => (settled = name));
  return ready;
}

/** The backend tfjs runs on, null before `initTf` has settled */
export function backendInUse(): string | null {
  return settled;
}

let settled: string | null = null;

function envChoice(): BackendChoice {
  const value = typeof process !== 'undefined' ? process.env.DRIVELAB_BACKEND : undefined;
  if (value === undefined || value === '') return 'auto';
  if (!(BACKENDS as readonly string[]).includes(value)) throw new Error(`DRIVELAB_BACKEND: expected one of ${BACKENDS.join(', ')}, got "${value}"`);
  return value as BackendChoice;
}

async function start(choice: BackendChoice): Promise<string> {
  // Production mode skips per-op debug checks: a quarter of the per-kernel time on wasm.
  tf.enableProdMode();
  if (choice === 'webgpu') return startWebgpu();
  if (choice === 'auto' || choice === 'tensorflow') {
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      try {
        await import(/* @vite-ignore */ pkg);
        if (await tf.setBackend('tensorflow')) return 'tensorflow';
      } catch {
        // Not installed (it is optional): try the next.
      }
    }
    if (choice === 'tensorflow') throw new BackendUnavailableError('--backend tensorflow: neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed');
  }
  if (choice === 'auto' || choice === 'wasm') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      await registerTrainingKernels();
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return 'wasm';
      }
    } catch (err) {
      if (choice === 'wasm') throw new BackendUnavailableError(`--backend wasm: the wasm backend did not start (${(err as Error).message})`);
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  // The cpu backend prints an advert for tfjs-node on its first tensor; the choice above is deliberate.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return 'cpu';
}

async function registerTrainingKernels(): Promise<void> {
  registerWasmTrainingKernels();
  registerWasmFusedMatMul();
}

export { tf };
