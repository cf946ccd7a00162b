import type { RouteDef } from '../route.js';
import * as bridge from './bridge.js';
import * as session from './session.js';
import * as ui from './ui.js';

/** Every HTTP route of the contract, the 35 of the seed README plus the local UI's own. */
export const ROUTES = {
  health: bridge.health,
  sessionHandshake: session.sessionHandshake,
  sessionRefresh: session.sessionRefresh,
  bridgeInfo: bridge.bridgeInfo,
  capabilities: bridge.capabilities,
  bridgeRuntime: bridge.bridgeRuntime,
  // CONTRACT-ROUTES: the other routes of the seed README are listed below this line.
  uiConnectionLog: ui.uiConnectionLog,
  uiActors: ui.uiActors,
} as const satisfies Record<string, RouteDef>;

export type RouteName = keyof typeof ROUTES;
export const ROUTE_LIST: readonly RouteDef[] = Object.values(ROUTES);
