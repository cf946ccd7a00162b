/**
 * Bus failures, one class per condition (as nats.js does), so callers branch with `instanceof`
 * instead of parsing messages. Both bus implementations throw exactly these, never a transport's
 * own error type, so code above the bus does not depend on which bus it runs on.
 */

/** Common base: every bus failure names the subject it happened on. */
export class BusError extends Error {
  readonly subject: string;

  constructor(subject: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.subject = subject;
  }
}

/** A request found nobody subscribed to its subject. */
export class BusNoResponders extends BusError {
  constructor(subject: string, options?: ErrorOptions) {
    super(subject, `No responders on "${subject}"`, options);
  }
}

/** A request got no reply within its time limit. */
export class BusTimeout extends BusError {
  readonly timeoutMs: number;

  constructor(subject: string, timeoutMs: number, options?: ErrorOptions) {
    super(subject, `No reply on "${subject}" within ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** The bus is draining or closed, so it accepts no new work. */
export class BusClosed extends BusError {
  constructor(subject: string, options?: ErrorOptions) {
    super(subject, `The bus is closed (while using "${subject}")`, options);
  }
}

/** A subject breaks the NATS subject rules; `reason` says which one. */
export class InvalidSubject extends BusError {
  readonly reason: string;

  constructor(subject: string, reason: string) {
    super(subject, `Invalid subject ${JSON.stringify(subject)}: ${reason}`);
    this.reason = reason;
  }
}

/**
 * Receives failures nobody awaits: a subscriber's handler that threw, a `serve()` handler that
 * failed with something other than a `BridgeError`, a connection that closed on an error.
 */
export type ErrorReporter = (error: unknown, context: { subject: string }) => void;

/** Wraps `onError` (default: console.error) so that a reporter that throws cannot crash the bus. */
export function safeReporter(onError?: ErrorReporter): ErrorReporter {
  return (error, context) => {
    try {
      (onError ?? logToConsole)(error, context);
    } catch (reporterError) {
      logToConsole(new AggregateError([error, reporterError], 'The bus error reporter threw'), context);
    }
  };
}

function logToConsole(error: unknown, { subject }: { subject: string }): void {
  console.error(`[bus] unhandled error on "${subject}":`, error);
}
