/**
 * Vulkan for the `webgpu` backend: on Linux, Dawn (the `webgpu` package) runs WebGPU on Vulkan,
 * which needs the Vulkan loader (`libvulkan.so.1`) and at least one driver (an ICD manifest). This
 * module checks for both before Dawn starts, so `--backend webgpu` can say in one line what is
 * missing, and finds SwiftShader, the software Vulkan driver that Debian's `chromium-common` (which
 * `chromium` and `chromium-headless-shell` depend on) ships together with its own loader:
 *
 *   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
 *
 * LD_LIBRARY_PATH is read when a process starts, so both are set before Node runs. Everything here
 * only looks at files: nothing loads tfjs or Dawn.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const LOADER = 'libvulkan.so.1';
const SWIFTSHADER_ICD = 'vk_swiftshader_icd.json';

/** Well-known folders of the Vulkan loader when a distribution package installs it */
const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib', '/lib', '/usr/local/lib'];
/** Folders where packages put SwiftShader next to a Vulkan loader (Chromium builds) */
const SWIFTSHADER_DIRS = ['/usr/lib/chromium', '/usr/lib64/chromium', '/usr/lib/chromium-browser'];

/** The environment that selects SwiftShader, or null when no package on this machine ships it */
export function softwareVulkan(): { LD_LIBRARY_PATH: string; VK_ICD_FILENAMES: string } | null {
  const dir = SWIFTSHADER_DIRS.find((d) => existsSync(join(d, SWIFTSHADER_ICD)) && existsSync(join(d, LOADER)));
  return dir ? { LD_LIBRARY_PATH: dir, VK_ICD_FILENAMES: join(dir, SWIFTSHADER_ICD) } : null;
}

const paths = (value: string | undefined) => (value ?? '').split(delimiter).filter((p) => p !== '');

function loaderFound(env: NodeJS.ProcessEnv): boolean {
  if ([...paths(env.LD_LIBRARY_PATH), ...LIB_DIRS].some((d) => existsSync(join(d, LOADER)))) return true;
  try {
    // ld.so's cache names every library that ldconfig knows, in plain text.
    return readFileSync('/etc/ld.so.cache', 'latin1').includes(LOADER);
  } catch {
    return false;
  }
}

/** Driver manifests: those the environment names instead of the defaults, else any added or in the loader's default folders */
function driverFound(env: NodeJS.ProcessEnv): boolean {
  const named = paths(env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES);
  if (named.length > 0) return named.some((f) => existsSync(f));
  if (paths(env.VK_ADD_DRIVER_FILES).some((f) => existsSync(f))) return true;
  const roots = [
    ...paths(env.XDG_CONFIG_DIRS ?? '/etc/xdg'), '/etc',
    ...(env.HOME ? [join(env.HOME, '.local/share')] : []),
    ...paths(env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share'), '/usr/local/share', '/usr/share', '/usr/local/etc',
  ];
  return roots.some((r) => {
    try {
      return readdirSync(join(r, 'vulkan/icd.d')).some((f) => f.endsWith('.json'));
    } catch {
      return false;
    }
  });
}

/**
 * Why Dawn cannot find a Vulkan adapter here, with what to install or set; null when the loader
 * and a driver are present (or off Linux, where Dawn uses Metal or Direct3D).
 */
export function vulkanProblem(env: NodeJS.ProcessEnv = process.env, platform: string = process.platform): string | null {
  if (platform !== 'linux') return null;
  const loader = loaderFound(env);
  if (loader && driverFound(env)) return null;
  const missing = loader ? 'no Vulkan driver (ICD manifest) found' : `no Vulkan loader (${LOADER}) found`;
  const sw = softwareVulkan();
  const software = sw
    ? `run with LD_LIBRARY_PATH=${sw.LD_LIBRARY_PATH} VK_ICD_FILENAMES=${sw.VK_ICD_FILENAMES}`
    : `apt-get install chromium-common, then run with LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/${SWIFTSHADER_ICD}`;
  return `${missing}: install the GPU's Vulkan driver, or for the slow SwiftShader software adapter ${software}`;
}
