import { fromCallback } from 'xstate';
import type { McpConnectionEvent, PermissionActorInput, PermissionDenialCode } from '../../../machines/mcpConnection.machine.js';
import type { Bus } from '../../bus/bus.js';
import type { Subjects } from '../../bus/subjects.js';
import {
  permissionSubjects,
  type PermissionOutcome,
  type PermissionRequest,
  type PermissionVerdict,
} from '../permissions/permission-api.js';
import type { ServerRecord } from './server-record.js';

export interface PermissionEffectDeps {
  bus: Bus;
  subjects: Subjects;
  record: (serverId: string) => ServerRecord | undefined;
}

const DENIAL_MESSAGES: Record<Exclude<PermissionDenialCode, 'bridge_policy_denied'>, string> = {
  rejected_by_user: 'The user rejected starting this MCP server.',
  permission_timeout: 'Nobody answered the permission prompt before it expired.',
  unavailable: 'The permission authority is not available, so no stdio MCP server can be started.',
};

/**
 * What the user is asked to allow for a server, from its stored template: a stdio server is a
 * command run (command, arguments, working directory and environment, names and values, all
 * shown and all matched by rules); an HTTP server is its exact URL and the names of the headers
 * sent to it, approved for each connect and never whitelisted.
 */
export function permissionRequest(record: ServerRecord, input: PermissionActorInput): PermissionRequest {
  const requestedBy = input.requestedBy ?? { kind: 'anonymous' as const, origin: null };
  const { transport } = record;
  if (transport.type === 'stdio') {
    return {
      subjectKind: 'mcp_server',
      subjectId: input.serverId,
      template: { command: transport.command, args: transport.args, cwd: transport.cwd ?? null, ...(transport.env ? { env: transport.env } : {}) },
      title: `Start the MCP server "${record.name}"`,
      reason: `An agent asked to connect the MCP server "${record.name}": the bridge runs this command and keeps it running until it is disconnected.`,
      requestedBy,
      whitelistAllowed: true,
      details: { serverId: input.serverId, serverName: record.name, transport: 'stdio' },
    };
  }
  const headerNames = Object.keys(transport.headers).sort();
  return {
    subjectKind: 'mcp_server',
    subjectId: input.serverId,
    // Shown as the URL; the authority parses nothing of it as a command.
    template: { command: transport.url, args: [] },
    title: `Connect to the MCP server "${record.name}"`,
    reason: `An agent asked to connect the MCP server "${record.name}": the bridge sends requests to this URL${headerNames.length ? ` with the headers ${headerNames.join(', ')}` : ''}.`,
    requestedBy,
    whitelistAllowed: false,
    details: { serverId: input.serverId, serverName: record.name, transport: transport.type, url: transport.url, headerNames },
  };
}

/**
 * The `requestPermission` actor: every server needs the user's approval before it connects. A
 * stdio server is decided by the permission authority on its template exactly like a command run;
 * an HTTP server always prompts. Stopping the actor withdraws a prompt nobody answered yet.
 */
export function permissionEffect(deps: PermissionEffectDeps) {
  const api = permissionSubjects(deps.subjects);
  return fromCallback<McpConnectionEvent, PermissionActorInput>(({ input, sendBack }) => {
    let promptId: string | null = null;
    let decided = false;
    const decide = (event: McpConnectionEvent) => {
      if (decided) return;
      decided = true;
      sendBack(event);
    };
    const deny = (code: PermissionDenialCode, message?: string) =>
      decide({ type: 'permission.denied', code, message: message ?? DENIAL_MESSAGES[code as keyof typeof DENIAL_MESSAGES] });

    const record = deps.record(input.serverId);
    if (!record) {
      queueMicrotask(() => deny('unavailable', 'The server is no longer registered.'));
      return () => {};
    }

    // The authority's protocol: listen for the outcome first, then ask.
    const subscription = deps.bus.subscribe(api.outcome(input.serverId), (message) => {
      const outcome = message.data as PermissionOutcome;
      if (promptId !== null && outcome.promptId !== promptId) return;
      if (outcome.outcome === 'allowed') decide({ type: 'permission.allowed' });
      else if (outcome.decidedBy !== 'cancel') deny(outcome.code);
    });
    const request = permissionRequest(record, input);
    deps.bus.request<PermissionVerdict>(api.request, request).then(
      (verdict) => {
        if (verdict.outcome === 'allowed') decide({ type: 'permission.allowed' });
        else if (verdict.outcome === 'denied') deny('bridge_policy_denied', `The bridge policy forbids this command (${verdict.policy}).`);
        else if (!decided) {
          promptId = verdict.promptId;
          sendBack({ type: 'permission.pending', promptId: verdict.promptId });
        }
      },
      (error: unknown) => deny('unavailable', `${DENIAL_MESSAGES.unavailable} (${error instanceof Error ? error.message : String(error)})`),
    );

    return () => {
      subscription.unsubscribe();
      if (!decided && promptId !== null) deps.bus.request(api.cancel, { promptId }).catch(() => {});
    };
  });
}
