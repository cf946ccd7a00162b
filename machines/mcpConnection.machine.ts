import { assign, fromCallback, setup } from 'xstate';
import type { McpServerState } from '../src/contract/routes/mcp.js';
import { publishPlaceholder } from './contract-event.js';
import {
  backoffDelay,
  type ConnectionActorInput,
  type McpConnectionContext,
  type McpConnectionEvent,
  type McpConnectionInput,
  type PermissionActorInput,
} from './mcpConnection.types.js';

export * from './mcpConnection.types.js';

const machineSetup = setup({
  types: {} as { context: McpConnectionContext; input: McpConnectionInput; events: McpConnectionEvent },
  actors: {
    /** Asks the permission authority to start a stdio server; withdraws the prompt when stopped. */
    requestPermission: fromCallback<McpConnectionEvent, PermissionActorInput>(() => {}),
    /**
     * Connects, lists what the server offers (`connection.ready`), then reports list changes and
     * the end of the connection. Stopping it closes the session (and a stdio server's process).
     */
    connection: fromCallback<McpConnectionEvent, ConnectionActorInput>(() => {}),
  },
  actions: {
    publish: publishPlaceholder,
    startRequest: assign(({ event }) => ({
      requestedBy: event.type === 'connect' ? event.requestedBy : null,
      reconnectAttempts: 0,
      lastError: null,
      lastErrorCode: null,
      promptId: null,
    })),
    recordFailure: assign(({ event }) => ({
      lastError: event.type === 'connection.failed' || event.type === 'connection.lost' ? event.message : null,
      lastErrorCode: 'upstream_error' as const,
    })),
    dropConnection: assign({ capabilities: null, pid: null, connectedAt: null }),
  },
  guards: {
    // Every server needs the user's approval: a stdio server runs a command, an HTTP one is sent requests (and headers).
    needsPermission: () => true,
    canRetry: ({ context }) => context.reconnectAttempts < context.retry.maxAttempts,
    wasConnected: ({ context }) => context.capabilities !== null,
  },
  delays: {
    backoff: ({ context }) => backoffDelay(context.retry, context.reconnectAttempts),
  },
});

/** Announces `state` in `mcp.server.state_changed`, unless it is the state last announced. */
const announce = (state: McpServerState) =>
  machineSetup.enqueueActions(({ context, enqueue }) => {
    if (context.publicState === state) return;
    enqueue({
      type: 'publish',
      params: {
        type: 'mcp.server.state_changed',
        data: {
          serverId: context.serverId,
          name: context.name,
          state,
          previousState: context.publicState,
          lastError: context.lastError,
          lastErrorCode: context.lastErrorCode,
          promptId: state === 'awaiting_permission' ? context.promptId : null,
          authorizationUrl: state === 'needs_auth' ? context.authorizationUrl : null,
        },
      },
    });
    enqueue.assign({ publicState: state });
  });

/**
 * One registered MCP server and its connection. The actor lives as long as the server is
 * registered; connecting, supervision and restarts are its states. Effects are placeholders:
 * `requestPermission` asks the permission authority, `connection` owns one live MCP session
 * (connect, list, watch, close on stop).
 */
