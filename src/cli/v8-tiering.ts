import v8 from 'node:v8';

/**
 * Makes V8 optimise the daemon's hot paths sooner, once it is serving.
 *
 * Why: a web page drives the bridge in bursts of a few thousand calls, and V8's default
 * thresholds leave most of a call's path (the socket frame, the bus, the MCP SDK, zod) in the
 * interpreter for the first thousands of them: an echo call cost ~600–700 µs of the bridge's CPU
 * in the first 1,000 calls and ~180 µs once optimised (docs/performance.md, MCP rows). Node 20's
 * V8 counts a function's work against an interrupt budget before it considers optimising it;
 * 4,096 instead of the default 67,584 took the echo row from 2.35–2.46× to 1.88–1.96× the direct
 * SDK client in alternating runs (docs/performance.md, round 10).
 *
 * Set at run time, after the port is bound, so that starting (which runs most code once) keeps
 * V8's defaults and does not pay for compiling what it runs only once. Only on the V8 versions
 * where the flag exists and was measured: newer ones (Node 24) tier up by invocation counts with
 * Maglev in between, name no such flag, and print an error for an unknown one.
 */
export function tieringFlagFor(v8Version: string): string | undefined {
  const major = Number.parseInt(v8Version, 10);
  return major === 11 ? '--interrupt-budget=4096' : undefined;
}

/** Applies `tieringFlagFor` to the running V8; returns the flag set, if any. */
export function optimiseHotPathsSooner(): string | undefined {
  const flag = tieringFlagFor(process.versions.v8);
  if (flag) v8.setFlagsFromString(flag);
  return flag;
}
