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
import { toBridgeError } from '../errors.js';
import type { HttpDeps } from '../http-deps.js';

/**
 * Answers one client message of the event socket. Only `prompt.resolve` exists: it is validated
 * like the HTTP body and dispatched on the resolve route's bus subject with the socket's
 * principal, so the authority applies the same rules (localOnly, who may answer which prompt).
 */
export async function answerClientMessage(raw: RawData, principal: Principal, deps: HttpDeps): Promise<PromptResolveResultFrame> {
  const text = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
  let id: string | null = null;
  let promptId: string | null = null;
  try {
    if (text.length > MAX_CLIENT_MESSAGE_BYTES) throw new BridgeError('payload_too_large', `Socket messages are at most ${MAX_CLIENT_MESSAGE_BYTES} bytes.`);
    const json = parseJson(text.toString('utf8'));
    const message = promptResolveMessageSchema.safeParse(json);
    if (!message.success) throw new BridgeError('invalid_request', `Invalid socket message: ${z.prettifyError(message.error)}`);
    id = message.data.id ?? null;
    promptId = message.data.promptId;
    const body = resolveBodySchema.safeParse(resolveBodyOf(message.data));
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

function parseJson(text: string): unknown {
  try {
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
