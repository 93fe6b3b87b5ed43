/**
 * The HTTP and WebSocket server of `drivelab view`: the built viewer app as static files, a few
 * single files at fixed paths (a recording to replay), and a WebSocket on /ws per page.
 *
 * It listens on loopback by default, and even there any web page the user visits can reach it, so:
 * - Host must be one of the allowed names with the bound port (`name:port`; a bare `name` only on
 *   port 80, where browsers leave the port out). Anything else is 403: a DNS-rebinding page has
 *   its own name in Host. Bound to a wildcard (0.0.0.0, ::), the server still answers only the
 *   loopback names until a LAN name or address is given in `allowedHosts`.
 * - A WebSocket opens only on /ws with an allowed Host and an Origin that is exactly
 *   `http://<that Host>` (same origin). A missing Origin is refused too: browsers always send it,
 *   so only a non-browser client lacks it, and such a client can set it.
 * - Paths are decoded once; `..`, `.`, empty and dot-file segments, backslashes and NUL are
 *   refused, and the file's real path (symlinks resolved) must lie under the root.
 * - A page's messages are JSON checked against ClientMessage (clientMessage.ts), at most 64 KiB.
 */
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { extname, join, resolve, sep } from 'node:path';
import sirv from 'sirv';
import { WebSocketServer, WebSocket } from 'ws';
import { parseClientMessage } from './clientMessage.ts';
import type { ClientMessage, ServerMessage } from './protocol.ts';

export interface ViewerServerOptions {
  /** Directory of the built app (index.html and assets) */
  root: string;
  /** Address to listen on; default '127.0.0.1' */
  host?: string;
  /** Port to listen on; default 5170; 0 = any free port */
  port?: number;
  /** Extra Host names allowed besides 127.0.0.1, localhost, [::1] and the bound host (e.g. a LAN name) */
  allowedHosts?: string[];
  /** Single files served at fixed URL paths, e.g. { '/api/replay': '<recording file>' } */
  files?: Record<string, string>;
  /** Called for each accepted WebSocket on path /ws; returns the handler of its messages */
  connect(send: (msg: ServerMessage) => void): { message(msg: ClientMessage): void; close(): void };
}

export interface ViewerServer {
  /** Address to open in a browser, e.g. http://127.0.0.1:5170/ */
  url: string;
  port: number;
  /** Closes every WebSocket and connection, then the server */
  close(): Promise<void>;
}

export const DEFAULT_VIEWER_PORT = 5170;

/** Largest message a page may send [bytes] */
const MAX_PAYLOAD = 64 * 1024;
/** Send buffer beyond which frames to a slow page are dropped (the next frame supersedes them) [bytes] */
const SLOW_CLIENT_BYTES = 4 * 1024 * 1024;
/** Send buffer beyond which a page is taken to be stalled and its socket is closed [bytes] */
const STALLED_CLIENT_BYTES = 64 * 1024 * 1024;

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Referrer-Policy': 'no-referrer',
};

