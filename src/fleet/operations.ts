import type { RouteDef } from '../contract/route.js';
import { ROUTES } from '../contract/routes/index.js';

/**
 * The fleet endpoints: a small, versioned subset of the HTTP contract. Each operation names the
 * contract route it dispatches to, so a fleet request travels the same bus subject, with the same
 * schemas, as the HTTP request would. Prompt resolution, rules and settings are deliberately
 * absent: the fleet can ask, only the person at the machine decides.
 */
export interface FleetOperation {
  readonly route: RouteDef;
  /**
   * Body fields that travel in clear, for the server's and a monitor's eyes: templates and
   * descriptions. Every other body field (resolved values, tool arguments) is sealed to the
   * target machine's curve key. `'*'`: the body carries nothing secret.
   */
  readonly clearFields: readonly string[] | '*';
  /** Whether a run id comes back that the edge then follows with job events. */
  readonly startsJob?: boolean;
}

/** Execute fields that hold a template or a description, never a resolved value. */
const EXECUTE_CLEAR_FIELDS = [
  'template',
  'commandTemplate',
  'argsTemplate',
  'workingDirectoryTemplate',
  'envTemplate',
  'stdinTemplate',
  'title',
  'reason',
  'shell',
  'timeoutMs',
  'keepAwake',
  'requestId',
  'context',
] as const;

export const FLEET_OPERATIONS = {
  info: { route: ROUTES.bridgeInfo, clearFields: '*' },
  capabilities: { route: ROUTES.capabilities, clearFields: '*' },
  execute: { route: ROUTES.systemCommandsExecute, clearFields: EXECUTE_CLEAR_FIELDS, startsJob: true },
  install: { route: ROUTES.systemToolsInstall, clearFields: '*', startsJob: true },
  runs: { route: ROUTES.systemCommandsRunsList, clearFields: '*' },
  details: { route: ROUTES.systemCommandsRunsGet, clearFields: '*' },
  terminate: { route: ROUTES.systemCommandsRunsTerminate, clearFields: '*' },
  'mcp-servers': { route: ROUTES.mcpServersList, clearFields: '*' },
  'mcp-call': { route: ROUTES.mcpCall, clearFields: ['serverId', 'tool', 'timeoutMs'] },
} as const satisfies Record<string, FleetOperation>;

export type FleetOperationName = keyof typeof FLEET_OPERATIONS;
export const FLEET_OPERATION_NAMES = Object.keys(FLEET_OPERATIONS) as FleetOperationName[];

export function isFleetOperation(value: string): value is FleetOperationName {
  return Object.hasOwn(FLEET_OPERATIONS, value);
}

/** Splits a body into what travels in clear and what is sealed, by the operation's clear fields. */
export function splitBody(operation: FleetOperationName, body: Record<string, unknown>): { clear: Record<string, unknown>; secret: Record<string, unknown> } {
  const { clearFields } = FLEET_OPERATIONS[operation] as FleetOperation;
  if (clearFields === '*') return { clear: body, secret: {} };
  const clear: Record<string, unknown> = {};
  const secret: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) (clearFields.includes(key) ? clear : secret)[key] = value;
  return { clear, secret };
}
