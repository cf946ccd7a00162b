/**
 * `osloop-bridge/client`: what a web app imports to talk to its local bridge. Runs in browsers
 * and on Node 20 (where it loads `ws` on demand for the event socket). Only the public API is
 * exported here; the modules beside this one are internals.
 */
export { createBridgeClient, type BridgeClient, type BridgeClientOptions, type HealthInfo } from './client.js';
export { BridgeClientError, ProtocolMismatchError, ReplayGapError } from './errors.js';
export type { BridgeEventStream, EventStreamOptions } from './event-stream.js';
export type { PromptAnswer, PromptResolveResult } from './prompt-answers.js';
export type { ApiRouteName, BridgeApi, BridgeEvent, RouteOptionsOf, RouteReplyOf } from './route-types.js';
export type { SessionInfo } from './session.js';
export type { ErrorCode } from '../contract/errors.js';
export type { EventType } from '../contract/events.js';
export { PROTOCOL_VERSION, DEFAULT_PORT } from '../contract/constants.js';
