import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createExecaRunner } from '../../src/processes/execa-runner.js';
import { livingGroupMembers } from '../../src/processes/kill-tree.js';
import type { OutputStream, ProcessExit, ProcessSpec } from '../../src/processes/process-runner.js';

/** `start` spawns on the calling thread; `spawn` from the runner's worker thread (what command runs use). */
type Way = 'start' | 'spawn';

async function run(way: Way, spec: Partial<ProcessSpec> & { command: string }) {
  const runner = createExecaRunner();
  const output: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
  let resolveExit!: (exit: ProcessExit) => void;
  const exited = new Promise<ProcessExit>((resolve) => (resolveExit = resolve));
  const fullSpec = { args: [], cwd: process.cwd(), env: { PATH: process.env.PATH ?? '' }, ...spec };
  const handlers = { onOutput: (stream: OutputStream, chunk: Buffer) => void output[stream].push(chunk), onExit: resolveExit };
  const running = way === 'start' ? runner.start(fullSpec, handlers) : await runner.spawn(fullSpec, handlers);
  const bytes = (stream: OutputStream) => Buffer.concat(output[stream]);
  const text = (stream: OutputStream) => bytes(stream).toString('utf8');
  return { runner, running, exited, text, bytes };
}

describe.each<Way>(['start', 'spawn'])('execa process runner, %s', (way) => {
  // execa loads at the first spawn; a runner is started only once `prepare` has resolved.
  beforeAll(() => createExecaRunner().prepare());
  it('passes arguments unparsed, without a shell', async () => {
    const { exited, text } = await run(way, { command: 'printf', args: ['%s|', '$HOME', 'a b', '; echo no'] });
    expect(await exited).toEqual({ exitCode: 0, signal: null, spawnError: null });
    expect(text('stdout')).toBe('$HOME|a b|; echo no|');
  });

  it('gives the child exactly the environment it was handed', async () => {
    const { exited, text } = await run(way, { command: '/usr/bin/env', env: { ONLY: 'this' } });
    await exited;
    expect(text('stdout')).toBe('ONLY=this\n');
  });

  it('runs a shell line when asked, writes stdin, and reports the exit code', async () => {
    const { exited, text } = await run(way, { command: 'read x; echo "got $x" >&2; exit 7', shell: '/bin/sh', stdin: 'input\n' });
    expect(await exited).toMatchObject({ exitCode: 7 });
    expect(text('stderr')).toBe('got input\n');
  });

  it('passes raw bytes through exactly, invalid UTF-8 included, and stdin text as written', async () => {
    // Every byte value on stdout; stdin (with characters outside ASCII) echoed to stderr.
    const script = "process.stdout.write(Buffer.from(Array.from({ length: 256 }, (_, i) => i))); process.stdin.pipe(process.stderr);";
    const { exited, bytes, text } = await run(way, { command: process.execPath, args: ['-e', script], stdin: 'größe ✓ 😀\n' });
    expect(await exited).toEqual({ exitCode: 0, signal: null, spawnError: null });
    expect([...bytes('stdout')]).toEqual(Array.from({ length: 256 }, (_, i) => i));
    expect(text('stderr')).toBe('größe ✓ 😀\n');
  });

  it('reports a missing executable by its error code only, never quoting the arguments', async () => {
    const { running, exited } = await run(way, { command: 'no-such-executable-xyz', args: ['s3cret'] });
    expect(running.pid).toBeUndefined();
    const exit = await exited;
    expect(exit).toEqual({ exitCode: null, signal: null, spawnError: 'ENOENT' });
  });

  it.runIf(process.platform === 'linux')('kills the whole process group, grandchildren included', async () => {
    const { running, exited, text } = await run(way, { command: 'sh', args: ['-c', 'sleep 100 & echo started; sleep 100'] });
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
    const { running, exited } = await run(way, { command: 'sh', args: ['-c', 'sleep 100 >/dev/null 2>&1 & sleep 100 >/dev/null 2>&1 & echo started'] });
    const pid = running.pid!;
    expect(await exited).toEqual({ exitCode: 0, signal: null, spawnError: null });
    expect(livingGroupMembers(pid)).toEqual([]);
  });

  it('kills everything still alive when asked to (the bridge stops)', async () => {
    const { runner, exited } = await run(way, { command: 'sleep', args: ['100'] });
    await runner.killAll(1_000);
    expect(await exited).toMatchObject({ signal: 'SIGTERM' });
  });
});

