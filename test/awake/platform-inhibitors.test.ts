import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { caffeinateInhibitor, configuredInhibitor, platformInhibitor, powershellInhibitor, systemdInhibitor } from '../../src/awake/platform-inhibitors.js';

const options = { searchPath: async () => process.env.PATH ?? '', bridgePid: 4321, probeTimeoutMs: 5_000 };
// sd_booted(3): systemd is the init system exactly when this directory exists.
const systemdBooted = existsSync('/run/systemd/system');

describe('platform inhibitors', () => {
  it('systemd-inhibit blocks idle and sleep while a child watching the bridge runs', () => {
    expect(systemdInhibitor(options).command('long build; tests')).toEqual({
      command: 'systemd-inhibit',
      args: ['--what=idle:sleep', '--who=osloop-bridge', '--why=osloop-bridge: long build; tests', '--mode=block', 'tail', '--pid=4321', '-f', '/dev/null'],
    });
  });

  it.skipIf(systemdBooted)('systemd-inhibit reports it cannot work without logind, with the reason', async () => {
    const support = await systemdInhibitor(options).probe();
    expect(support.supported).toBe(false);
    expect(!support.supported && support.reason).toMatch(/^systemd-inhibit (cannot work here|is not installed)/);
  });

  it('caffeinate waits for the bridge\'s pid', () => {
    expect(caffeinateInhibitor(options).command('x')).toEqual({ command: 'caffeinate', args: ['-i', '-w', '4321'] });
  });

  it('PowerShell calls SetThreadExecutionState while the bridge lives', () => {
    const { command, args } = powershellInhibitor(options).command('x');
    expect(command).toBe('powershell');
    expect(args.at(-1)).toContain('SetThreadExecutionState([uint32]"0x80000001")');
    expect(args.at(-1)).toContain('Get-Process -Id 4321');
  });

  it('a configured command gets the reasons and the pid in its arguments', () => {
    const inhibitor = configuredInhibitor(['my-inhibit', '--why={reason}', '--watch={pid}'], options);
    expect(inhibitor.name).toBe('my-inhibit');
    expect(inhibitor.command('build')).toEqual({ command: 'my-inhibit', args: ['--why=osloop-bridge: build', '--watch=4321'] });
  });

  it('a configured command is supported when its executable exists, and not otherwise', async () => {
    expect(await configuredInhibitor([process.execPath], options).probe()).toEqual({ supported: true });
    expect(await configuredInhibitor([path.join('/nonexistent', 'inhibit')], options).probe()).toEqual({
      supported: false,
      reason: '/nonexistent/inhibit was not found on the PATH',
    });
  });

  it('picks the configured command over the platform\'s', () => {
    expect(platformInhibitor({ ...options, platform: 'linux', configured: ['x'] }).name).toBe('x');
    expect(platformInhibitor({ ...options, platform: 'darwin' }).name).toBe('caffeinate');
    expect(platformInhibitor({ ...options, platform: 'win32' }).name).toBe('powershell');
  });

  it('has no inhibitor for an unknown platform and says how to configure one', async () => {
    const support = await platformInhibitor({ ...options, platform: 'aix' }).probe();
    expect(support).toEqual({ supported: false, reason: 'no inhibitor is known for aix; configure awake.inhibitorCommand' });
  });
});
