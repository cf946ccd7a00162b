import { beforeAll, describe, expect, it } from 'vitest';
import { createExecaRunner } from '../../src/processes/execa-runner.js';
import { livingGroupMembers } from '../../src/processes/kill-tree.js';
import type { OutputStream, ProcessExit, ProcessSpec } from '../../src/processes/process-runner.js';

function run(spec: Partial<ProcessSpec> & { command: string }) {
  const runner = createExecaRunner();
  const output: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
  let resolveExit!: (exit: ProcessExit) => void;
  const exited = new Promise<ProcessExit>((resolve) => (resolveExit = resolve));
  const running = runner.start(
    { args: [], cwd: process.cwd(), env: { PATH: process.env.PATH ?? '' }, ...spec },
    { onOutput: (stream, chunk) => void output[stream].push(chunk), onExit: resolveExit },
  );
  const text = (stream: OutputStream) => Buffer.concat(output[stream]).toString('utf8');
  return { runner, running, exited, text };
}

describe('execa process runner', () => {
  // execa loads at the first spawn; a runner is started only once `prepare` has resolved.
  beforeAll(() => createExecaRunner().prepare());
  it('passes arguments unparsed, without a shell', async () => {
    const { exited, text } = run({ command: 'printf', args: ['%s|', '$HOME', 'a b', '; echo no'] });
    expect(await exited).toEqual({ exitCode: 0, signal: null, spawnError: null });
    expect(text('stdout')).toBe('$HOME|a b|; echo no|');
  });

  it('gives the child exactly the environment it was handed', async () => {
    const { exited, text } = run({ command: '/usr/bin/env', env: { ONLY: 'this' } });
    await exited;
    expect(text('stdout')).toBe('ONLY=this\n');
  });

  it('runs a shell line when asked, writes stdin, and reports the exit code', async () => {
    const { exited, text } = run({ command: 'read x; echo "got $x" >&2; exit 7', shell: '/bin/sh', stdin: 'input\n' });
    expect(await exited).toMatchObject({ exitCode: 7 });
    expect(text('stderr')).toBe('got input\n');
  });

  it('reports a missing executable by its error code only, never quoting the arguments', async () => {
    const { running, exited } = run({ command: 'no-such-executable-xyz', args: ['s3cret'] });
    expect(running.pid).toBeUndefined();
    const exit = await exited;
    expect(exit).toEqual({ exitCode: null, signal: null, spawnError: 'ENOENT' });
  });

  it.runIf(process.platform === 'linux')('kills the whole process group, grandchildren included', async () => {
    const { running, exited, text } = run({ command: 'sh', args: ['-c', 'sleep 100 & echo started; sleep 100'] });
    const pid = running.pid!;
    await new Promise<void>((resolve) => {
      const check = () => (text('stdout').includes('started') && livingGroupMembers(pid).length >= 3 ? resolve() : setImmediate(check));
      check();
    });
    await running.kill(1_000);
    expect(await exited).toMatchObject({ signal: 'SIGTERM' });
    expect(livingGroupMembers(pid)).toEqual([]);
  });

  it.runIf(process.platform === 'linux')('stops what an exited child left running in its process group before reporting the exit', async () => {
    // The background jobs' output goes elsewhere, so nothing holds the pipes open: without the
    // runner they would outlive the run, unseen and uncounted.
    const { running, exited } = run({ command: 'sh', args: ['-c', 'sleep 100 >/dev/null 2>&1 & sleep 100 >/dev/null 2>&1 & echo started'] });
    const pid = running.pid!;
    expect(await exited).toEqual({ exitCode: 0, signal: null, spawnError: null });
    expect(livingGroupMembers(pid)).toEqual([]);
  });

  it('kills everything still alive when asked to (the bridge stops)', async () => {
    const { runner, exited } = run({ command: 'sleep', args: ['100'] });
    await runner.killAll(1_000);
    expect(await exited).toMatchObject({ signal: 'SIGTERM' });
  });
});
