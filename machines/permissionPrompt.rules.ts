import type { PrefixRuleOffer, RuleMatch, RuleScope } from '../src/contract/routes/permissions.js';
import { executableRisk, type ExecutableRisk } from '../src/contract/risk.js';
import { visibleText } from '../src/contract/visible-text.js';

/**
 * Everything a rule looks at: every template field that changes what runs, and who asked. Never
 * resolved values: a rule must not depend on a secret.
 */
export interface RuleSubject {
  command: string;
  args: readonly string[];
  shell: boolean;
  /** The template working directory; null: the user's home. */
  cwd: string | null;
  env: Readonly<Record<string, string>>;
  stdin: string | null;
  scope: RuleScope;
  /** The shell line could not be parsed, or names a command only known at run time: no rule may allow it. */
  unreadable: boolean;
}

const PREFIX_REFUSALS: Record<ExecutableRisk, string> = {
  shell: 'it is a shell: further arguments are shell code',
  interpreter: 'it is an interpreter: further arguments can be code to run',
  wrapper: 'it runs other commands named in its arguments',
  executes_or_writes: 'some of its options run other code or write files anywhere (for example --output)',
};

/** Why "these arguments, then any further ones" may not be saved for this request; null when it may. */
export function prefixRefusal(subject: Pick<RuleSubject, 'command' | 'shell' | 'unreadable'>): string | null {
  if (subject.shell) return 'A shell command line cannot take "any further arguments": they would become shell code.';
  if (subject.unreadable) return 'The bridge could not read what this command would run.';
  const risk = executableRisk(subject.command);
  return risk ? `No prefix rule for ${visibleText(subject.command).text}: ${PREFIX_REFUSALS[risk]}.` : null;
}

/** The offer the prompt shows: whether a prefix rule may be saved, the warning, and examples of what else it allows. */
export function prefixRuleOffer(subject: RuleSubject): PrefixRuleOffer {
  const refusedBecause = prefixRefusal(subject);
  if (refusedBecause || subject.args.length === 0) {
    return { allowed: false, refusedBecause: refusedBecause ?? 'There are no arguments to keep as a prefix.', warning: null, examples: [] };
  }
  const head = visibleText(subject.command).text;
  return {
    allowed: true,
    refusedBecause: null,
    warning:
      'A prefix rule allows this command with ANY further arguments, without asking again: other files, other options, other targets. Prefer an exact rule.',
    examples: [`${head} /`, `${head} --help`, `${head} ~/.ssh/id_ed25519`, `${head} <any file> <any option>`],
  };
}

/**
 * The rule `allow_and_whitelist` saves for this request: every field exactly, in the scope it
 * was asked in, with only the first `argsPrefix` arguments kept and "any further" after them when
 * a prefix was chosen (never where `prefixRefusal` objects: the caller refuses those first).
 */
export function proposeRule(subject: RuleSubject, argsPrefix?: number): RuleMatch {
  const prefix = argsPrefix !== undefined && prefixRefusal(subject) === null ? Math.min(argsPrefix, subject.args.length) : undefined;
  return {
    executable: subject.command,
    args: subject.args.slice(0, prefix ?? subject.args.length),
    anyFurtherArgs: prefix !== undefined,
    shell: subject.shell,
    cwd: subject.cwd,
    env: { ...subject.env },
    stdin: subject.stdin,
    scope: { ...subject.scope },
  };
}

/**
 * Whether `rule` allows `subject`: the same executable, string for string (no path or case
 * folding), the same `shell` flag, working directory, variables (names and values) and stdin,
 * asked from the rule's origin (and skill, unless the rule covers every skill), and the rule's
 * arguments as the whole argument list or, with `anyFurtherArgs`, as its beginning. A request the
 * bridge could not read is never allowed by a rule.
 */
export function ruleMatches(rule: RuleMatch, subject: RuleSubject): boolean {
  if (subject.unreadable) return false;
  if (rule.executable !== subject.command || rule.shell !== subject.shell) return false;
  if (rule.scope.origin !== subject.scope.origin) return false;
  if (rule.scope.skillId !== null && rule.scope.skillId !== subject.scope.skillId) return false;
  if (rule.cwd !== subject.cwd || rule.stdin !== subject.stdin || !sameRecord(rule.env, subject.env)) return false;
  if (rule.anyFurtherArgs && prefixRefusal(subject) !== null) return false; // never saved; refused if found anyway
  if (rule.anyFurtherArgs ? subject.args.length < rule.args.length : subject.args.length !== rule.args.length) return false;
  return rule.args.every((arg, index) => subject.args[index] === arg);
}

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}
