import type { Bus } from '../../../src/bus/bus.js';
import type { Subjects } from '../../../src/bus/subjects.js';
import {
  permissionSubjects,
  type PermissionCancel,
  type PermissionOutcome,
  type PermissionRequest,
  type PermissionVerdict,
} from '../../../src/services/permissions/permission-api.js';

/**
 * A stand-in for the permission authority speaking its bus API, so the MCP service can be tested
 * on its own: every request gets the verdict `decide` returns (a prompt by default), and the test
 * answers prompts itself.
 */
export function startFakeAuthority(bus: Bus, subjects: Subjects, decide?: (request: PermissionRequest) => PermissionVerdict) {
  const api = permissionSubjects(subjects);
  const requests: PermissionRequest[] = [];
  const cancels: string[] = [];
  let prompts = 0;
  const subscriptions = [
    bus.serve(api.request, (data) => {
      requests.push(data as PermissionRequest);
      return decide ? decide(data as PermissionRequest) : pending();
    }),
    bus.serve(api.cancel, (data) => {
      cancels.push((data as PermissionCancel).promptId);
      return { ok: true };
    }),
  ];

  function pending(): PermissionVerdict {
    prompts += 1;
    return { outcome: 'pending', promptId: `prm_${prompts}`, expiresAt: new Date(Date.now() + 60_000).toISOString() };
  }

  return {
    requests,
    cancels,
    pending,
    /** The user allows the last prompt of `subjectId` once. */
    allow(subjectId: string, promptId = `prm_${prompts}`) {
      const outcome: PermissionOutcome = { outcome: 'allowed', decidedBy: 'user', decision: 'allow_once', ruleId: null, promptId, decisionId: 'dec_1' };
      bus.publish(api.outcome(subjectId), outcome);
    },
    reject(subjectId: string, code: 'rejected_by_user' | 'permission_timeout' = 'rejected_by_user', promptId = `prm_${prompts}`) {
      const outcome: PermissionOutcome = { outcome: 'rejected', decidedBy: code === 'rejected_by_user' ? 'user' : 'timeout', code, promptId, decisionId: 'dec_2' };
      bus.publish(api.outcome(subjectId), outcome);
    },
    stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}

export const allowedByRule = (): PermissionVerdict => ({ outcome: 'allowed', decidedBy: 'rule', ruleId: 'rul_1', decisionId: 'dec_r' });
export const deniedByPolicy = (): PermissionVerdict => ({ outcome: 'denied', decidedBy: 'policy', code: 'bridge_policy_denied', policy: 'denyList: node', decisionId: 'dec_p' });
