import os from 'node:os';
import { fromCallback, type EventObject } from 'xstate';
import type { InhibitorEvent, InhibitorProcessInput } from '../../../machines/inhibitor.machine.js';
import type { Inhibitor } from '../../awake/inhibitor.js';
import type { ProcessExit, ProcessRunner, RunningProcess } from '../../processes/index.js';

const STDERR_TAIL_BYTES = 2_000;

/**
 * The inhibitor machine's `inhibitorProcess` actor: runs the inhibitor's command through the
 * process runner, reports its pid and its death (with the end of its stderr), and kills its tree
 * when the machine stops it. `live` lets the bridge wait for every inhibitor to be gone on stop.
 */
export function inhibitorProcessActor(deps: {
  inhibitor: Inhibitor;
  runner: ProcessRunner;
  env: () => Promise<Record<string, string>>;
  killGraceMs: () => number;
  live: Set<RunningProcess>;
}) {
  return fromCallback<EventObject, InhibitorProcessInput>(({ input, sendBack }) => {
    const send = (event: InhibitorEvent) => sendBack(event);
    let stopped = false;
    let running: RunningProcess | undefined;
    let stderr = '';
    void Promise.all([deps.env(), deps.runner.prepare?.()]).then(([env]) => {
      if (stopped) return;
      const { command, args } = deps.inhibitor.command(input.why);
      running = deps.runner.start(
        { command, args, cwd: os.homedir(), env },
        {
          onOutput: (stream, chunk) => {
            if (stream === 'stderr') stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
          },
          onExit: (exit) => {
            if (running) deps.live.delete(running);
            if (!stopped) send({ type: 'inhibitor.exited', detail: describeExit(exit, stderr) });
          },
        },
      );
      deps.live.add(running);
      if (running.pid !== undefined) send({ type: 'inhibitor.started', pid: running.pid });
    });
    return () => {
      stopped = true;
      const process = running;
      if (process) void process.kill(deps.killGraceMs()).finally(() => deps.live.delete(process));
    };
  });
}

function describeExit(exit: ProcessExit, stderr: string): string {
  const how = exit.spawnError ? `it could not start (${exit.spawnError})` : exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.exitCode}`;
  const tail = stderr.trim().split(/\r?\n/).slice(-3).join(' | ');
  return tail ? `${how}: ${tail}` : how;
}
