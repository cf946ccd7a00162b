import { describe, expect, it } from 'vitest';
import { LazySdkConnector } from '../../src/mcp/lazy-sdk-connector.js';
import { EVERYTHING_ENTRY } from '../fixtures/mcp/everything.js';

describe('the lazily loaded SDK connector', () => {
  it('loads the SDK connector at its first connect and passes its options on (the PATH a stdio server gets)', async () => {
    const connector = new LazySdkConnector({ searchPath: async () => `/osloop-lazy-bin:${process.env.PATH}` });
    // Room for server-everything's start on a loaded two-core machine (over 20 s once).
    const connection = await connector.connect({ type: 'stdio', command: process.execPath, args: [EVERYTHING_ENTRY, 'stdio'] }, { timeoutMs: 45_000 });
    try {
      expect(connection.identity.serverInfo.name).toBe('mcp-servers/everything');
      const env = JSON.stringify(await connection.callTool('get-env', {}, { timeoutMs: 5_000, maxTotalTimeoutMs: 10_000 }));
      expect(env).toContain('/osloop-lazy-bin:');
    } finally {
      await connection.close();
    }
  });
});
