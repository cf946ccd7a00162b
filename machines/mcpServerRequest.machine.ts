import { setup } from 'xstate';
import type { ServerRequestView } from '../src/contract/routes/mcp-protocol.js';
import { publishPlaceholder } from './contract-event.js';

/**
 * What the actor knows of a request an MCP server made of the bridge. Its params and the answer
 * stay with the service: a sampling conversation or a form's answers are not the inspector's.
 */
export interface McpServerRequestInput {
  requestId: string;
  serverId: string;
  kind: ServerRequestView['kind'];
  /** Who sees and answers it (the resolution goes to the same audience as the request). */
  visibleTo: ServerRequestView['visibleTo'];
  requestedBy: ServerRequestView['requestedBy'];
  timeoutMs: number;
  createdAt: string;
  expiresAt: string;
}

export type McpServerRequestEvent =
  | { type: 'request.answer' }
  | { type: 'request.reject' }
  /** The server withdrew it (`notifications/cancelled`) or its connection ended. */
  | { type: 'request.cancel' };

const resolved = (state: Exclude<ServerRequestView['state'], 'pending'>) => ({
  type: 'publish' as const,
  params: ({ context }: { context: McpServerRequestInput }) => ({
    type: 'mcp.server_request.resolved' as const,
    data: { requestId: context.requestId, serverId: context.serverId, kind: context.kind, state, visibleTo: context.visibleTo, requestedBy: context.requestedBy },
  }),
});

/**
 * One elicitation, sampling or roots request waiting for the web app or the local UI. The first
 * answer wins; unanswered, it times out on its own timer and the server gets the SDK's request
 * timeout error (-32001).
 */
export const mcpServerRequestMachine = setup({
  types: {} as { context: McpServerRequestInput; input: McpServerRequestInput; events: McpServerRequestEvent },
  actions: { publish: publishPlaceholder },
  delays: { timeout: ({ context }) => context.timeoutMs },
}).createMachine({
  id: 'mcpServerRequest',
  context: ({ input }) => input,
  initial: 'pending',
  states: {
    pending: {
      after: { timeout: 'timed_out' },
      on: { 'request.answer': 'answered', 'request.reject': 'rejected', 'request.cancel': 'cancelled' },
    },
    answered: { type: 'final', entry: resolved('answered') },
    rejected: { type: 'final', entry: resolved('rejected') },
    timed_out: { type: 'final', entry: resolved('timed_out') },
    cancelled: { type: 'final', entry: resolved('cancelled') },
  },
});
