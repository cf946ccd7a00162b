import { vi } from 'vitest';
import type { BridgeConfigInput } from '../../../src/config/config-schema.js';
import type { Principal } from '../../../src/contract/principal.js';
import { MemoryProcessRunner } from '../../../src/processes/memory-runner.js';
import { commandPermissionsModule } from '../../../src/services/commands/commands-module.js';
import { startCapabilityHarness, USER, type CapabilityHarness } from '../capability-harness.js';

export { USER };

export interface CommandsHarness extends Omit<CapabilityHarness, 'events' | 'call'> {
  runner: MemoryProcessRunner;
  /** Every contract event published so far, in order. */
  events: Array<{ type: string; data: Record<string, unknown> }>;
  /**
   * Sends a route request on the bus exactly as the HTTP layer would (after validating it).
   * Executes prefer `respond-async` unless `prefer` says otherwise: most tests answer the prompt
   * after the reply.
   */
  call<T = Record<string, unknown>>(
    routeName: string,
    request?: { params?: object; query?: object; body?: unknown; principal?: Principal; prefer?: { respondAsync: boolean } },
  ): Promise<T>;
}

/**
 * The command-permissions capability on a real in-process bus, actor runtime and SQLite file,
 * with the in-memory process runner: no HTTP, no processes. The test plays the processes.
 */
export async function startCommandsHarness(options: { config?: BridgeConfigInput; home?: string } = {}): Promise<CommandsHarness> {
  const runner = new MemoryProcessRunner();
  const harness = await startCapabilityHarness(commandPermissionsModule({ runner, searchPath: async () => process.env.PATH ?? '' }), {
    // The session may answer its own prompts here (the user's choice on the Settings page); the
    // bridge-window-only default is tested where it is the point.
    config: { commandPath: 'inherited', approvals: { localOnly: false }, ...options.config },
    ...(options.home ? { home: options.home } : {}),
  });
  const call: CommandsHarness['call'] = (routeName, request = {}) =>
    harness.call(routeName, routeName === 'system.commands.execute' ? { prefer: { respondAsync: true }, ...request } : request);
  return { ...harness, runner, call } as CommandsHarness;
}

/** An execute body in the web app's flat shape; without `…Template` twins the template equals the resolved values. */
export function executeBody(command: string, args: string[] = [], extra: Record<string, unknown> = {}) {
  return { command, args, reason: 'a service test', ...extra };
}

/**
 * Resolves once `probe` returns a value (vitest's `waitUntil`, on real timers). Its patience is
 * wall time, not a count of turns: some steps wait on the thread pool (the executable's lookup on
 * PATH), which on a loaded machine outlasted 2,000 turns of the event loop (a CI failure).
 */
export function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, patienceMs = 15_000): Promise<T> {
  return vi.waitUntil(probe, { timeout: patienceMs, interval: 1 }) as Promise<T>;
}