/** Content types of the files a `files` mount is likely to hold; others are plain bytes */
const FILE_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.jsonl': 'application/x-ndjson',
  '.ndjson': 'application/x-ndjson',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export async function startViewerServer(o: ViewerServerOptions): Promise<ViewerServer> {
  const host = o.host ?? '127.0.0.1';
  const root = realpathSync(resolve(o.root));
  // `dev`: sirv looks each file up when asked, so a site rebuilt in place (another drivelab view
  // after a source change) is served as it is now, not cut to the sizes it had at start.
  const serveStatic = sirv(root, { dev: true, etag: true, extensions: [], onNoMatch: (_req, res) => notFound(res) });
  const files = new Map(Object.entries(o.files ?? {}).map(([path, file]) => [path, resolve(file)]));
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD });
  let authorities = new Set<string>();

  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if (!authorities.has((req.headers.host ?? '').toLowerCase())) return refuse(res, 403, 'Host not allowed (a guard against DNS rebinding)');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return refuse(res, 405, 'only GET and HEAD');
    }
    const url = req.url ?? '';
    const rawPath = url.split(/[?#]/, 1)[0];
    const mounted = files.get(rawPath);
    if (mounted !== undefined) return sendFile(res, mounted);
    const segments = pathSegments(rawPath);
    if (segments === null) return refuse(res, 400, 'bad path');
    if (!isFileUnder(root, segments)) return notFound(res);
    // sirv decodes once more: hand it the checked path, each segment escaped.
    req.url = '/' + segments.map(encodeURIComponent).join('/');
    delete req.headers.range; // sirv throws (uncaught) on an inverted range; the page asks for none
    serveStatic(req, res);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    const path = (req.url ?? '').split('?', 1)[0];
    let reason: string | null = null;
    if (path !== '/ws') reason = 'WebSockets only on /ws';
    else if (!authorities.has(hostHeader)) reason = 'Host not allowed (a guard against DNS rebinding)';
    else if (req.headers.origin === undefined) reason = 'Origin header missing';
    else if (req.headers.origin.toLowerCase() !== `http://${hostHeader}`) reason = 'Origin not allowed (same origin only)';
    if (reason !== null) return refuseUpgrade(socket, reason);
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, o.connect));
  });

  const port = await new Promise<number>((resolveListen, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(Object.assign(new Error(`the viewer server cannot listen on ${host}:${o.port ?? DEFAULT_VIEWER_PORT}: ${err.code ?? err.message}`, { cause: err }), { code: err.code }));
    server.once('error', onError);
    server.listen(o.port ?? DEFAULT_VIEWER_PORT, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolveListen(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
  authorities = allowedAuthorities(['127.0.0.1', 'localhost', '[::1]', host, ...(o.allowedHosts ?? [])], port);

  return {
    url: `http://${urlHost(host)}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

/** Wires one page's socket to its handler; nothing a page sends, or a handler throws, ends the server. */
function accept(ws: WebSocket, connect: ViewerServerOptions['connect']): void {
  let closed = false;
  const send = (msg: ServerMessage): void => {
    if (closed || ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > STALLED_CLIENT_BYTES) return void ws.terminate();
    // A page that cannot keep up misses frames rather than growing the server's memory; episodes,
    // statuses and errors are rare and always sent, as the page cannot do without them.
    if (msg.type === 'frame' && ws.bufferedAmount > SLOW_CLIENT_BYTES) return;
    ws.send(JSON.stringify(msg));
  };
  const fail = (message: string) => send({ type: 'error', message });

  ws.on('error', () => {}); // e.g. a message over maxPayload: ws closes that socket with 1009 itself
  let handler: ReturnType<typeof connect>;
  try {
    handler = connect(send);
  } catch (err) {
    fail(`the session did not start: ${oneLine(err)}`);
    ws.close(1011, 'session failed');
    return;
  }
  ws.on('message', (data, isBinary) => {
    if (isBinary) return fail('binary messages are not taken; send JSON text');
    const parsed = parseClientMessage(String(data));
    if (!parsed.ok) return fail(parsed.error);
    try {
      // A handler may be async despite its type: its rejection must not end the process either.
      const result: unknown = handler.message(parsed.message);
      if (result instanceof Promise) result.catch((err: unknown) => fail(`${parsed.message.type} failed: ${oneLine(err)}`));
    } catch (err) {
      fail(`${parsed.message.type} failed: ${oneLine(err)}`);
    }
  });
  ws.on('close', () => {
    if (closed) return;
    closed = true;
    try {
      handler.close();
    } catch {
      // The page is gone; there is no one left to tell.
    }
  });
}

/** `name:port` for every allowed name, and the bare name on port 80, lower case. */
function allowedAuthorities(names: string[], port: number): Set<string> {
  const out = new Set<string>();
  for (const raw of names) {
    const name = urlHost(raw.toLowerCase());
    out.add(`${name}:${port}`);
    if (port === 80) out.add(name);
  }
  return out;
}

/** A host as it appears in a URL: IPv6 literals in brackets; the wildcard addresses as loopback. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The decoded segments of a request path, or null when it is malformed or tries to leave the root. */
function pathSegments(rawPath: string): string[] | null {
  if (!rawPath.startsWith('/')) return null; // absolute-form `GET http://…` and `*`
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  if (path === '/') return ['index.html'];
  if (/[\\\0]/.test(path)) return null;
  const segments = path.slice(1).split('/');
  if (segments.some((s) => s === '..' || s === '.')) return null;
  return segments;
}

/** True when the segments name a regular file whose real path lies under the root; dot files never. */
function isFileUnder(root: string, segments: string[]): boolean {
  if (segments.some((s) => s === '' || s.startsWith('.'))) return false;
  try {
    const real = realpathSync(join(root, ...segments));
    return real.startsWith(root + sep) && statSync(real).isFile();
  } catch {
    return false;
  }
}

function sendFile(res: ServerResponse, file: string): void {
  let size: number;
  try {
    const stats = statSync(file);
    if (!stats.isFile()) return notFound(res);
    size = stats.size;
  } catch {
    return notFound(res);
  }
  res.writeHead(200, {
    'Content-Type': FILE_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cache-Control': 'no-cache',
  });
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

function notFound(res: ServerResponse): void {
  refuse(res, 404, 'not found');
}

function refuse(res: ServerResponse, status: number, line: string): void {
  const body = `${status}: ${line}\n`;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

function refuseUpgrade(socket: Duplex, line: string): void {
  const body = `403: ${line}\n`;
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n', 1)[0];
}
