import type { CommandTemplate } from '../src/contract/routes/commands.js';
import type { PromptDetails, PromptFlag, ShownTemplate } from '../src/contract/routes/permissions.js';
import { executableRisk, isRiskyEnvName, riskyOptions } from '../src/contract/risk.js';
import { hasPlaceholder } from '../src/contract/template-instance.js';
import { visibleText } from '../src/contract/visible-text.js';

/** What the permission authority found a command would run (see `src/services/permissions/shell-commands.ts`). */
export interface CommandAnalysisView {
  commands: string[];
  parsed: boolean;
  dynamic: boolean;
  writesFiles: boolean;
}

/** The facts `promptFlags` looks at. */
export interface FlagSubject {
  title: string;
  reason: string | null;
  template: CommandTemplate;
  shell: boolean;
  analysis: CommandAnalysisView | null;
  details: PromptDetails | null;
}

/** The template drawn visibly: the only form of it the prompt shows. */
export function shownTemplate(template: CommandTemplate, cwd: string): ShownTemplate {
  const v = (text: string) => visibleText(text).text;
  return {
    command: v(template.command),
    args: template.args.map(v),
    cwd: v(cwd),
    env: Object.keys(template.env ?? {})
      .sort()
      .map((name) => ({ name: v(name), value: v(template.env![name]!) })),
    stdin: template.stdin === undefined ? null : v(template.stdin),
  };
}

const RISK_WORDS = {
  shell: 'a shell: its arguments are shell code',
  interpreter: 'an interpreter: its arguments can be code',
  wrapper: 'a wrapper: it runs another command named in its arguments',
  executes_or_writes: 'a tool whose options can run code or write files',
} as const;

/** Everything in a prompt that deserves the user's attention, in plain words. */
export function promptFlags(subject: FlagSubject): PromptFlag[] {
  const flags: PromptFlag[] = [];
  const { template } = subject;
  const hidden = (field: string, text: string | null | undefined) => {
    if (text !== null && text !== undefined && visibleText(text).escaped) {
      flags.push({ code: 'hidden_characters', field, message: 'Holds invisible or direction-changing characters, shown here as ⟪U+…⟫ escapes: read it as escaped.' });
    }
  };
  hidden('title', subject.title);
  hidden('reason', subject.reason);
  hidden('command', template.command);
  template.args.forEach((arg, i) => hidden(`args[${i}]`, arg));
  hidden('cwd', template.cwd);
  hidden('stdin', template.stdin);
  for (const [name, value] of Object.entries(template.env ?? {})) {
    hidden(`env.${name}`, name);
    hidden(`env.${name}`, value);
    if (isRiskyEnvName(name)) {
      flags.push({ code: 'risky_env', field: `env.${name}`, message: `${visibleText(name).text} changes what the process runs or loads (preloaded code, search paths, config files).` });
    }
  }
  if (subject.details?.url !== undefined) flags.push(...networkFlags(subject.details.url));
  if (subject.details?.url !== undefined) return flags; // an HTTP server: no command

  const commands = subject.analysis?.commands ?? [template.command];
  const seen = new Set<string>();
  for (const command of subject.shell ? commands : [template.command, ...commands.slice(1)]) {
    const risk = executableRisk(command);
    if (!risk || seen.has(command)) continue;
    seen.add(command);
    flags.push({ code: 'risky_executable', field: 'command', message: `${visibleText(command).text} is ${RISK_WORDS[risk]}.` });
  }
  if (!subject.shell) {
    for (const option of new Set(riskyOptions(template.command, template.args))) {
      flags.push({ code: 'risky_option', field: 'args', message: `${visibleText(option).text} can make ${visibleText(template.command).text} run code or write files.` });
    }
  }
  const analysis = subject.analysis;
  if (analysis) {
    if (!analysis.parsed) flags.push({ code: 'shell_line_unparsed', field: 'command', message: 'The bridge could not parse this command line: it may run more than it seems. No rule can allow it.' });
    if (analysis.dynamic) flags.push({ code: 'command_computed_at_run_time', field: 'command', message: 'A command name here is only known when it runs ($variable, $(…) or a pattern). No rule can allow it.' });
    if (analysis.writesFiles) flags.push({ code: 'writes_files', field: 'command', message: 'The line redirects output into a file.' });
    if (subject.shell && analysis.commands.length > 1) {
      flags.push({ code: 'several_commands', field: 'command', message: `This line runs ${analysis.commands.length} commands: ${analysis.commands.map((c) => visibleText(c).text).join(', ')}.` });
    }
  }
  const codeFields = subject.shell ? [template.command, ...template.args] : executableRisk(template.command) === 'shell' || executableRisk(template.command) === 'interpreter' ? template.args : [];
  if (codeFields.some(hasPlaceholder)) {
    flags.push({ code: 'secret_in_code', field: 'command', message: 'A secret is placed inside code: its value (which the bridge never sees) could change what runs.' });
  }
  return flags;
}

/** Flags for an HTTP server's URL: a host off this machine, or one in a private or link-local range. */
export function networkFlags(url: string): PromptFlag[] {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  } catch {
    return [{ code: 'network_host', field: 'url', message: 'The URL cannot be read before its secrets are filled in: it may point anywhere.' }];
  }
  if (host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)) return [];
  const flags: PromptFlag[] = [{ code: 'network_host', field: 'url', message: `${visibleText(host).text} is not this computer: the bridge will send requests (and the listed headers) over the network.` }];
  if (isPrivateHost(host)) {
    flags.push({ code: 'private_network', field: 'url', message: `${visibleText(host).text} is in a private, link-local or cloud-metadata range: a service inside your network.` });
  }
  return flags;
}

function isPrivateHost(host: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 10 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  if (host.includes(':')) return /^(fc|fd|fe[89ab])/.test(host) || host.startsWith('::ffff:');
  return host.endsWith('.local') || host.endsWith('.internal') || host.endsWith('.lan') || host.endsWith('.home.arpa') || !host.includes('.');
}
