import { generateSessionLoad, type LoadTarget } from './load-generator.js';

/**
 * The load generator's own process (forked by `generateInChildProcess`): it waits for its target,
 * runs the sessions, reports what they measured, and exits.
 */
process.once('message', (message: { kind: 'start'; target: LoadTarget }) => {
  const send = (reply: object) => new Promise<void>((resolve) => process.send!(reply, () => resolve()));
  generateSessionLoad({ ...message.target, log: (line) => void send({ kind: 'log', line }) })
    .then((result) => send({ kind: 'done', result }))
    .catch((error: unknown) => send({ kind: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) }))
    .finally(() => process.exit(0));
});