describe('execa process runner, spawn from its worker thread', () => {
  it('relays every byte of a large output, in order, before the exit', async () => {
    const { exited, text } = await run('spawn', { command: process.execPath, args: ['-e', "for (let i = 0; i < 20000; i++) process.stdout.write(String(i).padStart(8, '0') + '\\n')"] });
    expect(await exited).toEqual({ exitCode: 0, signal: null, spawnError: null });
    const lines = text('stdout').trimEnd().split('\n');
    expect(lines).toHaveLength(20000);
    expect(lines.every((line, i) => line === String(i).padStart(8, '0'))).toBe(true);
  });

  it('relays small outputs and hands over large ones: every byte of both streams, each in order, then the exit code', async () => {
    // stdout goes far past the helper's relay limit (its pipe is handed over midway); stderr
    // stays under it (relayed whole); they are written interleaved.
    const script = [
      "let err = '';",
      'for (let i = 0; i < 30000; i++) {',
      "  process.stdout.write(String(i).padStart(8, '0') + '\\n');",
      "  if (i % 3000 === 0) { const line = 'e' + i + '\\n'; err += line; process.stderr.write(line); }",
      '}',
      'process.exitCode = 3;',
    ].join('\n');
    const { exited, text } = await run('spawn', { command: process.execPath, args: ['-e', script] });
    expect(await exited).toEqual({ exitCode: 3, signal: null, spawnError: null });
    const lines = text('stdout').trimEnd().split('\n');
    expect(lines).toHaveLength(30000);
    expect(lines.every((line, i) => line === String(i).padStart(8, '0'))).toBe(true);
    expect(text('stderr')).toBe(Array.from({ length: 10 }, (_, i) => `e${i * 3000}\n`).join(''));
  });

  it('reports the exit only once a pipe held open by what the child left running has ended', async () => {
    // The background job keeps stdout open after the shell exits; its last line must arrive
    // before the exit, whether the pipe was relayed or handed over.
    const { exited, text } = await run('spawn', { command: 'sh', args: ['-c', '(sleep 0.3; echo late) & echo early'] });
    expect(await exited).toEqual({ exitCode: 0, signal: null, spawnError: null });
    expect(text('stdout')).toBe('early\nlate\n');
  });

  it('runs many children at once, each with its own output and exit code', async () => {
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => run('spawn', { command: 'sh', args: ['-c', `echo child-${i}; exit ${i}`] })));
    const exits = await Promise.all(runs.map(({ exited }) => exited));
    expect(exits.map((exit) => exit.exitCode)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(runs.map(({ text }) => text('stdout'))).toEqual(Array.from({ length: 8 }, (_, i) => `child-${i}\n`));
  });
});

describe.runIf(process.platform === 'linux')('execa process runner, the spawn helper', () => {
  /** This process's children that are the spawn helper (`node -e <source>`). */
  const helpers = () =>
    readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('process.disconnect()');
        } catch {
          return false; // gone meanwhile
        }
      });

  it('leaves once it has no child, and a later spawn starts a new one', async () => {
    const first = await run('spawn', { command: 'true' });
    expect(await first.exited).toEqual({ exitCode: 0, signal: null, spawnError: null });
    await vi.waitFor(() => expect(helpers()).toEqual([]), { timeout: 30_000, interval: 100 });
    const second = await run('spawn', { command: 'sh', args: ['-c', 'echo again'] });
    expect(await second.exited).toEqual({ exitCode: 0, signal: null, spawnError: null });
    expect(second.text('stdout')).toBe('again\n');
  });
});
