import { handshake, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import type { StartBridgeOptions } from '../../src/bridge.js';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** Plain-fetch calls to a real bridge, as a web-app session (or as the local UI with `ui: true`). */
export interface Api {
  bridge: TestBridge;
  headers: Record<string, string>;
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, options?: { ui?: boolean; headers?: Record<string, string> }): Promise<Reply<T>>;
  /**
   * Executes `command args…` in the web app's flat shape (no `…Template` twins: the template is
   * the resolved values unless `extra` gives twins), with `Prefer: respond-async` unless `held`:
   * most tests answer the prompt after the reply.
   */
  execute(command: string, args?: string[], extra?: Record<string, unknown>, options?: { held?: boolean }): Promise<Reply>;
  resolve(promptId: string, decision: string, extra?: Record<string, unknown>, options?: { ui?: boolean }): Promise<Reply>;
  /** Long-polls the run until it ends (or `waitMs` passes). */
  waitRun(runId: string, query?: string): Promise<Reply>;
  /** The run once it has left `starting` (its spawn is asynchronous after the allow). */
  started(runId: string): Promise<Reply>;
}

/** A real bridge over HTTP with one web-app session. */
export async function startApi(options: StartBridgeOptions & { home?: string; keepHome?: boolean } = {}): Promise<Api> {
  // These suites play a user who let the web app answer its own prompts (a choice made on the
  // Settings page); suites about the bridge-window-only default pass `approvals` themselves.
  const bridge = await startTestBridge({ dev: true, ...options, config: { approvals: { localOnly: false }, ...options.config } });
  const { headers } = await handshake(bridge);
  const call: Api['call'] = async (method, path, body, callOptions = {}) => {
    // Every POST/PATCH/DELETE declares JSON, body or not; GETs send no content type.
    const requestHeaders: Record<string, string> = callOptions.ui
      ? { origin: bridge.origin, 'x-osloop-ui-token': bridge.uiToken, 'content-type': 'application/json' }
      : { ...headers };
    if (method === 'GET') delete requestHeaders['content-type'];
    Object.assign(requestHeaders, callOptions.headers);
    const response = await fetch(`${bridge.baseUrl}${path}`, {
      method,
      headers: requestHeaders,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : {} };
  };
  return {
    bridge,
    headers,
    call,
    execute: (command, args = [], extra = {}, executeOptions = {}) =>
      call('POST', '/api/v1/system/commands/execute', { command, args, reason: 'end-to-end test', ...extra }, executeOptions.held ? {} : { headers: { prefer: 'respond-async' } }),
    resolve: (promptId, decision, extra = {}, resolveOptions = {}) =>
      call('POST', `/api/v1/system/permissions/prompts/${promptId}/resolve`, { decision, ...extra }, resolveOptions),
    waitRun: (runId, query = '') => call('GET', `/api/v1/system/commands/runs/${runId}?waitMs=20000${query}`),
    started: (runId) => untilLeftStarting((path) => call('GET', path), runId),
  };
}

/**
 * Polls a run until it is past `starting` (20 s at most). An allowed run spawns asynchronously,
 * and no route long-polls for "running"; the state is asked for, never a time assumed.
 */
export async function untilLeftStarting(get: (path: string) => Promise<Reply>, runId: string): Promise<Reply> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const reply = await get(`/api/v1/system/commands/runs/${runId}`);
    if (reply.body.state !== 'starting' || Date.now() > deadline) return reply;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
