import type { ResultPromise } from 'execa';

/**
 * Resolves once a `osloop-bridge start` child process has written its UI token, the last thing it
 * logs while starting (so it is our process that serves, not some other bridge on that port), and
 * rejects if it exits first, with what it printed. `onOutput` sees everything it prints on both
 * streams, for tests that keep its log.
 */
export function untilCliStarted(bridge: ResultPromise, onOutput?: (text: string) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let out = '';
    bridge.stdout?.on('data', (chunk: Buffer) => {
      out += String(chunk);
      onOutput?.(String(chunk));
      if (out.includes('UI token written')) resolve();
    });
    bridge.stderr?.on('data', (chunk: Buffer) => {
      out += String(chunk);
      onOutput?.(String(chunk));
    });
    void bridge.then((result) => reject(new Error(`the bridge exited while starting (${result.exitCode ?? result.signal}): ${out}`)));
  });
}
