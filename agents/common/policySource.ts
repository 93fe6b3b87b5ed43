/**
 * Where a saved policy's files come from: a directory (Node) or a URL (a browser, or any runtime
 * with `fetch`). Loading reads `policy.json` and the agent's other files through one of these, so
 * the same code loads a policy from disk in the CLI and over HTTP in the viewer. Node's file API is
 * imported on use, so this module bundles for a browser.
 */
import { nodePath } from './nodeBuiltins.ts';

export interface PolicySource {
  /** For messages, e.g. the dir or URL */
  name: string;
  /** A file's text; rejects with a one-line error naming the file when it cannot be read */
  text(file: string): Promise<string>;
  /** A file's bytes; rejects as `text` does */
  bytes(file: string): Promise<Uint8Array>;
  /** How messages name `file`: its path or URL (default `<name>/<file>`) */
  nameOf?(file: string): string;
}

/** How messages name `file` of `source` */
export function fileName(source: PolicySource, file: string): string {
  return source.nameOf ? source.nameOf(file) : `${source.name.replace(/\/+$/, '')}/${file}`;
}

/** The files of directory `dir` */
export function dirSource(dir: string): PolicySource {
  const nameOf = (file: string) => nodePath().join(dir, file);
  const read = async <T>(file: string, how: (path: string) => Promise<T>): Promise<T> => {
    const path = nameOf(file);
    try {
      return await how(path);
    } catch {
      throw new Error(`${path}: cannot read it`);
    }
  };
  return {
    name: dir,
    nameOf,
    text: (file) => read(file, async (path) => (await import('node:fs/promises')).readFile(path, 'utf8')),
    bytes: (file) => read(file, async (path) => new Uint8Array(await (await import('node:fs/promises')).readFile(path))),
  };
}

/**
 * The files under `baseUrl`, fetched. A base without a trailing slash is taken as a directory all
 * the same (`.../dqn-highway` reads `.../dqn-highway/policy.json`); a relative one is resolved
 * against the page's address.
 */
export function urlSource(baseUrl: string | URL): PolicySource {
  const page = (globalThis as { location?: { href: string } }).location?.href;
  let base: URL;
  try {
    base = new URL(baseUrl, page);
  } catch {
    throw new Error(`urlSource: ${JSON.stringify(String(baseUrl))} is not a URL${page ? '' : ' (a relative one needs a page to resolve it against)'}`);
  }
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const nameOf = (file: string) => new URL(file, base).href;
  const get = async (file: string): Promise<Response> => {
    const url = nameOf(file);
    let response: Response;
    try {
      response = await fetch(url);
    } catch (err) {
      throw new Error(`${url}: cannot fetch it (${oneLine(err)})`);
    }
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    return response;
  };
  return {
    name: base.href,
    nameOf,
    text: async (file) => (await get(file)).text(),
    bytes: async (file) => new Uint8Array(await (await get(file)).arrayBuffer()),
  };
}

/** A directory path as a source; a source as itself */
export const sourceOf = (dirOrSource: string | PolicySource): PolicySource => (typeof dirOrSource === 'string' ? dirSource(dirOrSource) : dirOrSource);

/** An error's message on one line (fetch's causes can span several) */
function oneLine(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  const text = [e?.message, e?.cause?.message].filter(Boolean).join(': ') || String(err);
  return text.replace(/\s*\n\s*/g, ' ');
}
