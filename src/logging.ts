import pino, { type Logger } from 'pino';

/**
 * The bridge's logger: JSON lines, pretty-printed when a person is watching a terminal. Tokens
 * are redacted wherever a header or field could carry one.
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
  if (pretty) {
    return pino({ level, redact, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino({ level, redact });
}
