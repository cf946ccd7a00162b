import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OUTPUT_BUFFER_BYTES } from '../../src/contract/constants.js';
import { openFrames } from '../support/ws-frames.js';
import { startApi, type Api } from './commands-support.js';

/** Output: streamed live as events, buffered up to the cap, paged by byte offsets. */
describe('command output end to end', () => {
  let api: Api;

  beforeAll(async () => {
    api = await startApi({ config: { commandPath: 'inherited' } });
  });
  afterAll(async () => {
    await api?.bridge.close();
  });

  async function run(command: string, args: string[]) {
    const execute = await api.execute(command, args);
    await api.resolve(String(execute.body.promptId), 'allow_once');
    return String(execute.body.runId);
  }

  it('buffers the first 10 MB, marks partial_output, and streams every byte as events', async () => {
    const total = DEFAULT_OUTPUT_BUFFER_BYTES + 1024 * 1024;
    const url = `${api.bridge.baseUrl.replace('http', 'ws')}/ws/v1/events?sessionToken=${api.headers['x-osloop-bridge-token']}&types=system.command.stdout,system.command.completed`;
    const events = await openFrames(url, api.bridge.origin);
    try {
      const runId = await run(process.execPath, ['-e', `process.stdout.write('x'.repeat(${total}))`]);
      const done = await api.waitRun(runId, '&limit=16');
      expect(done.body).toMatchObject({
        state: 'completed',
        partialOutput: true,
        stdoutBytes: total,
        stdout: { offset: 0, data: 'x'.repeat(16), nextOffset: 16, bufferedBytes: DEFAULT_OUTPUT_BUFFER_BYTES, totalBytes: total, ended: false },
      });
      await events.until((frames) => frames.some((f) => f.type === 'system.command.completed'), 20_000);
      const chunks = events.frames.filter((f) => f.type === 'system.command.stdout').map((f) => f.data as { runId: string; offset: number; bytes: number; chunk: string });
      const mine = chunks.filter((c) => c.runId === runId);
      // Contiguous offsets: no gap, no overlap, all of it.
      let expected = 0;
      for (const chunk of mine) {
        expect(chunk.offset).toBe(expected);
        expected += chunk.bytes;
      }
      expect(expected).toBe(total);
      expect(mine.reduce((sum, c) => sum + c.chunk.length, 0)).toBe(total);
    } finally {
      events.socket.close();
    }
  });

  it('pages buffered output by bytes without ever splitting a UTF-8 character', async () => {
    const runId = await run('printf', ['a\u00e9b\u20ac']); // 1 + 2 + 1 + 3 bytes
    await api.waitRun(runId);
    const pages: string[] = [];
    let offset = 0;
    for (;;) {
      const page = await api.call<{ stdout: { data: string; nextOffset: number; ended: boolean } }>('GET', `/api/v1/system/commands/runs/${runId}?stream=stdout&offset=${offset}&limit=2`);
      pages.push(page.body.stdout.data);
      offset = page.body.stdout.nextOffset;
      if (page.body.stdout.ended) break;
    }
    expect(pages).toEqual(['a', '\u00e9', 'b', '\u20ac']);
  });

  it('keeps stdout and stderr apart', async () => {
    const runId = await run('sh', ['-c', 'echo out; echo err >&2; exit 4']);
    const done = await api.waitRun(runId);
    expect(done.body).toMatchObject({ state: 'failed', exitCode: 4, stdout: { data: 'out\n' }, stderr: { data: 'err\n' }, stdoutBytes: 4, stderrBytes: 4 });
    const stderrOnly = await api.call('GET', `/api/v1/system/commands/runs/${runId}?stream=stderr`);
    expect(stderrOnly.body).toMatchObject({ stdout: null, stderr: { data: 'err\n' } });
  });

  it('writes stdin to the process, then closes it', async () => {
    const execute = await api.execute('cat', [], { stdin: 'from the web app' });
    await api.resolve(String(execute.body.promptId), 'allow_once');
    expect((await api.waitRun(String(execute.body.runId))).body).toMatchObject({ state: 'completed', stdout: { data: 'from the web app' } });
  });
});
