import { isDeepStrictEqual } from 'node:util';
import type { Bus } from '../../bus/bus.js';
import type { Subjects } from '../../bus/subjects.js';
import type { RecipeStep } from '../../contract/routes/system.js';
import type { CommandTemplate } from '../permissions/permission-api.js';

/**
 * The user's one approval of an install, handed to each of its steps.
 *
 * The user allows an install once, in one prompt listing every step. Each step still runs as a
 * command run (supervised, listed, killable) and its permission gate still asks before it runs;
 * what answers it is the grant the install actor registered for that run just before starting
 * it: bound to the run's id (fresh, unguessable, used once: a second run with that id is refused),
 * to the step exactly as the prompt showed it (executable and arguments, no working directory,
 * environment or stdin, no shell), and to the install's decision. A grant is spent by its first
 * use and dropped when the install ends, so the approval covers exactly those steps and nothing
 * else; a run with no matching grant is asked about as any run.
 */
export interface InstallGrant {
  installId: string;
  runId: string;
  step: RecipeStep;
  decisionId: string;
  promptId: string;
}

/** What a run's permission gate asks (`installSubjects.redeem`). */
export interface GrantRedeemRequest {
  runId: string;
  template: CommandTemplate;
  shell: boolean;
}

export type GrantRedeemReply = { granted: true; installId: string; decisionId: string; promptId: string } | { granted: false };

export const installSubjects = (subjects: Subjects) => ({
  /** A run's gate asks whether an install's approval covers it; spends the grant if so. */
  redeem: subjects.internal('installs.grants.redeem'),
});

export class InstallGrants {
  readonly #byRun = new Map<string, InstallGrant>();

  /** Registers the approval of one step for the run about to be started with `runId`. */
  issue(grant: InstallGrant): void {
    this.#byRun.set(grant.runId, grant);
  }

  /** Drops every grant of an install that ended (its unused ones never become usable). */
  revokeInstall(installId: string): void {
    for (const [runId, grant] of this.#byRun) if (grant.installId === installId) this.#byRun.delete(runId);
  }

  /** The grant for exactly this run and template, spent; otherwise nothing (and nothing spent). */
  redeem(request: GrantRedeemRequest): GrantRedeemReply {
    const grant = this.#byRun.get(request.runId);
    if (!grant || !coversExactly(grant.step, request)) return { granted: false };
    this.#byRun.delete(request.runId);
    return { granted: true, installId: grant.installId, decisionId: grant.decisionId, promptId: grant.promptId };
  }

  /** Answers the runs' gates on the bus. */
  serve(bus: Bus, subjects: Subjects) {
    return bus.serve(installSubjects(subjects).redeem, (data) => {
      const request = data as Partial<GrantRedeemRequest> | null;
      if (typeof request?.runId !== 'string' || typeof request.template !== 'object' || request.template === null) return { granted: false };
      return this.redeem({ runId: request.runId, template: request.template, shell: request.shell === true });
    });
  }
}

/** The run would run the step and only the step: same argv, nothing added around it. */
function coversExactly(step: RecipeStep, request: GrantRedeemRequest): boolean {
  const { template } = request;
  if (request.shell) return false;
  if (template.cwd !== undefined && template.cwd !== null) return false;
  if (template.env !== undefined && Object.keys(template.env).length > 0) return false;
  if (template.stdin !== undefined) return false;
  return template.command === step.command && isDeepStrictEqual(template.args, step.args);
}

/** How long a gate waits for the install service's answer before asking the authority instead. */
const REDEEM_TIMEOUT_MS = 5_000;

/**
 * For a command run's permission gate: a run of kind `install` first asks whether an install's
 * approval was granted to it (then it is allowed, by that user decision, without a prompt);
 * anything else, or a run without a grant, is asked about as usual (`askAuthority`). Returns the
 * gate's cleanup.
 */
export function gateWithInstallGrant(
  deps: { bus: Bus; subjects: Subjects },
  input: { subjectKind: string; subjectId: string; template: CommandTemplate; shell: boolean },
  granted: (grant: Extract<GrantRedeemReply, { granted: true }>) => void,
  askAuthority: () => () => void,
): () => void {
  if (input.subjectKind !== 'install') return askAuthority();
  let disposed = false;
  let cleanup: (() => void) | null = null;
  const request: GrantRedeemRequest = { runId: input.subjectId, template: input.template, shell: input.shell };
  deps.bus.request<GrantRedeemReply>(installSubjects(deps.subjects).redeem, request, { timeoutMs: REDEEM_TIMEOUT_MS }).then(
    (reply) => {
      if (disposed) return;
      if (reply.granted) granted(reply);
      else cleanup = askAuthority();
    },
    () => {
      // No install service (or it did not answer): nothing was granted, so the user is asked.
      if (!disposed) cleanup = askAuthority();
    },
  );
  return () => {
    disposed = true;
    cleanup?.();
  };
}
