/** How runs, decisions and failures read in words: shared by the overview, Runs and History. */
import { visible } from './format.js';

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * One argument written the way a POSIX shell would need it to get exactly this string: bare when
 * nothing in it is special, otherwise in single quotes (a quote inside becomes '\''). Control
 * characters are then drawn visibly, so nothing invisible reaches the screen.
 */
export function shellQuote(arg) {
  const text = String(arg);
  if (text !== '' && SAFE_WORD.test(text)) return text;
  return visible(`'${text.replace(/'/g, `'\\''`)}'`);
}

/** The command line a template runs, quoted for a shell (a shell-mode command line is shown as written). */
export function commandText(template, shell = false) {
  if (!template) return '—';
  if (shell) return visible(template.command);
  return [template.command, ...(template.args ?? [])].map(shellQuote).join(' ');
}

/**
 * Which part of the web app asked (`context`: the provenance the bridge stored), in words:
 * "skill X, task Y", led by the source when it says more than "skill". Null when nothing is known.
 * Every part is the web app's own text, so it is drawn visibly.
 */
export function provenanceText(context) {
  if (!context) return null;
  const { source, skillId, taskId } = context;
  const parts = [source && (source !== 'skill' || !skillId) ? source : null, skillId ? `skill ${skillId}` : null, taskId ? `task ${taskId}` : null].filter(Boolean);
  return parts.length ? parts.map(visible).join(', ') : null;
}

/** What a run is called in a list: what it runs; the agent's own title is only a claim beside it. */
export function runTitle(run) {
  return commandText(run.template, run.shell);
}

const CODE_WORDS = {
  rejected_by_user: 'It was rejected when asked.',
  permission_timeout: 'Nobody answered the prompt in time, so it was rejected.',
  bridge_policy_denied: 'The deny list in Settings forbids this executable.',
  spawn_failure: 'It could not be started, so nothing ran.',
  timeout: 'It ran past its time limit and was killed.',
  upstream_error: 'The server reported an error.',
};

/**
 * Why a run ended badly, in words, with the bridge's code beside it: `{ text, code }`, or null for
 * a run that did not fail. The bridge's own message (e.g. `Could not start "pnpm": ENOENT`) wins
 * over the generic words for its code.
 */
export function failureReason(run) {
  // A run that never started has no error code, but the bridge's recovery hint names the cause.
  const code = run.errorCode ?? (run.recoveryHint === 'spawn_failure' ? 'spawn_failure' : null);
  const message = run.errorMessage ?? null;
  switch (run.state) {
    case 'failed':
      if (message || code) return { text: message ?? CODE_WORDS[code] ?? 'It failed.', code };
      if (run.signal) return { text: `It was killed by ${run.signal}.`, code: null };
      return { text: `It exited with code ${run.exitCode ?? 'unknown'}.`, code: null };
    case 'rejected':
      return { text: message && code !== 'rejected_by_user' ? message : CODE_WORDS[code] ?? 'It was refused.', code };
    case 'timed_out':
      return { text: `It ran longer than its limit of ${Math.round((run.timeoutMs ?? 0) / 1000)} s and was killed.`, code: code ?? 'timeout' };
    case 'terminated':
      return { text: 'It was stopped with Terminate.', code: null };
    case 'interrupted':
      return { text: 'The bridge stopped while it ran; it may have been cut short.', code: null };
    default:
      return null;
  }
}

/**
 * Who decided a run or prompt, from its recorded decision (`ui.decisions`): the person in this
 * window, another answering session (the web app), a rule, the deny list, or the prompt's timeout.
 */
export function decidedBy(decision) {
  if (!decision) return { who: 'unknown', text: 'No recorded decision.' };
  const verb = decision.outcome === 'allowed' ? 'Allowed' : 'Rejected';
  switch (decision.decidedBy) {
    case 'rule':
      return { who: 'rule', text: `${verb} by a whitelist rule`, ruleId: decision.ruleId };
    case 'policy':
      return { who: 'policy', text: `${verb} by the deny list${decision.policy ? ` (${decision.policy})` : ''}` };
    case 'timeout':
      return { who: 'timeout', text: `${verb}: nobody answered in time` };
    default: {
      const by = decision.resolvedBy;
      if (by?.kind === 'ui') return { who: 'you', text: `${verb} by you, in this window${decision.decision === 'allow_and_whitelist' ? ', and saved as a rule' : ''}` };
      if (by?.kind === 'session') return { who: 'web_app', text: `${verb} by the web app (${by.origin ?? 'unknown origin'}), not in this window` };
      return { who: 'unknown', text: `${verb} by an unknown answerer` };
    }
  }
}
