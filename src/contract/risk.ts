/**
 * The one list of what changes what runs, used by the permission authority (rules, prompts, the
 * deny list) and documented in docs/contract.md ("Risky executables, options and variables").
 *
 * - A *prefix rule* ("these arguments, then any further ones") is refused for every executable
 *   here: each of them can be made to run other code or write files by arguments a prefix cannot
 *   foresee (`sh -c …`, `env rm …`, `git log … --output=~/.bashrc`).
 * - *Wrappers* run another command given in their arguments: the policy checks those too.
 * - Prompts flag risky options and variables so the user sees what they do.
 */

export type ExecutableRisk = 'shell' | 'interpreter' | 'wrapper' | 'executes_or_writes';

const RISKY_EXECUTABLES: Readonly<Record<ExecutableRisk, readonly string[]>> = {
  /** Their arguments are shell code. */
  shell: ['sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'ash', 'fish', 'csh', 'tcsh', 'busybox', 'pwsh', 'powershell', 'cmd'],
  /** Their arguments are (or name) code. */
  interpreter: [
    'node', 'nodejs', 'deno', 'bun', 'tsx', 'ts-node', 'python', 'pypy', 'perl', 'ruby', 'irb', 'php', 'lua', 'luajit', 'tclsh', 'wish', 'expect',
    'osascript', 'rscript', 'julia', 'java', 'jshell', 'groovy', 'scala', 'kotlin', 'awk', 'gawk', 'mawk', 'nawk', 'jq', 'vim', 'vi', 'nvim', 'emacs', 'ed', 'gdb', 'lldb',
  ],
  /** They run the command named in their arguments. */
  wrapper: [
    'env', 'xargs', 'sudo', 'doas', 'su', 'runuser', 'pkexec', 'find', 'nice', 'renice', 'nohup', 'timeout', 'time', 'command', 'exec', 'builtin', 'eval', 'source', '.',
    'stdbuf', 'setsid', 'chroot', 'ionice', 'taskset', 'chrt', 'strace', 'ltrace', 'watch', 'flock', 'unbuffer', 'script', 'systemd-run', 'firejail', 'nsenter',
    'unshare', 'parallel', 'fakeroot', 'caffeinate', 'arch', 'npx', 'pnpx', 'bunx', 'uvx', 'pipx', 'ssh', 'docker', 'podman', 'kubectl', 'start', 'open', 'xdg-open', 'at', 'batch', 'crontab',
  ],
  /** Options (or subcommands) of theirs execute code or write files outside what the prompt shows. */
  executes_or_writes: [
    'git', 'tar', 'rsync', 'scp', 'sftp', 'curl', 'wget', 'sort', 'sed', 'tee', 'cp', 'mv', 'dd', 'install', 'ln', 'rm', 'chmod', 'chown', 'truncate', 'zip', 'unzip',
    'less', 'more', 'man', 'make', 'cmake', 'npm', 'pnpm', 'yarn', 'pip', 'uv', 'cargo', 'go', 'gcc', 'cc', 'clang', 'tsc', 'mvn', 'gradle', 'brew', 'apt', 'apt-get',
    'dnf', 'yum', 'pacman', 'winget', 'choco', 'openssl', 'gpg', 'sqlite3', 'psql', 'mysql', 'diff', 'patch', 'split', 'csplit', 'tcpdump', 'ffmpeg',
  ],
};

const RISK_BY_NAME: ReadonlyMap<string, ExecutableRisk> = new Map(
  (Object.entries(RISKY_EXECUTABLES) as Array<[ExecutableRisk, readonly string[]]>).flatMap(([risk, names]) => names.map((name) => [name, risk] as const)),
);

/**
 * The name an executable is known by: base name, lower case, without a Windows extension or a
 * version suffix (`/usr/bin/python3.12` → `python`, `NODE.EXE` → `node`, `pip3` → `pip`).
 */
export function executableName(command: string): string {
  const base = command.split(/[\\/]/).pop() ?? command;
  const lower = base.toLowerCase().replace(/\.(exe|cmd|bat|com|ps1)$/, '');
  const unversioned = lower.replace(/[0-9][0-9.\-_]*$/, '');
  return unversioned === '' ? lower : unversioned;
}

/** Why an executable's arguments can change what runs, or null for an ordinary tool. */
export function executableRisk(command: string): ExecutableRisk | null {
  return RISK_BY_NAME.get(executableName(command)) ?? null;
}

/** Wrappers: every argument word may be the command they run. */
export function isWrapper(command: string): boolean {
  return executableRisk(command) === 'wrapper';
}

/** Shells, whose `-c` argument is a command line. */
export function isShell(command: string): boolean {
  return executableRisk(command) === 'shell';
}

/** Options that execute code or write files, per tool; flagged in prompts. */
const RISKY_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  git: ['-c', '--config-env', '-C', '--exec-path', '--git-dir', '--work-tree', '--output', '-o', '--upload-pack', '--receive-pack', '--ext-diff', '--open-files-in-pager', '-O', '--template'],
  tar: ['--to-command', '--checkpoint-action', '-I', '--use-compress-program', '-f', '--file', '-C', '--directory'],
  rsync: ['-e', '--rsh', '--rsync-path'],
  curl: ['-o', '--output', '-O', '--remote-name', '-K', '--config', '-T', '--upload-file', '--create-dirs', '-D', '--dump-header', '-c', '--cookie-jar'],
  wget: ['-O', '--output-document', '-o', '--output-file', '-P', '--directory-prefix', '-e', '--execute'],
  sort: ['-o', '--output', '--compress-program'],
  sed: ['-i', '--in-place', '-e', '-f'],
  ssh: ['-o', '-F', '-L', '-R', '-D'],
  scp: ['-S', '-o', '-F'],
  zip: ['-T', '-TT', '--unzip-command'],
  node: ['-e', '--eval', '-p', '--print', '-r', '--require', '--import', '--loader', '--experimental-loader'],
  python: ['-c', '-m'],
  perl: ['-e', '-E', '-M', '-I'],
  ruby: ['-e', '-r', '-I'],
  npm: ['exec', 'run', 'run-script', 'install', 'i', 'x', '--prefix', '-g', '--global'],
  find: ['-exec', '-execdir', '-ok', '-okdir', '-delete', '-fprint', '-fprintf', '-fls'],
};

