/**
 * The `webgpu` backend in Node: Dawn (the optional `webgpu` package) provides `navigator.gpu`, and
 * `@tensorflow/tfjs-backend-webgpu` (optional too) runs tfjs on it. On Linux Dawn needs Vulkan;
 * see vulkan.ts. Asked for by name only: `auto` never picks it, since on a machine without a GPU
 * the adapter is a software one, slower than wasm.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError } from './backends.ts';
import { vulkanProblem } from './vulkan.ts';

const PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'];
const INSTALL = `npm install ${PACKAGES.join(' ')}`;

/** What Dawn's package exports (typed here, so that type-checking does not need it installed) */
interface Dawn {
  create(flags: string[]): { requestAdapter(options?: { powerPreference?: string }): Promise<object | null> };
  globals: Record<string, unknown>;
}

const fail = (why: string) => new BackendUnavailableError(`--backend webgpu: ${why}`);
const firstLine = (err: unknown) => String((err as Error)?.message ?? err).split('\n')[0];

/** Starts tfjs on WebGPU, or throws a BackendUnavailableError that says why it cannot. */
export async function startWebgpu(): Promise<'webgpu'> {
  const require = createRequire(import.meta.url);
  for (const pkg of PACKAGES) {
    try {
      require.resolve(pkg);
    } catch {
      throw fail(`the optional package ${pkg} is not installed (${INSTALL})`);
    }
  }
  const problem = vulkanProblem();
  if (problem) throw fail(problem);
  let dawn: Dawn;
  try {
    dawn = (await import(/* @vite-ignore */ PACKAGES[0])) as Dawn;
  } catch (err) {
    throw fail(`Dawn (the webgpu package) did not load on this platform (${firstLine(err)})`);
  }
  const gpu = dawn.create([]);
  if (!(await gpu.requestAdapter({ powerPreference: 'high-performance' }))) {
    throw fail('Dawn found no WebGPU adapter (its warnings above say why): check the GPU driver, or VK_ICD_FILENAMES for a software one');
  }
  // As the webgpu package documents: its globals (GPUBufferUsage, …) on globalThis, and the
  // object create() returns as navigator.gpu. The backend registers itself on import only when
  // navigator.gpu exists, so this comes first.
  Object.assign(globalThis, dawn.globals);
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  try {
    await import(/* @vite-ignore */ PACKAGES[1]);
    if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend returned false');
    await tf.ready();
  } catch (err) {
    throw fail(`the tfjs webgpu backend did not start (${firstLine(err)})`);
  }
  return 'webgpu';
}
