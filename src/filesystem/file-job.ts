import { BridgeError, type ErrorCode } from '../contract/errors.js';
import { FILE_OPERATIONS, type FileOperationName } from './operations.js';

/** One filesystem operation to run whole, as the filesystem worker receives it. */
export interface FileJob {
  operation: FileOperationName;
  request: unknown;
}

/**
 * What a job comes back as. A refusal crosses the thread as plain data: structured cloning keeps
 * an Error's message but not its class, code or details, which the reply needs.
 */
export type FileJobOutcome = { ok: true; value: unknown } | { ok: false; error: { code: ErrorCode; message: string; details: Record<string, unknown> | undefined } };

/**
 * Runs a job on this thread. The filesystem worker's entry (piscina calls the default export);
 * anything but a refusal (a bug) is thrown, and reaches the caller as the worker's error.
 */
export default function runFileJob(job: FileJob): FileJobOutcome {
  if (!Object.hasOwn(FILE_OPERATIONS, job.operation)) throw new Error(`no filesystem operation ${String(job.operation)}`);
  try {
    return { ok: true, value: FILE_OPERATIONS[job.operation](job.request as never) };
  } catch (error) {
    if (!(error instanceof BridgeError)) throw error;
    return { ok: false, error: { code: error.code, message: error.message, details: error.details } };
  }
}

/** The job's reply, or its refusal thrown again as the BridgeError it was. */
export function settleFileJob(outcome: FileJobOutcome): unknown {
  if (outcome.ok) return outcome.value;
  throw new BridgeError(outcome.error.code, outcome.error.message, { details: outcome.error.details });
}
