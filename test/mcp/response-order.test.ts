import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterEach, describe, expect, it } from 'vitest';
import { openClientConnection } from '../../src/mcp/client-connection.js';
import type { McpConnection } from '../../src/mcp/connector.js';
import { chunkedClientTransport } from '../fixtures/mcp/chunked-transport.js';
import { twinServer } from '../fixtures/mcp/twin-servers.js';

describe('a response read together with notifications', () => {
  let connection: McpConnection | undefined;
  afterEach(async () => {
    await connection?.close();
  });

  it("hands on a call's last progress, read in the same chunk as its result, before the result", async () => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await twinServer().connect(serverSide);
    connection = await openClientConnection(chunkedClientTransport(clientSide), { timeoutMs: 5_000 });
    const seen: number[] = [];
    const result = await connection.callTool('progress', { steps: 3, stepMs: 0 }, { timeoutMs: 5_000, maxTotalTimeoutMs: 10_000, onProgress: ({ progress }) => seen.push(progress) });
    expect(result.content).toEqual([{ type: 'text', text: 'done after 3 steps' }]);
    expect(seen).toEqual([1, 2, 3]);
  });
});
