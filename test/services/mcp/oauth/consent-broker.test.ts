import { describe, expect, it } from 'vitest';
import { ConsentBroker, ConsentRefusedError } from '../../../../src/services/mcp/oauth/consent-broker.js';

describe('ConsentBroker', () => {
  const waiting = () => {
    const broker = new ConsentBroker();
    broker.expect('mcp_a', 'state-1');
    broker.setAuthorizationUrl('mcp_a', new URL('https://as.example/authorize?state=state-1'));
    const code = broker.waitForCode('mcp_a', new AbortController().signal);
    return { broker, code };
  };

  it('hands the code of the redirect with the expected state to the waiting consent, once', async () => {
    const { broker, code } = waiting();
    expect(broker.complete({ state: 'state-1', code: 'the-code' })).toEqual({ serverId: 'mcp_a', authorized: true, message: expect.any(String) });
    await expect(code).resolves.toBe('the-code');
    expect(broker.authorizationUrl('mcp_a')).toBeNull();
    expect(() => broker.complete({ state: 'state-1', code: 'again' })).toThrow(expect.objectContaining({ code: 'invalid_request', details: { reason: 'unknown_state' } }));
  });

  it.each([
    ['an unknown state', 'forged'],
    ['an empty-looking state', 'state-'],
  ])('refuses a redirect with %s', (_label, state) => {
    const { broker } = waiting();
    expect(() => broker.complete({ state, code: 'c' })).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });

  it('accepts only the latest state of a server', () => {
    const { broker } = waiting();
    broker.expect('mcp_a', 'state-2');
    expect(() => broker.complete({ state: 'state-1', code: 'c' })).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(broker.complete({ state: 'state-2', code: 'c' }).authorized).toBe(true);
  });

  it('turns an error on the redirect into a refusal, its description cut short', async () => {
    const { broker, code } = waiting();
    expect(broker.complete({ state: 'state-1', error: 'access_denied', error_description: 'x'.repeat(5_000) }).authorized).toBe(false);
    const refusal = await code.catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ConsentRefusedError);
    expect((refusal as Error).message.length).toBeLessThan(400);
  });

  it('gives up waiting when the connection is abandoned', async () => {
    const broker = new ConsentBroker();
    broker.expect('mcp_a', 'state-1');
    const abandon = new AbortController();
    const code = broker.waitForCode('mcp_a', abandon.signal);
    abandon.abort(new Error('disconnected'));
    await expect(code).rejects.toThrow('disconnected');
    expect(() => broker.complete({ state: 'state-1', code: 'late' })).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});
