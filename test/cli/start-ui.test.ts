import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { BIN, cli, homeWithPort } from './support.js';

/** Starts `osloop-bridge start --ui` and collects its stderr. */
function startUi(env: Record<string, string>) {
  const child = execa(process.execPath, [BIN, 'start', '--ui'], { env: { ...process.env, ...env }, reject: false, all: true });
  let output = '';
  child.all!.on('data', (chunk: Buffer) => (output += String(chunk)));
  return { child, output: () => output };
}

describe('osloop-bridge start --ui (desktop mode)', { timeout: 120_000 }, () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const stop = (child: ResultPromise) => async () => {
    child.kill('SIGTERM');
    await child;
  };

  it('says how to get the Neutralino binaries when they are missing, and stays up in bind_failed until ensure-server retries the same port', async () => {
    const port = await freePort();
    const home = await homeWithPort(port);
    const blocker = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port }, resolve));
    cleanups.push(() => rm(home, { recursive: true, force: true }));

    const ui = startUi({ OSLOOP_BRIDGE_HOME: home, OSLOOP_NEUTRALINO_BIN: path.join(home, 'no-such-neutralino') });
    cleanups.push(stop(ui.child));
    await expect.poll(ui.output, { timeout: 60_000 }).toContain('npx @neutralinojs/neu update');
    await expect.poll(ui.output, { timeout: 30_000 }).toContain(`Port ${port} could not be bound; the bridge keeps running`);
    expect(ui.child.exitCode).toBeNull();

    await new Promise((resolve) => blocker.close(resolve));
    const retried = await cli(['open-url', 'osloop://ensure-server'], { OSLOOP_BRIDGE_HOME: home });
    expect({ code: retried.exitCode, out: retried.stdout }).toMatchObject({ code: 0, out: expect.stringContaining(`retried port ${port} and is listening`) });
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/health`)).status).toBe(200);
  });

  it('opens the window with the bridge URL and token file, allows its origin, and stops when the window closes', async () => {
    const port = await freePort();
    const home = await homeWithPort(port);
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    // A stand-in Neutralino binary: it calls the bridge from its own origin the way the window's
    // pages do, writes what it saw, and exits like a window being closed.
    const fake = path.join(home, 'neutralino');
    const report = path.join(home, 'window-report.json');
    await writeFile(fake, `#!${process.execPath}
const args = process.argv.slice(2);
const arg = (name) => args.find((a) => a.startsWith('--' + name + '='))?.split('=').slice(1).join('=');
const token = require('node:fs').readFileSync(arg('osloop-token-file'), 'utf8').trim();
fetch(arg('osloop-bridge-url') + '/api/v1/ui/status', { headers: { origin: 'http://127.0.0.1:' + arg('port'), 'x-osloop-ui-token': token } })
  .then(async (r) => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({ args, status: r.status, body: await r.json() })))
  .finally(() => process.exit(0));
`);
    await chmod(fake, 0o755);
    const ui = startUi({ OSLOOP_BRIDGE_HOME: home, OSLOOP_NEUTRALINO_BIN: fake });
    const result = await ui.child;
    expect(result.exitCode).toBe(0);
    const seen = JSON.parse(await readFile(report, 'utf8')) as { args: string[]; status: number; body: { activePort: number } };
    expect(seen.status).toBe(200);
    expect(seen.body.activePort).toBe(port);
    expect(seen.args).toEqual(expect.arrayContaining(['--load-dir-res', `--osloop-bridge-url=http://127.0.0.1:${port}`, `--osloop-token-file=${path.join(home, 'ui-token')}`]));
    expect(ui.output()).toContain('desktop window closed');
  });
});
