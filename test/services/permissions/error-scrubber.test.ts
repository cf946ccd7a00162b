import { describe, expect, it } from 'vitest';
import { httpFailureReason, scrubResolved } from '../../../src/services/permissions/error-scrubber.js';

describe('error scrubber', () => {
  it('puts each secret back as its placeholder, as sent and percent-encoded', () => {
    const pairs = [{ template: 'https://user:__OSL_SECRET[pw]__@api.example/mcp', resolved: 'https://user:p@ss w0rd@api.example/mcp' }];
    const undici = 'fetch failed: https://user:p%40ss%20w0rd@api.example/mcp (p@ss w0rd)';
    const scrubbed = scrubResolved(undici, pairs);
    expect(scrubbed).not.toContain('p%40ss%20w0rd');
    expect(scrubbed).not.toContain('p@ss w0rd');
    expect(scrubbed).toContain('__OSL_SECRET[pw]__');
  });

  it('replaces a whole resolved value by its template, and leaves values equal to their template alone', () => {
    const pairs = [
      { template: '--token=__OSL_SECRET[t]__', resolved: '--token=abc123' },
      { template: 'echo', resolved: 'echo' },
    ];
    expect(scrubResolved('bad option --token=abc123 for echo', pairs)).toBe('bad option --token=__OSL_SECRET[t]__ for echo');
  });

  it('says only the status, or the network error code, of an HTTP failure: never the body', () => {
    expect(httpFailureReason(Object.assign(new Error('Error POSTing to endpoint (HTTP 500): {"secret":"metadata body"}'), { code: 500 }))).toBe('The MCP server answered HTTP 500 Internal Server Error.');
    expect(httpFailureReason(new Error('Error POSTing to endpoint (HTTP 403): instance metadata token=abc'))).toBe('The MCP server answered HTTP 403 Forbidden.');
    expect(httpFailureReason(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))).toBe('The MCP server could not be reached (ECONNREFUSED).');
    expect(httpFailureReason(new Error('anything else https://u:pw@h/'))).toBe('The connection to the MCP server failed.');
  });
});
