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
import { permissionTemplate, type ServerRecord } from './server-record.js';

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
 * The `requestPermission` actor: starting a stdio server is a command run, decided by the
 * permission authority on its template exactly like one. Stopping the actor withdraws a prompt
 * nobody answered yet.
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
    if (!record || record.transport.type !== 'stdio') {
      queueMicrotask(() => deny('unavailable', 'The server is no longer registered as a stdio server.'));
      return () => {};
    }

    // The authority's protocol: listen for the outcome first, then ask.
    const subscription = deps.bus.subscribe(api.outcome(input.serverId), (message) => {
      const outcome = message.data as PermissionOutcome;
      if (promptId !== null && outcome.promptId !== promptId) return;
      if (outcome.outcome === 'allowed') decide({ type: 'permission.allowed' });
      else if (outcome.decidedBy !== 'cancel') deny(outcome.code);
    });
    const request: PermissionRequest = {
      subjectKind: 'mcp_server',
      subjectId: input.serverId,
      template: permissionTemplate(record.transport),
      title: `Start the MCP server "${record.name}"`,
      reason: `An agent asked to connect the MCP server "${record.name}": the bridge runs this command and keeps it running until it is disconnected.`,
      requestedBy: input.requestedBy ?? { kind: 'anonymous', origin: null },
      whitelistAllowed: true,
      // The template's environment is left out on purpose: its values may be literal credentials,
      // and prompts are events. The prompt shows the command line, which is what rules match.
      details: { serverId: input.serverId, serverName: record.name },
    };
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
