import { fromCallback, type EventObject } from 'xstate';
import type { InstallPermissionInput, PermissionEvent } from '../../../machines/toolInstall.machine.js';
import type { Bus } from '../../bus/bus.js';
import { BusNoResponders } from '../../bus/errors.js';
import type { Subjects } from '../../bus/subjects.js';
import { permissionSubjects, type PermissionOutcome, type PermissionRequest, type PermissionVerdict } from '../permissions/permission-api.js';

/** How long the gate waits for the authority's first answer (not for the user: that is the prompt). */
const AUTHORITY_TIMEOUT_MS = 15_000;

/** What the one prompt of an install says it would run: its steps, one line each. */
export function installTitle(input: Pick<InstallPermissionInput, 'title' | 'steps'>): string {
  return `Install ${input.title} (${input.steps.length} step${input.steps.length === 1 ? '' : 's'})`;
}

/**
 * The tool-install machine's `askPermission` actor: asks the permission authority once for the
 * whole install (kind `install`: always prompted, never whitelisted). The prompt's template is
 * the first step and its `details.steps` every step, exactly as each will run. Stopped while its
 * prompt is still open, it withdraws the prompt.
 */
export function installPermissionActor(deps: { bus: Bus; subjects: Subjects }) {
  const api = permissionSubjects(deps.subjects);
  return fromCallback<EventObject, InstallPermissionInput>(({ input, sendBack }) => {
    let settled = false;
    let promptId: string | null = null;
    const settle = (event: PermissionEvent) => {
      if (settled) return;
      settled = true;
      sendBack(event);
    };

    // The authority's protocol: listen for the outcome first, then ask.
    const outcomes = deps.bus.subscribe(api.outcome(input.installId), (message) => {
      const outcome = message.data as PermissionOutcome;
      if (outcome.outcome === 'allowed') settle({ type: 'permission.allowed', promptId: outcome.promptId, decisionId: outcome.decisionId });
      else if (outcome.decidedBy !== 'cancel') {
        const text = outcome.code === 'permission_timeout' ? 'Nobody answered the install prompt before it expired.' : 'The user rejected the install.';
        settle({ type: 'permission.rejected', code: outcome.code, promptId: outcome.promptId, decisionId: outcome.decisionId, message: text });
      }
    });

    const [first] = input.steps;
    const request: PermissionRequest = {
      subjectKind: 'install',
      subjectId: input.installId,
      template: { command: first!.command, args: first!.args },
      shell: false,
      title: installTitle(input),
      reason: input.reason ?? `Install ${input.title} with ${input.packageManager}.`,
      requestedBy: input.requestedBy,
      whitelistAllowed: false,
      details: {
        installId: input.installId,
        tool: input.tool,
        variantId: input.variantId,
        packageManager: input.packageManager,
        requiresElevation: input.requiresElevation,
        steps: input.steps,
      },
      context: input.context,
    };
    deps.bus.request<PermissionVerdict>(api.request, request, { timeoutMs: AUTHORITY_TIMEOUT_MS }).then(
      (verdict) => {
        if (verdict.outcome === 'denied') {
          settle({
            type: 'permission.rejected',
            code: 'bridge_policy_denied',
            promptId: null,
            decisionId: verdict.decisionId,
            message: `The bridge policy forbids this install (deny list entry ${JSON.stringify(verdict.policy)}).`,
          });
        } else if (verdict.outcome === 'allowed') {
          // Installs are never whitelisted: an authority that says otherwise is not believed.
          settle({ type: 'permission.failed', message: 'The permission authority allowed an install without asking the user.' });
        } else if (!settled) {
          promptId = verdict.promptId;
          sendBack({ type: 'permission.pending', promptId: verdict.promptId });
        }
      },
      (error: unknown) => {
        const message = error instanceof BusNoResponders ? 'No permission authority is running.' : `The permission check failed: ${error instanceof Error ? error.message : String(error)}`;
        settle({ type: 'permission.failed', message });
      },
    );

    return () => {
      outcomes.unsubscribe();
      if (!settled && promptId !== null) deps.bus.request(api.cancel, { promptId }).catch(() => {});
      settled = true;
    };
  });
}