export const mcpConnectionMachine = machineSetup.createMachine({
  id: 'mcpConnection',
  context: ({ input }) => ({
    ...input,
    publicState: 'disconnected',
    requestedBy: null,
    promptId: null,
    authorizationUrl: null,
    lastError: null,
    lastErrorCode: null,
    reconnectAttempts: 0,
    connectedAt: null,
    pid: null,
    capabilities: null,
  }),
  initial: 'disconnected',
  on: {
    'server.update': { actions: assign(({ event }) => ({ name: event.name, transportType: event.transportType })) },
  },
  states: {
    disconnected: {
      entry: [{ type: 'dropConnection' }, announce('disconnected')],
      on: {
        connect: [
          { guard: 'needsPermission', target: 'awaiting_permission', actions: 'startRequest' },
          { target: 'live', actions: 'startRequest' },
        ],
      },
    },
    awaiting_permission: {
      description:
        'A stdio server is a command the bridge runs: the permission authority decides (policy, whitelist rule on the template, or a prompt); an HTTP server is approved by the user for its exact URL and header names. ' +
        'The allowance covers this connection and its supervised restarts; a new connect after a disconnect asks again.',
      invoke: { src: 'requestPermission', input: ({ context }) => ({ serverId: context.serverId, requestedBy: context.requestedBy }) },
      initial: 'asking',
      states: {
        asking: {},
        prompted: { entry: announce('awaiting_permission') },
      },
      on: {
        'permission.pending': { target: '.prompted', actions: assign({ promptId: ({ event }) => event.promptId }) },
        'permission.allowed': { target: 'live', actions: assign({ promptId: null }) },
        'permission.denied': {
          target: 'disconnected',
          actions: assign({ promptId: null, lastError: ({ event }) => event.message, lastErrorCode: ({ event }) => event.code }),
        },
        disconnect: 'disconnected',
      },
    },
    live: {
      invoke: { src: 'connection', input: ({ context }) => ({ serverId: context.serverId, attempt: context.reconnectAttempts }) },
      initial: 'connecting',
      states: {
        connecting: {
          entry: announce('connecting'),
          on: {
            'connection.ready': {
              target: 'connected',
              actions: [
                assign(({ event }) => ({
                  capabilities: event.snapshot,
                  pid: event.pid,
                  connectedAt: event.at,
                  reconnectAttempts: 0,
                  lastError: null,
                  lastErrorCode: null,
                })),
                {
                  type: 'publish',
                  params: ({ context, event }) => ({
                    type: 'mcp.server.capabilities_changed',
                    data: capabilityCounts(context.serverId, ['tools', 'resources', 'prompts'], event.snapshot),
                  }),
                },
              ],
            },
          },
        },
        needs_auth: {
          description:
            'The server answered 401 (or 403 insufficient_scope): the SDK sent the user to the authorization server. ' +
            'The request waits for the redirect to reach the bridge\'s callback, then goes on with the new tokens.',
          entry: announce('needs_auth'),
          exit: assign({ authorizationUrl: null }),
          on: {
            'connection.authorized': [{ guard: 'wasConnected', target: 'connected' }, { target: 'connecting' }],
          },
        },
        connected: {
          entry: announce('connected'),
          on: {
            'capabilities.updated': {
              actions: [
                assign({ capabilities: ({ context, event }) => (context.capabilities ? { ...context.capabilities, ...event.lists, listedAt: event.at } : null) }),
                {
                  type: 'publish',
                  params: ({ context, event }) => ({
                    type: 'mcp.server.capabilities_changed',
                    data: capabilityCounts(context.serverId, event.changed, context.capabilities),
                  }),
                },
              ],
            },
          },
        },
      },
      on: {
        'connection.needs_auth': { target: '.needs_auth', actions: assign({ authorizationUrl: ({ event }) => event.authorizationUrl }) },
        'connection.auth_refused': { target: 'failed', actions: assign({ lastError: ({ event }) => event.message, lastErrorCode: 'rejected_by_user' as const }) },
        'connection.failed': [
          { guard: 'canRetry', target: 'reconnecting', actions: 'recordFailure' },
          { target: 'failed', actions: 'recordFailure' },
        ],
        'connection.lost': [
          { guard: 'canRetry', target: 'reconnecting', actions: 'recordFailure' },
          { target: 'failed', actions: 'recordFailure' },
        ],
        disconnect: 'disconnected',
      },
    },
    reconnecting: {
      description: 'The server crashed, closed or could not start: it is restarted after an exponential backoff, a bounded number of times.',
      entry: [{ type: 'dropConnection' }, announce('reconnecting')],
      after: {
        backoff: { target: 'live', actions: assign({ reconnectAttempts: ({ context }) => context.reconnectAttempts + 1 }) },
      },
      on: {
        connect: { target: 'live', description: 'Retry now instead of waiting for the backoff.' },
        disconnect: 'disconnected',
      },
    },
    failed: {
      description: 'Restarts are exhausted; `lastError` holds the last failure and the last stderr lines. A connect starts over.',
      entry: [{ type: 'dropConnection' }, announce('failed')],
      on: {
        connect: [
          { guard: 'needsPermission', target: 'awaiting_permission', actions: 'startRequest' },
          { target: 'live', actions: 'startRequest' },
        ],
        disconnect: 'disconnected',
      },
    },
  },
});

export type McpConnectionMachine = typeof mcpConnectionMachine;

function capabilityCounts(serverId: string, changed: Array<'tools' | 'resources' | 'prompts'>, snapshot: McpConnectionContext['capabilities']) {
  return {
    serverId,
    changed,
    toolsCount: snapshot?.tools.length ?? 0,
    resourcesCount: snapshot?.resources.length ?? 0,
    promptsCount: snapshot?.prompts.length ?? 0,
  };
}
