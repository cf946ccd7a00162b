import { randomUUID } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Bus } from '../../bus/bus.js';
import type { Subjects } from '../../bus/subjects.js';
import type { BridgeConfig } from '../../config/config-schema.js';
import { BridgeError, type ErrorCode } from '../../contract/errors.js';
import type { mcpCall } from '../../contract/routes/mcp.js';
import type { RpcRequest } from '../serve-route.js';
import type { CallersInFlight } from './callers-in-flight.js';
import { CallsInFlight, CallCancelledError } from './calls-in-flight.js';
import { connectedSession } from './connected-session.js';
import type { LiveConnections } from './live-connections.js';
import type { McpServers } from './mcp-servers.js';
import { toBridgeError } from './mcp-failures.js';
import { checkOutputSchema, type OutputSchemaVerdict } from './output-schema.js';

export interface McpCallsDeps {
  servers: McpServers;
  live: LiveConnections;
  bus: Bus;
  subjects: Subjects;
  settings: () => BridgeConfig['mcp'];
  calls: CallsInFlight;
  callers: CallersInFlight;
}

type CallRequest = Pick<RpcRequest<typeof mcpCall>, 'principal' | 'body' | 'abortKey'>;
type CallReply = CallToolResult & { bridge: { callId: string } & OutputSchemaVerdict };

/** Longest progress message put in an event. */
const MAX_PROGRESS_MESSAGE_CHARS = 1_000;

/**
 * `POST /mcp/call`: straight to the server's live session, so calls to different servers (and
 * to the same one) run side by side. A tool error is a result; everything the bridge itself
 * could not do is a `BridgeError`. Progress goes out as `mcp.call.progress` under the call's id;
 * the call is cancelled upstream when its HTTP client goes away or the cancel route is used.
 * Every call ends with `mcp.call.completed`, which never holds the arguments nor the result.
 * Both events name who called (`requestedBy`): only that origin and the local UI get them.
 */
export function createCallTool(deps: McpCallsDeps) {
  return async ({ principal, body, abortKey }: CallRequest): Promise<CallReply> => {
    const started = performance.now();
    // randomUUID draws from a pooled buffer; `newId`'s randomBytes call was the costlier line of
    // this handler in the profile (~16 us per call under load).
    const callId = body.callId ?? `call_${randomUUID()}`;
    let ok = false;
    let errorCode: ErrorCode | null = null;
    let verdict: OutputSchemaVerdict | null = null;
    const details = { serverId: body.serverId, tool: body.tool, callId };
    try {
      const session = connectedSession(deps.servers, deps.live, body.serverId, principal);
      const tool = session.context.capabilities.tools.find((listed) => listed.name === body.tool);
      const allowed = session.record.options.enabledTools === null || session.record.options.enabledTools.includes(body.tool);
      if (!tool || !allowed) {
        throw new BridgeError('not_found', `The MCP server "${session.record.name}" offers no tool "${body.tool}".`, {
          details: { ...details, reason: tool ? 'not_enabled' : 'not_listed' },
        });
      }
      const controller = deps.calls.begin(callId, body.serverId, abortKey, principal);
      // Whose call the server's sampling or elicitation requests meanwhile serve.
      const leave = deps.callers.enter(body.serverId, principal);
      try {
        const hardCap = deps.settings().callHardCapMs;
        const result = await session.connection.callTool(body.tool, body.arguments, {
          timeoutMs: Math.min(body.timeoutMs ?? session.record.options.callTimeoutMs, hardCap),
          maxTotalTimeoutMs: hardCap,
          controller,
          onProgress: ({ progress, total, message }) =>
            deps.bus.publish(deps.subjects.event('mcp.call.progress'), {
              serverId: body.serverId,
              callId,
              tool: body.tool,
              progress,
              total: total ?? null,
              message: message === undefined ? null : message.slice(0, MAX_PROGRESS_MESSAGE_CHARS),
              requestedBy: principal,
            }),
        });
        const checked = checkOutputSchema(tool as { outputSchema?: never }, result);
        verdict = checked instanceof Promise ? await checked : checked;
        ok = result.isError !== true && verdict.outputSchema !== 'invalid';
        return { ...result, bridge: { callId, ...verdict } };
      } finally {
        leave();
        deps.calls.end(callId, controller);
      }
    } catch (error) {
      const failure =
        error instanceof CallCancelledError
          ? new BridgeError('conflict', 'The call was cancelled; the MCP server was told so.', { details: { ...details, reason: 'cancelled', by: error.by } })
          : toBridgeError(error, details, 'call');
      errorCode = failure.code;
      throw failure;
    } finally {
      // Published after the reply, not before it: the caller does not wait for the event log's
      // check, envelope and fan-out of it (~25 us of the bridge's work per echo call, issue 15).
      // The reply (a socket frame or the HTTP response) is written in the microtasks of this
      // turn, before the check phase runs the immediate. Nothing promises an order between a
      // call's reply and its mcp.call.completed (docs/contract.md).
      setImmediate(publishCompleted, deps, {
        serverId: body.serverId,
        tool: body.tool,
        durationMs: Math.round(performance.now() - started),
        ok,
        errorCode,
        callId,
        outputSchema: verdict?.outputSchema ?? null,
        requestedBy: principal,
      });
    }
  };
}

function publishCompleted(deps: McpCallsDeps, completed: Record<string, unknown>): void {
  try {
    deps.bus.publish(deps.subjects.event('mcp.call.completed'), completed);
  } catch {
    // The bus closed in between: the bridge is stopping, and nobody is left to tell.
  }
}
