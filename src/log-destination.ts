import { constants, fstatSync, openSync } from 'node:fs';
import { Socket } from 'node:net';

/**
 * Where log lines go: a Node writable (the process's stdout) behind a policy that can never
 * block or hang the bridge.
 *
 * Why not pino's default destination: it is sonic-boom writing the raw fd with `fs.writeSync`,
 * and pino registers an exit hook that flushes it synchronously. Against a pipe or socket whose
 * reader stopped reading (or went away while another process still holds its end), a blocking
 * fd blocks the main thread in `write(2)` and a non-blocking one makes the flush retry EAGAIN in
 * an `Atomics.wait` loop forever: the bridge never exits (see docs/reliability.md, "A stop
 * always ends the process"). Node's own stdout stream writes pipes and sockets without blocking
 * and queues in memory; this destination bounds that queue and drops lines past it, counts
 * them, and says once how many were lost when a line can be written again. Nothing here is
 * flushed at exit, so neither the stop nor `exit` waits on a log write.
 */
export interface LogDestination {
  /** Queues one line; drops it when the reader is gone or too far behind. Never blocks, never throws. */
  write(line: string): void;
  /** Lines dropped so far. */
  readonly dropped: number;
  /** Calls back once nothing is queued (at once when nothing is). */
  onceDrained(callback: () => void): void;
}

/** What the destination needs of a stream: `process.stdout` has it, and so does a socket in tests. */
export interface WritableSink {
  write(chunk: string, callback?: (error?: Error | null) => void): boolean;
  readonly writableLength: number;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'drain', listener: () => void): unknown;
}

/** Bytes queued for a slow reader before lines are dropped: a few thousand log lines. */
export const DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;

export function createLogDestination(sink: WritableSink, options: { maxQueuedBytes?: number } = {}): LogDestination {
  const maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
  let closed = false;
  let dropped = 0;
  let unannounced = 0;
  // Writes not yet handed to the OS, and who waits for none to be left. Counted from each write's
  // callback: 'drain' only follows a write that found the buffer full, so it cannot tell "empty".
  let inFlight = 0;
  let waiters: Array<() => void> = [];
  const settle = () => {
    if (inFlight > 0 && !closed) return;
    const ready = waiters;
    waiters = [];
    for (const waiter of ready) waiter();
  };

  const drop = () => {
    dropped++;
    unannounced++;
  };
  const announce = () => {
    if (unannounced === 0 || closed) return;
    const line = JSON.stringify({ level: 40, time: Date.now(), msg: `${unannounced} log line(s) dropped: the log reader was too slow or gone`, droppedLines: unannounced });
    unannounced = 0;
    send(`${line}\n`);
  };
  const send = (line: string) => {
    inFlight++;
    try {
      sink.write(line, (error) => {
        if (error) closed = true;
        inFlight--;
        settle();
      });
    } catch {
      // A stream destroyed under us (its fd closed): nothing more can be written.
      closed = true;
      inFlight--;
      settle();
    }
  };

  // EPIPE, ECONNRESET, EBADF…: the reader is gone for good. Unhandled, it would crash the bridge.
  sink.on('error', () => {
    closed = true;
    settle();
  });
  sink.on('drain', announce);

  return {
    write(line) {
      if (closed || sink.writableLength + line.length > maxQueuedBytes) {
        drop();
        return;
      }
      announce();
      send(line);
    },
    get dropped() {
      return dropped;
    },
    onceDrained(callback) {
      waiters.push(callback);
      settle();
    },
  };
}

let stdoutDestination: LogDestination | undefined;

/** The one destination on this process's stdout (several loggers share it, and its counters). */
export function stdoutLogDestination(): LogDestination {
  stdoutDestination ??= createLogDestination(stdoutSink());
  return stdoutDestination;
}

/**
 * Node writes a pipe without blocking only while its file description is O_NONBLOCK, and that
 * flag is shared with every process holding the same description: a child spawned with an
 * inherited stdout or stderr (esbuild under tsx, a window started with `stdio: 'inherit'`) has
 * libuv clear it, and from then on each log line is a `write(2)` that blocks the main thread
 * when the reader stops reading. On Linux a pipe reopened through /proc is a description of our
 * own, which nobody else can make blocking. Sockets cannot be reopened; they, files and
 * terminals use Node's stdout as it is.
 */
function stdoutSink(): WritableSink {
  if (process.platform !== 'linux') return process.stdout;
  try {
    if (!fstatSync(1).isFIFO()) return process.stdout;
    const fd = openSync('/proc/self/fd/1', constants.O_WRONLY | constants.O_NONBLOCK);
    const socket = new Socket({ fd, readable: false, writable: true });
    // Log lines still queued must never be what keeps the process alive.
    socket.unref();
    return socket;
  } catch {
    return process.stdout;
  }
}
