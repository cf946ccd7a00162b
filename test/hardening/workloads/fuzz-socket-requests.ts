import fc from 'fast-check';
import { ROUTE_LIST } from '../../../src/contract/routes/index.js';
import { MAX_REQUEST_FRAME_BYTES, SOCKET_ROUTES, socketCancelFrameSchema } from '../../../src/contract/ws-requests.js';
import { mutationArbitrary, mutate, nastyString, nastyValue } from './fuzz-arbitraries.js';
import type { FrameAction } from './fuzz-wire.js';

/**
 * Scripts of `request` and `cancel` frames, the socket's way of calling a route (docs/contract.md,
 * "Calling routes on the socket"), as a hostile session would write them: lying ids, duplicate
 * ids in flight, routes that are HTTP only or do not exist, bodies valid-shaped, mutated or not
 * JSON at all, prototype keys, frames just under and over the size limits. Each script says how
 * many frames the bridge must answer, one answer per frame, so a frame that is silently dropped
 * is a failure too.
 */

/** A route's body as the HTTP fuzz derives it: mostly valid, and the raw shape to mutate. */
export interface SocketRouteBody {
  routeId: string;
  body: fc.Arbitrary<unknown> | null;
  rawBody: fc.Arbitrary<unknown> | null;
}

export interface RequestScript {
  frames: FrameAction[];
  /** Frames each owed exactly one answer (`reply`, or on an event socket an unreadable-message result). */
  answers: number;
  /** A frame over the socket's 64 KiB limit was sent: the bridge may close 1009 before answering the rest. */
  oversized: boolean;
}

/** The socket's own frame limit (over it, close 1009); request frames have a lower one of their own. */
export const SOCKET_FRAME_LIMIT_BYTES = 64 * 1024;

interface ScriptFrame {
  text: string;
  answered: boolean;
}

/** Few ids, so that a script often reuses one while its first request is still in flight. */
const requestId: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('a', 'b', 'c', 'a') },
  { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(128), 'x'.repeat(129), '__proto__', 'constructor') },
  { weight: 1, arbitrary: nastyValue },
);

const httpOnlyRouteIds = ROUTE_LIST.map((route) => route.id).filter((id) => !SOCKET_ROUTES.has(id));

const frame = (value: unknown, answered: boolean): ScriptFrame => ({ text: JSON.stringify(value) ?? 'null', answered });

export function requestScriptArbitrary(routes: SocketRouteBody[]): fc.Arbitrary<RequestScript> {
  const socketRoute = fc.constantFrom(...routes);
  const bodyOf = (route: SocketRouteBody): fc.Arbitrary<unknown> =>
    fc.oneof(
      { weight: 6, arbitrary: route.body ?? fc.constant(undefined) },
      { weight: 3, arbitrary: route.rawBody ? fc.tuple(route.rawBody, fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 })).map(([body, mutations]) => mutate(body, mutations)) : nastyValue },
      { weight: 1, arbitrary: nastyValue },
    );

  const call: fc.Arbitrary<ScriptFrame> = socketRoute.chain((route) =>
    fc.tuple(requestId, bodyOf(route)).map(([id, body]) => frame({ type: 'request', id, route: route.routeId, ...(body === undefined ? {} : { body }) }, true)),
  );
  const notOnTheSocket: fc.Arbitrary<ScriptFrame> = fc
    .tuple(requestId, fc.oneof(fc.constantFrom(...httpOnlyRouteIds, 'prompt.resolve', 'mcp.call ', 'MCP.CALL', ''), nastyString), fc.option(nastyValue, { nil: undefined }))
    .map(([id, route, body]) => frame({ type: 'request', id, route, ...(body === undefined ? {} : { body }) }, true));
  /** The frame's own fields lie: wrong types, missing ones, extra ones. */
  const lyingFrame: fc.Arbitrary<ScriptFrame> = fc
    .record(
      { type: fc.constant('request'), id: fc.oneof(requestId, nastyValue), route: fc.oneof(fc.constantFrom(...routes.map((r) => r.routeId)), nastyValue), body: nastyValue, principal: nastyValue, sessionId: fc.string({ maxLength: 20 }), origin: fc.constantFrom('https://evil.example', 'null') },
      { requiredKeys: ['type'] },
    )
    .map((value) => frame(value, true));
  const prototypeKey: fc.Arbitrary<ScriptFrame> = fc
    .tuple(fc.constantFrom(...routes.map((r) => r.routeId)), fc.constantFrom('"__proto__"', '"\\u005f_proto__"', '"__pro\\u0074o__"'))
    .map(([route, key]) => ({ text: `{"type":"request","id":"p","route":${JSON.stringify(route)},"body":{${key}:{"polluted":true}}}`, answered: true }));
  /** Just under and over the request frame limit, and over the socket's own. */
  const large: fc.Arbitrary<ScriptFrame> = fc
    .tuple(fc.constantFrom(...routes.map((r) => r.routeId)), fc.integer({ min: MAX_REQUEST_FRAME_BYTES - 256, max: SOCKET_FRAME_LIMIT_BYTES + 1024 }))
    .map(([route, bytes]) => {
      const head = { type: 'request', id: 'big', route, body: { pad: '' } };
      const padding = 'x'.repeat(Math.max(0, bytes - JSON.stringify(head).length));
      return frame({ ...head, body: { pad: padding } }, true);
    });
  const cancel: fc.Arbitrary<ScriptFrame> = fc
    .record({ type: fc.constant('cancel'), id: fc.oneof({ weight: 4, arbitrary: requestId }, nastyValue), extra: nastyValue }, { requiredKeys: ['type'] })
    // A well-formed cancel is never answered (cancelling what already ended is no error); a malformed one is.
    .map((value) => frame(value, !socketCancelFrameSchema.safeParse(value).success));
  const notJson: fc.Arbitrary<ScriptFrame> = fc.constantFrom('{"type":"request"', '{"type":"request","id":"a",}', '[]', 'null', '"request"').map((text) => ({ text, answered: true }));

  const anyFrame = fc.oneof(
    { weight: 10, arbitrary: call },
    { weight: 3, arbitrary: notOnTheSocket },
    { weight: 3, arbitrary: lyingFrame },
    { weight: 1, arbitrary: prototypeKey },
    { weight: 1, arbitrary: large },
    { weight: 2, arbitrary: cancel },
    { weight: 1, arbitrary: notJson },
  );
  return fc.array(anyFrame, { minLength: 1, maxLength: 6 }).map((frames) => ({
    frames: frames.map((f): FrameAction => ({ kind: 'text', data: f.text })),
    answers: frames.filter((f) => f.answered).length,
    oversized: frames.some((f) => Buffer.byteLength(f.text) > SOCKET_FRAME_LIMIT_BYTES),
  }));
}
