import pino, { type Logger } from 'pino';
import { createRequire } from 'node:module';
import { stdoutLogDestination, type LogDestination } from './log-destination.js';

/**
 * The bridge's logger: JSON lines, pretty-printed when a person is watching a terminal. Tokens
 * are redacted wherever a header or field could carry one. Every line goes through a
 * `LogDestination`, which drops lines rather than block: no pino transport (its worker is
 * flushed with `Atomics.wait` at exit) and no sonic-boom (flushed synchronously at exit).
 */
export function createLogger(options: { level?: string; pretty?: boolean; destination?: pino.DestinationStream } = {}): Logger {
  const level = options.level ?? process.env.OSLOOP_LOG_LEVEL ?? 'info';
  const redact = {
    paths: [
      'req.headers["x-osloop-bridge-token"]',
      'req.headers["x-osloop-ui-token"]',
      '*.sessionToken',
      '*.uiToken',
      '*.token',
      'sessionToken',
      'token',
    ],
    censor: '[redacted]',
  };
  if (options.destination) return pino({ level, redact }, options.destination);
  const pretty = options.pretty ?? Boolean(process.stdout.isTTY);
  const destination = stdoutLogDestination();
  return pino({ level, redact }, pretty ? prettyOnto(destination) : destination);
}

/** Pretty-prints each JSON line in this thread, then hands it to the non-blocking destination. */
function prettyOnto(destination: LogDestination): pino.DestinationStream {
  // Loaded only when a person watches a terminal: a daemon's start (JSON lines) never pays for it.
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const format = prettyFactory({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return { write: (line: string) => destination.write(format(line)) };
}
