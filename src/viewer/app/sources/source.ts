/** Where the page's world states come from: `drivelab view`, a session in the page, or a recording. */
import type { ClientMessage, ServerMessage } from '../../protocol.ts';

export interface Source {
  readonly mode: 'live' | 'in-page' | 'replay';
  /** Starts delivering messages to `listener` */
  start(listener: (m: ServerMessage) => void): Promise<void>;
  send(m: ClientMessage): void;
  close(): void;
}
