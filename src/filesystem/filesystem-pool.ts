import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Piscina } from 'piscina';
import { BridgeError } from '../contract/errors.js';
import { packagePath } from '../package-root.js';
import runFileJob, { settleFileJob, type FileJob, type FileJobOutcome } from './file-job.js';
import type { FileOperationName, FileOperationReply, FileOperationRequest } from './operations.js';

/**
 * Where the filesystem service's operations run: the seam between the service (which holds no
 * `node:fs`) and the checked system calls. Each operation is one job.
 */
export interface FileOperations {
  run<K extends FileOperationName>(operation: K, request: FileOperationRequest<K>): Promise<FileOperationReply<K>>;
  /** Ends the threads; jobs still queued are refused. */
  close(): Promise<void>;
}

/**
 * The operations in worker threads (piscina): a read is about eight system calls (lstat,
 * realpath, open, readlink of /proc/self/fd, fstat, reads, close), and as async calls each waited
 * for its own turn of the bridge's event loop, which under load is what made reads the slowest
 * requests (docs/performance.md, "The 200-session load"). A job runs the whole sequence
 * synchronously in a worker, and its answer costs the loop one turn. A slow filesystem (a network
 * mount, a disk waking up) holds a worker, never the loop: jobs beyond `maxThreads` busy ones wait
 * in piscina's queue. Threads start at the first job and leave after `idleTimeoutMs` without one,
 * so a bridge that touches no file has none.
 *
 * One thread per core beyond the loop's, at most 4. More threads cost more than they give: on two
 * loaded cores, 20 concurrent 3 KiB reads cost 51 µs of CPU each (17.5 µs of the main thread's)
 * with one worker, 98 (30) with two and 157 (35) with four, as the threads take turns waking each
 * other; the async calls before cost 70 (44). Jobs are tens of microseconds, so one worker keeps up.
 */
export function pooledFileOperations(options: { maxThreads?: number; idleTimeoutMs?: number } = {}): FileOperations {
  let pool: Promise<Piscina> | undefined;
  let closed = false;
  const started = () =>
    (pool ??= import('piscina').then(({ Piscina }) => {
      const entry = workerEntry();
      return new Piscina({
        filename: entry.filename,
        // Not the bridge's own flags (--cpu-prof, --expose-gc, a debugger's): only what the entry needs.
        execArgv: entry.execArgv,
        minThreads: 0,
        // Jobs go to a worker as they come, not one at a time: piscina posts a worker's next job
        // only once the event loop has taken its last answer, so with one job per worker 30 reads
        // queued at once waited 30 loop turns (2-3.5 s each under load, not milliseconds). The
        // worker runs its jobs one after another anyway (they are synchronous).
        concurrentTasksPerWorker: 64,
        maxThreads: options.maxThreads ?? Math.min(4, Math.max(1, os.availableParallelism() - 1)),
        idleTimeout: options.idleTimeoutMs ?? 30_000,
      });
    }));
  return {
    async run(operation, request) {
      if (closed) throw stopping();
      const job: FileJob = { operation, request };
      const outcome = (await (await started()).run(job).catch((error: unknown) => {
        // A job still queued or running when the pool is destroyed: the bridge is stopping.
        throw closed ? stopping() : error;
      })) as FileJobOutcome;
      return settleFileJob(outcome) as FileOperationReply<typeof operation>;
    },
    async close() {
      closed = true;
      if (pool) await (await pool).destroy();
    },
  };
}

/**
 * The same jobs on the calling thread, each system call blocking it: for tests of the service
 * that need no threads, and nothing else (on the bridge's loop it would stall every request).
 */
export function inThreadFileOperations(): FileOperations {
  let closed = false;
  return {
    async run(operation, request) {
      if (closed) throw stopping();
      return settleFileJob(runFileJob({ operation, request })) as FileOperationReply<typeof operation>;
    },
    async close() {
      closed = true;
    },
  };
}

const stopping = () => new BridgeError('unavailable', 'The bridge is stopping.');

const HERE = fileURLToPath(import.meta.url);

/**
 * The worker's entry module. Compiled, it is tsc's dist/src/filesystem/file-job.js, also for the
 * bundled CLI (dist/bundle/main.cjs, whose `import.meta.url` is the bundle's, so the entry is
 * found from the package root, which the packed package keeps as it is). From the TypeScript
 * sources (tests, tsx), the worker compiles them with tsx as its parent does.
 */
function workerEntry(): { filename: string; execArgv: string[] } {
  if (HERE.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    return { filename: path.join(path.dirname(HERE), 'file-job.ts'), execArgv: ['--import', tsx] };
  }
  return { filename: packagePath('dist', 'src', 'filesystem', 'file-job.js'), execArgv: [] };
}
