import { describe, expect, it } from 'vitest';
import { createPrincipalVerifierSeam, type VerifyRequest } from '../../../src/services/session/principal-verifier.js';

const request: VerifyRequest = { auth: 'session', origin: 'https://app.example', sessionToken: 't', uiToken: null };

describe('principal verifier seam', () => {
  it('answers unavailable until the session service has plugged in its verifier', () => {
    const seam = createPrincipalVerifierSeam();
    expect(() => seam.verify(request)).toThrow(expect.objectContaining({ code: 'unavailable' }));
  });

  it('asks the verifier the session service provided, with the request the guard built', () => {
    const seam = createPrincipalVerifierSeam();
    const asked: VerifyRequest[] = [];
    seam.provide((given) => {
      asked.push(given);
      return { kind: 'session', sessionId: 'ses_1', origin: given.origin };
    });
    expect(seam.verify(request)).toEqual({ kind: 'session', sessionId: 'ses_1', origin: 'https://app.example' });
    expect(asked).toEqual([request]);
  });

  it('answers unavailable again once the session service has stopped', () => {
    const seam = createPrincipalVerifierSeam();
    seam.provide(() => ({ kind: 'ui' }));
    seam.provide(null);
    expect(() => seam.verify(request)).toThrow(expect.objectContaining({ code: 'unavailable' }));
  });
});
