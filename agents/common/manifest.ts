/**
 * The `policy.json` every saved policy directory starts with: which agent, its arguments, the
 * spaces it was made for. File access is loaded on use, so agents also bundle for browsers.
 */
import { fileName, sourceOf, type PolicySource } from './policySource.ts';

export const MANIFEST = 'policy.json';
export const MANIFEST_VERSION = 1;

export interface PolicyManifest {
  version: number;
  agent: string;
  args: unknown;
  /** Spaces the policy was made for, when it depends on them */
  observationSpace?: unknown;
  actionSpace?: unknown;
}

export async function writePolicyManifest(dir: string, m: Omit<PolicyManifest, 'version'>): Promise<void> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, MANIFEST), JSON.stringify({ version: MANIFEST_VERSION, ...m }, null, 2) + '\n');
}

/** The manifest of the saved policy in `dir` (a directory) or `source` */
export async function readPolicyManifest(dirOrSource: string | PolicySource): Promise<PolicyManifest> {
  const source = sourceOf(dirOrSource);
  return parsePolicyManifest(await readManifestText(source), fileName(source, MANIFEST));
}

/** The text of `source`'s manifest; an error naming the file (path or URL) when there is none */
export async function readManifestText(source: PolicySource): Promise<string> {
  try {
    return await source.text(MANIFEST);
  } catch (err) {
    throw new Error(`${(err as Error).message}; expected a policy directory with ${MANIFEST}`);
  }
}

/** The manifest in `text`, checked field by field; `file` names it in errors (a path or a URL) */
export function parsePolicyManifest(text: string, file: string): PolicyManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const m = data as Partial<PolicyManifest>;
  if (typeof m !== 'object' || m === null) throw new Error(`${file}: expected an object`);
  if (m.version !== MANIFEST_VERSION) throw new Error(`${file}: version: expected ${MANIFEST_VERSION}, got ${JSON.stringify(m.version)}`);
  if (typeof m.agent !== 'string') throw new Error(`${file}: agent: expected a string, got ${JSON.stringify(m.agent)}`);
  if (m.args !== undefined && m.args !== null && (typeof m.args !== 'object' || Array.isArray(m.args))) {
    throw new Error(`${file}: args: expected an object of the agent's arguments, got ${JSON.stringify(m.args)}`);
  }
  return m as PolicyManifest;
}
