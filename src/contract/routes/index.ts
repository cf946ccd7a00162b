import type { RouteDef } from '../route.js';
import * as awake from './awake.js';
import * as bridge from './bridge.js';
import * as commands from './commands.js';
import * as filesystem from './filesystem.js';
import * as fleet from './fleet.js';
import * as mcp from './mcp.js';
import * as mcpProtocol from './mcp-protocol.js';
import * as permissions from './permissions.js';
import * as pickers from './pickers.js';
import * as prompts from './prompts.js';
import * as session from './session.js';
import * as system from './system.js';
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
  mcpServersList: mcp.mcpServersList,
  mcpServersRegister: mcp.mcpServersRegister,
  mcpServersUpdate: mcp.mcpServersUpdate,
  mcpServersRemove: mcp.mcpServersRemove,
  mcpServersConnect: mcp.mcpServersConnect,
  mcpServersDisconnect: mcp.mcpServersDisconnect,
  mcpServersCapabilities: mcp.mcpServersCapabilities,
  mcpCall: mcp.mcpCall,
  mcpResourcesRead: mcpProtocol.mcpResourcesRead,
  mcpResourceTemplates: mcpProtocol.mcpResourceTemplates,
  mcpResourcesSubscribe: mcpProtocol.mcpResourcesSubscribe,
  mcpResourcesUnsubscribe: mcpProtocol.mcpResourcesUnsubscribe,
  mcpPromptsGet: mcpProtocol.mcpPromptsGet,
  mcpComplete: mcpProtocol.mcpComplete,
  mcpLoggingSetLevel: mcpProtocol.mcpLoggingSetLevel,
  mcpServerLogs: mcpProtocol.mcpServerLogs,
  mcpCallsCancel: mcpProtocol.mcpCallsCancel,
  mcpServerRequestsList: mcpProtocol.mcpServerRequestsList,
  mcpServerRequestsRespond: mcpProtocol.mcpServerRequestsRespond,
  mcpServersAuthorize: mcpProtocol.mcpServersAuthorize,
  mcpOauthCallback: mcpProtocol.mcpOauthCallback,
  awakeStatus: awake.awakeStatus,
  awakeAcquire: awake.awakeAcquire,
  awakeRelease: awake.awakeRelease,
  filesystemTargets: filesystem.filesystemTargets,
  filesystemSelect: filesystem.filesystemSelect,
  filesystemRead: filesystem.filesystemRead,
  filesystemWrite: filesystem.filesystemWrite,
  filesystemList: filesystem.filesystemList,
  filesystemPickersGet: filesystem.filesystemPickersGet,
  systemInfo: system.systemInfo,
  systemToolsList: system.toolsList,
  systemToolsLocate: system.toolsLocate,
  systemToolsInstall: system.toolsInstall,
  systemToolsRecipesList: system.recipesList,
  systemToolsRecipesResolve: system.recipesResolve,
  systemCommandsExecute: commands.execute,
  systemCommandsRunsList: commands.runsList,
  systemCommandsRunsGet: commands.runsGet,
  systemCommandsRunsTerminate: commands.runsTerminate,
  systemPermissionsRulesList: permissions.rulesList,
  systemPermissionsRulesGet: permissions.rulesGet,
  systemPermissionsRulesDelete: permissions.rulesDelete,
  systemPermissionsPromptsResolve: permissions.promptsResolve,
  uiConnectionLog: ui.uiConnectionLog,
  uiActors: ui.uiActors,
  uiStatus: ui.uiStatus,
  uiPrompts: prompts.uiPrompts,
  uiDecisions: prompts.uiDecisions,
  uiSettingsGet: ui.uiSettingsGet,
  uiSettingsUpdate: ui.uiSettingsUpdate,
  uiMachines: ui.uiMachines,
  uiSessionsList: ui.uiSessionsList,
  uiSessionsRevoke: ui.uiSessionsRevoke,
  uiPickersList: pickers.uiPickersList,
  uiPickersResolve: pickers.uiPickersResolve,
  uiFleetList: fleet.uiFleetList,
  uiFleetPair: fleet.uiFleetPair,
  uiFleetUnpair: fleet.uiFleetUnpair,
} as const satisfies Record<string, RouteDef>;

export type RouteName = keyof typeof ROUTES;
export const ROUTE_LIST: readonly RouteDef[] = Object.values(ROUTES);
