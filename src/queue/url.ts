/**
 * The `--queue` argument: a Redis URL, `redis://[user:password@]host[:port][/db]` or `rediss://`
 * for TLS. It becomes ioredis options; what is shown of it anywhere (messages, logs, reports)
 * is `display`, with the password replaced by `***`.
 */
import { isIP } from 'node:net';
import type { RedisOptions } from 'bullmq';
import { UsageError } from '../errors.ts';

export interface QueueTarget {
  /** Options for ioredis, as BullMQ passes them on */
  connection: RedisOptions;
  /** The URL without its password, for anything a person or a file sees */
  display: string;
}

const EXPECTED = 'expected redis://[user:password@]host[:port][/db] or rediss://… for TLS';

/** The URL with any password (and a user's secret in the query) hidden */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = '***';
    for (const key of [...url.searchParams.keys()]) if (/pass|secret|token|auth/i.test(key)) url.searchParams.set(key, '***');
    return url.href;
  } catch {
    // Not a URL: hide whatever sits between "//" and "@", the usual place of credentials.
    return text.replace(/\/\/[^/@]*@/, '//***@');
  }
}

/** Parses `--queue`; a bad URL is a UsageError naming the flag, its password never shown */
export function parseQueueUrl(text: string, flag = '--queue'): QueueTarget {
  const display = redactUrl(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${flag} ${display}: not a URL; ${EXPECTED}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new UsageError(`${flag} ${display}: unknown scheme "${url.protocol.replace(/:$/, '')}"; ${EXPECTED}`);
  if (!url.hostname) throw new UsageError(`${flag} ${display}: no host; ${EXPECTED}`);
  const port = url.port === '' ? 6379 : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${flag} ${display}: port ${url.port}: expected 1 to 65535`);
  const path = url.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : /^\d+$/.test(path) ? Number(path) : NaN;
  if (!Number.isInteger(db) || db > 15_000) throw new UsageError(`${flag} ${display}: database "${path}": expected a number, e.g. /0`);
  const connection: RedisOptions = {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    db,
    // BullMQ's workers block on Redis; they must not give up on a command while reconnecting.
    maxRetriesPerRequest: null,
  };
  if (url.username) connection.username = decodeURIComponent(url.username);
  if (url.password) connection.password = decodeURIComponent(url.password);
  // TLS checks the server's certificate against the host name (SNI takes no IP address).
  if (url.protocol === 'rediss:') connection.tls = isIP(connection.host!) ? {} : { servername: connection.host };
  return { connection, display };
}
