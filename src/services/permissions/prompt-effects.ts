import type { Bus } from '../../bus/bus.js';
import type { Subjects } from '../../bus/subjects.js';
import type { permissionPromptMachine } from '../../../machines/permissionPrompt.machine.js';
import type { PermissionStore } from './permission-store.js';
import { permissionSubjects, type PermissionOutcome } from './permission-api.js';

type PromptImplementations = Parameters<(typeof permissionPromptMachine)['provide']>[0];

/**
 * The effects of a permission prompt actor: SQLite writes (synchronous with better-sqlite3, so a
 * decision is stored before anyone hears of it) and the outcome message to the requester.
 */
export function promptEffects(deps: { bus: Bus; subjects: Subjects; store: PermissionStore }): PromptImplementations {
  const { bus, store } = deps;
  const api = permissionSubjects(deps.subjects);
  return {
    actions: {
      persistPrompt: (_, view) => store.prompts.save(view),
      recordDecision: (_, { decision, rule }) => store.record(decision, rule),
      announceOutcome: (_, { subjectId, outcome }) => {
        if (!outcome) return;
        const message: PermissionOutcome = outcome;
        bus.publish(api.outcome(subjectId), message);
      },
    },
  };
}
