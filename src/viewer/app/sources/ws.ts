/** World states streamed by `drivelab view` over its WebSocket. */
import type { ClientMessage, ServerMessage } from '../../protocol.ts';
import type { Source } from './source.ts';

/** Opens the page's server's WebSocket, or resolves null when there is none (a static host) within `timeoutMs` */
export function openSocket(timeoutMs = 3000): Promise<WebSocket | null> {
  const url = new URL('ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  if (location.protocol === 'file:') return Promise.resolve(null);
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    const timer = setTimeout(() => {
      socket.close();
      resolve(null);
    }, timeoutMs);
    socket.onopen = () => {
      clearTimeout(timer);
      resolve(socket);
    };
    socket.onerror = () => {
      clearTimeout(timer);
      resolve(null);
    };
  });
}

export class SocketSource implements Source {
  readonly mode = 'live' as const;
  private readonly early: ServerMessage[] = [];
  private listener: ((m: ServerMessage) => void) | null = null;

  constructor(private readonly socket: WebSocket, onClose: () => void) {
    socket.onmessage = (e) => {
      let m: ServerMessage;
      try {
        m = JSON.parse(String(e.data)) as ServerMessage;
      } catch {
        return;
      }
      if (this.listener) this.listener(m);
      else this.early.push(m);
    };
    socket.onclose = onClose;
  }

  /** The first message, to tell a live run from a replay */
  first(): Promise<ServerMessage> {
    if (this.early.length) return Promise.resolve(this.early[0]);
    return new Promise((resolve) => {
      const handler = this.socket.onmessage!;
      this.socket.onmessage = (e) => {
        (handler as (e: MessageEvent) => void).call(this.socket, e);
        this.socket.onmessage = handler;
        resolve(this.early[0]);
      };
    });
  }

  async start(listener: (m: ServerMessage) => void): Promise<void> {
    this.listener = listener;
    for (const m of this.early.splice(0)) listener(m);
  }

  send(m: ClientMessage): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(m));
  }

  /** Closes the socket on purpose (a replay was announced): not the lost connection `onClose` reports */
  close(): void {
    this.socket.onclose = null;
    this.socket.close();
  }
}
