/**
 * The page's messages as the server takes them: a zod schema of protocol.ts's ClientMessage, with
 * the bounds a session relies on. The page in the static build talks to its session directly and
 * needs none of this; a WebSocket may carry anything, so the server checks every message.
 */
import { z } from 'zod';
import type { ClientMessage } from './protocol.ts';

/** Longest scenario or agent id [characters] */
const MAX_ID = 200;

const Id = z.string().min(1).max(MAX_ID);
const Seed = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A discrete meta-action index, or up to 8 continuous elements (z.number() rejects ±Infinity and NaN) */
const ManualAction = z.union([z.number(), z.array(z.number()).max(8)]);

export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('pause') }),
  z.object({ type: z.literal('play') }),
  z.object({ type: z.literal('step') }),
  /** Simulated seconds per wall second */
  z.object({ type: z.literal('speed'), speed: z.number().min(0.1).max(16) }),
  z.object({ type: z.literal('reset'), seed: Seed.optional() }),
  z.object({ type: z.literal('scenario'), id: Id, seed: Seed.optional() }),
  z.object({ type: z.literal('agent'), id: Id, seed: Seed.optional() }),
  z.object({ type: z.literal('manual'), action: ManualAction.nullable() }),
]);

// The schema and protocol.ts must describe the same messages: each fails to compile if they part.
type Parsed = z.infer<typeof ClientMessageSchema>;
const _everyParsedIsAClientMessage = (m: Parsed): ClientMessage => m;
const _everyClientMessageParses = (m: ClientMessage): Parsed => m;
void _everyParsedIsAClientMessage;
void _everyClientMessageParses;

/** A WebSocket text frame as a ClientMessage, or one line saying why it is not one. */
export function parseClientMessage(text: string): { ok: true; message: ClientMessage } | { ok: false; error: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, error: 'message is not JSON' };
  }
  const result = ClientMessageSchema.safeParse(data);
  if (result.success) return { ok: true, message: result.data };
  const issue = result.error.issues[0];
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { ok: false, error: `invalid message: ${where}${issue.message}` };
}
