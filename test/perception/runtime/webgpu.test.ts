/**
 * The webgpu backend (Dawn) against cpu, in a child process with the Vulkan environment set, so
 * that this process's tfjs stays on wasm. On a machine without a GPU the adapter is SwiftShader
 * (from Debian's chromium-common; .ci/run installs it), slow but exact enough to check kernels.
 * Skips only when the optional packages or every Vulkan driver are missing.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError } from '../../../perception/runtime/backends.ts';
import { softwareVulkan, vulkanProblem } from '../../../perception/runtime/vulkan.ts';
import { describeError } from '../../../src/errors.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = 'test/perception/runtime/webgpuChild.ts';

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** SwiftShader when a package ships it, else whatever Vulkan driver the machine has */
function childEnv(): NodeJS.ProcessEnv {
  const sw = softwareVulkan();
  if (!sw) return { ...process.env };
  const libs = [sw.LD_LIBRARY_PATH, process.env.LD_LIBRARY_PATH].filter(Boolean).join(delimiter);
  return { ...process.env, LD_LIBRARY_PATH: libs, VK_ICD_FILENAMES: sw.VK_ICD_FILENAMES, VK_DRIVER_FILES: sw.VK_ICD_FILENAMES };
}

const missing = ['webgpu', '@tensorflow/tfjs-backend-webgpu'].filter((p) => !installed(p));
const env = childEnv();
const skipReason = missing.length > 0 ? `optional package(s) ${missing.join(', ')} not installed` : vulkanProblem(env);
if (skipReason) console.log(`webgpu.test.ts skipped: ${skipReason}`);

interface Report {
  adapter: string;
  cases: Record<string, { maxAbs: number; rel: number; ms: number; n: number }>;
}

describe('webgpu backend', () => {
  it.skipIf(skipReason !== null)('computes conv2d, matMul and the detector network as cpu does', async () => {
    const t0 = performance.now();
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/run-ts.mjs', CHILD], { cwd: ROOT, env, timeout: 300_000 });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as Report;
    console.log(`webgpu on ${report.adapter} in ${Math.round(performance.now() - t0)} ms: ${JSON.stringify(report.cases)}`);
    expect(Object.keys(report.cases)).toHaveLength(4);
    for (const [name, c] of Object.entries(report.cases)) {
      expect(c.n, name).toBeGreaterThan(0);
      expect(c.rel, name).toBeLessThan(1e-3);
    }
  });

  it('says in one line what to install or set when Vulkan is missing', () => {
    const problem = vulkanProblem({ VK_ICD_FILENAMES: '/nonexistent/icd.json' }, 'linux');
    expect(problem).toMatch(/^no Vulkan (loader \(libvulkan\.so\.1\)|driver \(ICD manifest\)) found: .*VK_ICD_FILENAMES=/);
    expect(problem).not.toContain('\n');
    expect(vulkanProblem({}, 'darwin')).toBeNull();
    // The CLI prints it as it is: one line, no stack, exit code 2.
    expect(describeError(new BackendUnavailableError(`--backend webgpu: ${problem}`))).toEqual({ lines: [`--backend webgpu: ${problem}`], code: 2 });
  });
});
