import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';
import { BridgeError } from '../contract/errors.js';

/**
 * JSON bodies: an empty body is "no body" (so `POST …/connect` needs none), `__proto__` and
 * `constructor.prototype` keys are refused, and anything unparsable is a 400.
 */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      const poisoned = /prototype|__proto__|constructor/i.test((error as Error).message);
      done(
        new BridgeError('invalid_request', poisoned ? 'The body may not contain __proto__ or constructor.prototype keys.' : 'The body is not valid JSON.'),
        undefined,
      );
    }
  });
}
