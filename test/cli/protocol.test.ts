import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DESKTOP_FILE, desktopEntry, desktopExecArg, editMimeApps } from '../../src/cli/protocol.js';
import { BIN, cli } from './support.js';

const hasXdgMime = await execa('xdg-mime', ['--version'], { reject: false }).then((r) => r.exitCode === 0, () => false);

describe('desktop entry helpers', () => {
  it.each([
    ['/usr/bin/node', '/usr/bin/node'],
    ['/home/a b/bin.js', '"/home/a b/bin.js"'],
    ['say "hi" $HOME `x` \\', '"say \\"hi\\" \\$HOME \\`x\\` \\\\"'],
  ])('quotes %j for an Exec line as %j', (arg, quoted) => expect(desktopExecArg(arg)).toBe(quoted));

  it('writes an Exec line that hands the URL to open-url', () => {
    const entry = desktopEntry(['/usr/bin/node', '/opt/osloop bridge/bin/osloop-bridge.js', 'open-url']);
    expect(entry).toContain('Exec=/usr/bin/node "/opt/osloop bridge/bin/osloop-bridge.js" open-url %u\n');
    expect(entry).toContain('MimeType=x-scheme-handler/osloop;\n');
  });

  it.each([
    ['an empty file', '', '[Default Applications]\nx-scheme-handler/osloop=h.desktop\n'],
    ['another handler', '[Default Applications]\nx-scheme-handler/osloop=old.desktop\ntext/plain=ed.desktop\n', '[Default Applications]\ntext/plain=ed.desktop\nx-scheme-handler/osloop=h.desktop\n'],
    ['a later section', '[Default Applications]\ntext/plain=ed.desktop\n\n[Added Associations]\nimage/png=v.desktop\n', '[Default Applications]\ntext/plain=ed.desktop\n\nx-scheme-handler/osloop=h.desktop\n[Added Associations]\nimage/png=v.desktop\n'],
  ])('sets the default handler in mimeapps.list with %s', (_name, before, after) => {
    expect(editMimeApps(before, 'h.desktop')).toBe(after);
  });

  it('removes only its own line', () => {
    expect(editMimeApps('[Default Applications]\nx-scheme-handler/osloop=h.desktop\ntext/plain=ed.desktop\n', null)).toBe('[Default Applications]\ntext/plain=ed.desktop\n');
  });
});

describe('osloop-bridge protocol register|unregister (the real CLI, into a temporary XDG home)', { timeout: 120_000 }, () => {
  let home: string;
  let env: Record<string, string>;
  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'osloop-xdg-'));
    env = { XDG_DATA_HOME: path.join(home, 'data'), XDG_CONFIG_HOME: path.join(home, 'config'), HOME: home };
  });
  afterEach(() => rm(home, { recursive: true, force: true }));

  it('registers a .desktop handler for osloop:// and makes it the default, then removes both', async () => {
    const desktopPath = path.join(env.XDG_DATA_HOME!, 'applications', DESKTOP_FILE);
    const registered = await cli(['protocol', 'register'], env);
    expect(registered.exitCode).toBe(0);
    const entry = await readFile(desktopPath, 'utf8');
    expect(entry).toContain(`Exec=${desktopExecArg(process.execPath)} ${desktopExecArg(BIN)} open-url %u`);
    expect(await readFile(path.join(env.XDG_CONFIG_HOME!, 'mimeapps.list'), 'utf8')).toContain(`x-scheme-handler/osloop=${DESKTOP_FILE}`);
    if (hasXdgMime) {
      const query = await execa('xdg-mime', ['query', 'default', 'x-scheme-handler/osloop'], { env: { ...process.env, ...env } });
      expect(query.stdout.trim()).toBe(DESKTOP_FILE);
    } else {
      console.warn('[notice] xdg-mime is not installed: checked the files only');
    }

    const unregistered = await cli(['protocol', 'unregister'], env);
    expect(unregistered.exitCode).toBe(0);
    await expect(access(desktopPath)).rejects.toThrow();
    expect(await readFile(path.join(env.XDG_CONFIG_HOME!, 'mimeapps.list'), 'utf8')).not.toContain('x-scheme-handler/osloop');
  });

  it('refuses an unknown action', async () => {
    const result = await cli(['protocol', 'install'], env);
    expect(result.exitCode).toBe(64);
    expect(result.stderr).toContain('use "register" or "unregister"');
  });
});
