import type { RawData } from 'ws';
import { z } from 'zod';
import { BridgeError } from '../../contract/errors.js';
import type { Principal } from '../../contract/principal.js';
import { ROUTES } from '../../contract/routes/index.js';
import {
  MAX_CLIENT_MESSAGE_BYTES,
  promptResolveMessageSchema,
  resolveBodyOf,
  resolveBodySchema,
  type PromptResolveResultFrame,
} from '../../contract/ws-messages.js';
import { MAX_REQUEST_FRAME_BYTES } from '../../contract/ws-requests.js';
import { toBridgeError } from '../errors.js';
import type { HttpDeps } from '../http-deps.js';

/** A client message, read: its JSON value and its size, or why it could not be read. */
export type ReadMessage = { ok: true; value: unknown; bytes: number } | { ok: false; error: BridgeError };

/**
 * Reads one client message of the event socket. Messages are bounded by the largest frame kind
 * (`request`, MAX_REQUEST_FRAME_BYTES); each kind applies its own bound after that.
 */
export function readClientMessage(raw: RawData): ReadMessage {
  const text = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
  if (text.length > MAX_REQUEST_FRAME_BYTES) {
    return { ok: false, error: new BridgeError('payload_too_large', `Socket messages are at most ${MAX_REQUEST_FRAME_BYTES} bytes.`) };
  }
  try {
    const value = parseJson(text.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BridgeError('invalid_request', 'Socket messages must be JSON objects.');
    return { ok: true, value, bytes: text.length };
  } catch (error) {
    return { ok: false, error: toBridgeError(error) };
  }
}

/**
 * Answers a `prompt.resolve` message (and any other message that is not a request frame): it is
 * validated like the HTTP body and dispatched on the resolve route's bus subject with the socket's
 * principal, so the authority applies the same rules (localOnly, who may answer which prompt).
 */
export async function answerClientMessage(message: ReadMessage & { ok: true }, principal: Principal, deps: HttpDeps): Promise<PromptResolveResultFrame> {
  let id: string | null = null;
  let promptId: string | null = null;
  try {
    if (message.bytes > MAX_CLIENT_MESSAGE_BYTES) throw new BridgeError('payload_too_large', `prompt.resolve messages are at most ${MAX_CLIENT_MESSAGE_BYTES} bytes.`);
    const parsed = promptResolveMessageSchema.safeParse(message.value);
    if (!parsed.success) throw new BridgeError('invalid_request', `Invalid socket message: ${z.prettifyError(parsed.error)}`);
    id = parsed.data.id ?? null;
    promptId = parsed.data.promptId;
    const body = resolveBodySchema.safeParse(resolveBodyOf(parsed.data));
    if (!body.success) throw new BridgeError('invalid_request', `Invalid prompt answer: ${z.prettifyError(body.error)}`);
    const result = await deps.bus.request(
      deps.subjects.rpc(ROUTES.systemPermissionsPromptsResolve.id),
      { principal, params: { requestId: promptId }, query: {}, body: body.data },
    );
    return { type: 'prompt.resolve.result', id, promptId, ok: true, result: result as PromptResolveResultFrame['result'], error: null };
  } catch (error) {
    const { error: body } = toBridgeError(error).toBody();
    return { type: 'prompt.resolve.result', id, promptId, ok: false, result: null, error: body };
  }
}

/**
 * The answer to a message that could not be read at all (not JSON, not an object, too large) on
 * an event socket: a failed `prompt.resolve.result` with no id, the one answer frame the web app
 * reads there (it sends nothing but `prompt.resolve`). A call socket answers with a `reply` frame.
 */
export function unreadableMessageResult(error: BridgeError): PromptResolveResultFrame {
  return { type: 'prompt.resolve.result', id: null, promptId: null, ok: false, result: null, error: error.toBody().error };
}

function parseJson(text: string): unknown {
  try {
    // A reviver makes JSON.parse several times slower (11 µs per MCP call frame in a profile), so
    // it only runs when a `__proto__` key could be there: spelled out, or hidden in an escape.
    if (!text.includes('__proto__') && !text.includes('\\u')) return JSON.parse(text);
    // No prototype tricks: a `__proto__` key is refused like in HTTP bodies.
    return JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') throw new BridgeError('invalid_request', 'Socket messages may not contain a "__proto__" key.');
      return value;
    });
  } catch (error) {
    if (error instanceof BridgeError) throw error;
    throw new BridgeError('invalid_request', 'Socket messages must be JSON.');
  }
}
