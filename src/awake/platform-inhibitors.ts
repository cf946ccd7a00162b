import { runBounded } from '../system/bounded-run.js';
import { findExecutable } from '../system/locate.js';
import type { Inhibitor, InhibitorSupport } from './inhibitor.js';

export interface PlatformInhibitorOptions {
  /** The PATH executables are looked up on (the login-shell PATH), read when first needed. */
  searchPath: () => Promise<string>;
  /** The bridge's pid: inhibitors that can watch it end with the bridge even if it is killed. */
  bridgePid: number;
  /** Longest wait for a probe. */
  probeTimeoutMs: number;
}

const WHO = 'osloop-bridge';
/** The OS shows this; keep it readable. */
const whyText = (why: string) => (why ? `osloop-bridge: ${why}` : 'osloop-bridge').slice(0, 500);

/**
 * Linux: `systemd-inhibit --what=idle:sleep` holding an idle/sleep inhibitor lock in logind for
 * as long as its child runs. The child is `tail --pid=<bridge>`, so the lock goes away with the
 * bridge even when the bridge is killed (an orphaned `sleep infinity` would hold it forever).
 */
export function systemdInhibitor(options: PlatformInhibitorOptions): Inhibitor {
  return {
    name: 'systemd-inhibit',
    async probe() {
      // A throw-away inhibitor around `true`: without logind/D-Bus it fails at once, saying why.
      const result = await runBounded('systemd-inhibit', ['--what=idle:sleep', `--who=${WHO}`, '--why=probe', '--mode=block', 'true'], {
        timeoutMs: options.probeTimeoutMs,
        env: { ...process.env, PATH: await options.searchPath() },
      });
      if (result.failure === 'spawn_error') return unsupported(`systemd-inhibit is not installed (${result.errorCode}); configure awake.inhibitorCommand`);
      if (result.failure === 'timed_out') return unsupported(`systemd-inhibit did not answer within ${options.probeTimeoutMs} ms`);
      if (result.exitCode !== 0) return unsupported(`systemd-inhibit cannot work here: ${firstLine(result.stderr) ?? `exit code ${result.exitCode}`}`);
      return { supported: true };
    },
    command: (why) => ({
      command: 'systemd-inhibit',
      args: ['--what=idle:sleep', `--who=${WHO}`, `--why=${whyText(why)}`, '--mode=block', 'tail', `--pid=${options.bridgePid}`, '-f', '/dev/null'],
    }),
  };
}

/** macOS: `caffeinate -i -w <bridge pid>` prevents idle sleep and exits with the bridge. */
export function caffeinateInhibitor(options: PlatformInhibitorOptions): Inhibitor {
  return {
    name: 'caffeinate',
    probe: () => requireExecutable('caffeinate', options.searchPath),
    command: () => ({ command: 'caffeinate', args: ['-i', '-w', String(options.bridgePid)] }),
  };
}

/**
 * Windows: PowerShell calling `SetThreadExecutionState(ES_CONTINUOUS | ES_SYSTEM_REQUIRED)` and
 * staying alive (the state belongs to its thread), checking every 30 s that the bridge lives.
 */
export function powershellInhibitor(options: PlatformInhibitorOptions): Inhibitor {
  const script = [
    "$signature = '[DllImport(\"kernel32.dll\")] public static extern uint SetThreadExecutionState(uint esFlags);'",
    '$power = Add-Type -MemberDefinition $signature -Name Power -Namespace OsloopBridge -PassThru',
    `while (Get-Process -Id ${options.bridgePid} -ErrorAction SilentlyContinue) {`,
    '  [void]$power::SetThreadExecutionState([uint32]"0x80000001")',
    '  Start-Sleep -Seconds 30',
    '}',
  ].join('\n');
  return {
    name: 'powershell',
    probe: () => requireExecutable('powershell', options.searchPath),
    command: () => ({ command: 'powershell', args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', script] }),
  };
}

/**
 * The inhibitor set in `awake.inhibitorCommand`: `{reason}` in an argument becomes the locks'
 * reasons, `{pid}` the bridge's pid. Supported when its executable exists.
 */
export function configuredInhibitor(argv: readonly string[], options: PlatformInhibitorOptions): Inhibitor {
  const [command, ...args] = argv;
  if (!command) throw new Error('awake.inhibitorCommand is empty');
  return {
    name: command,
    probe: () => requireExecutable(command, options.searchPath),
    command: (why) => ({
      command,
      args: args.map((arg) => arg.replaceAll('{reason}', whyText(why)).replaceAll('{pid}', String(options.bridgePid))),
    }),
  };
}

/** The inhibitor for this platform, or the configured one. */
export function platformInhibitor(options: PlatformInhibitorOptions & { platform?: NodeJS.Platform; configured?: readonly string[] }): Inhibitor {
  if (options.configured) return configuredInhibitor(options.configured, options);
  switch (options.platform ?? process.platform) {
    case 'linux':
      return systemdInhibitor(options);
    case 'darwin':
      return caffeinateInhibitor(options);
    case 'win32':
      return powershellInhibitor(options);
    default:
      return {
        name: 'none',
        probe: async () => unsupported(`no inhibitor is known for ${options.platform ?? process.platform}; configure awake.inhibitorCommand`),
        command: () => ({ command: 'true', args: [] }),
      };
  }
}

async function requireExecutable(name: string, searchPath: () => Promise<string>): Promise<InhibitorSupport> {
  return (await findExecutable(name, await searchPath())) ? { supported: true } : unsupported(`${name} was not found on the PATH`);
}

const unsupported = (reason: string): InhibitorSupport => ({ supported: false, reason });

function firstLine(text: string): string | null {
  return text.split(/\r?\n/).map((line) => line.trim()).find((line) => line !== '') ?? null;
}