/** The template arguments that are risky options of this executable (`--output=x` counts). */
export function riskyOptions(command: string, args: readonly string[]): string[] {
  const name = executableName(command);
  const options = RISKY_OPTIONS[name];
  const shellCode = isShell(command) ? ['-c'] : [];
  const all = [...(options ?? []), ...shellCode];
  if (all.length === 0) return [];
  return args.filter((arg) => all.some((option) => arg === option || (option.startsWith('--') && arg.startsWith(`${option}=`)) || combinesShortOption(arg, option)));
}

/** `-xc` holds `-c`; long options and multi-letter single-dash options (`-exec`) do not combine. */
function combinesShortOption(arg: string, option: string): boolean {
  return option.length === 2 && option.startsWith('-') && /^-[A-Za-z]{2,6}$/.test(arg) && arg.includes(option[1]!) && !option.startsWith('--');
}

/** Variables that change what a process runs or loads; exact names, case-insensitive. */
const RISKY_ENV_NAMES = new Set([
  'PATH', 'NODE_OPTIONS', 'NODE_PATH', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'PYTHONPATH', 'PYTHONSTARTUP', 'PYTHONHOME', 'PYTHONUSERBASE', 'BASH_ENV', 'ENV',
  'ZDOTDIR', 'PROMPT_COMMAND', 'SHELLOPTS', 'BASHOPTS', 'IFS', 'CDPATH', 'PERL5OPT', 'PERL5LIB', 'PERLLIB', 'RUBYOPT', 'RUBYLIB', 'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'CLASSPATH', 'HOME', 'XDG_CONFIG_HOME', 'EDITOR', 'VISUAL', 'PAGER', 'MANPAGER', 'LESSOPEN', 'LESSCLOSE', 'BROWSER',
  'SSH_ASKPASS', 'SUDO_ASKPASS', 'SHELL', 'TERMINFO', 'GCONV_PATH', 'MALLOC_CONF', 'OPENSSL_CONF', 'SSL_CERT_FILE', 'CURL_HOME', 'WGETRC', 'INPUTRC', 'COMSPEC', 'PATHEXT',
]);
/** Families of variables, by prefix, case-insensitive. */
const RISKY_ENV_PREFIXES = ['DYLD_', 'LD_', 'GIT_', 'NPM_CONFIG_', 'YARN_', 'PNPM_', 'PIP_', 'BASH_FUNC_', 'PYTHON', 'PERL', 'RUBY', 'NODE_', 'JAVA_'];

/** Whether setting this variable can change what runs (`NODE_OPTIONS`, `LD_PRELOAD`, `GIT_*`, …). */
export function isRiskyEnvName(name: string): boolean {
  const upper = name.toUpperCase();
  return RISKY_ENV_NAMES.has(upper) || RISKY_ENV_PREFIXES.some((prefix) => upper.startsWith(prefix));
}

/** For docs and the Rules page: the lists as data. */
export const RISK_LISTS = {
  executables: RISKY_EXECUTABLES,
  options: RISKY_OPTIONS,
  envNames: [...RISKY_ENV_NAMES],
  envPrefixes: RISKY_ENV_PREFIXES,
} as const;
