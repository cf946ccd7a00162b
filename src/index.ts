/**
 * `osloop-bridge`: start a bridge from code (tests, embedders) with the same options as
 * `osloop-bridge start`. The web app's client is `osloop-bridge/client`.
 */
export { startBridge, type RunningBridge, type StartBridgeOptions } from './bridge.js';
export { BRIDGE_VERSION } from './version.js';
export { PROTOCOL_VERSION, DEFAULT_PORT } from './contract/constants.js';
