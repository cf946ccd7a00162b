import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { StartBridgeOptions } from '../../src/bridge.js';
import { freePort } from '../support/free-port.js';
import { handshake, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { openFrames, type FrameReader } from '../support/ws-frames.js';

/*
 * The compatibility suite plays the OS Loop web app against a real bridge, one test per row of
 * ../shared/web-app-contract.md: the requests it sends, in its shapes, and only the fields it
 * reads from the replies and events. The person at the machine answers prompts in the bridge's
 * own window (the local UI), as they would by default (`approvals.localOnly`).
 */

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** A job event frame as the web app reads it. */
export interface JobFrame {
  seq: number;
  type: 'bridge.job.created' | 'bridge.job.updated';
  data: { runId: string; requestId: string | null; kind: string; status: string; recoveryHint: string | null; summary: { command: string | null; toolId: string | null }; context: unknown };
}

const FINAL_JOB_STATUSES = new Set(['completed', 'failed', 'terminated']);

/** One web-app session: HTTP calls with its token and origin, and its event socket. */
export interface WebAppSession {
  headers: Record<string, string>;
  events: FrameReader;
  /** `POST /api/v1/system/commands/execute` in the app's shape; `async` sends `Prefer: respond-async`. */
  execute(body: Record<string, unknown>, options?: { async?: boolean }): Promise<Reply>;
  call<T = Record<string, unknown>>(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>>;
  /** The job frames received so far, of one run (or all). */
  jobFrames(runId?: string): JobFrame[];
  /** Waits, on events, until the job reached `status` (any final status by default), and returns that frame. */
  jobReaches(runId: string, status?: string): Promise<JobFrame>;
  /** The prompt the next `permission.prompt.created` frame announces, after the frames already seen. */
  nextPromptId(after?: number): Promise<string>;
  close(): void;
}

export interface CompatBridge {
  bridge: TestBridge;
  /** The person at the machine, answering in the bridge window. */
  user: {
    answer(promptId: string, decision: 'allow_once' | 'allow_and_whitelist' | 'reject', extra?: Record<string, unknown>): Promise<Reply>;
    /** The decision history (the audit), newest first, as the bridge window's History page reads it. */
    audit(): Promise<Array<{ decisionId: string; subject: { id: string }; decidedBy: string; context: unknown }>>;
  };
  session(): Promise<WebAppSession>;
  /** Stops this bridge and starts another on the same port (same origin) and home. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

/** A real bridge for the web app, on a port and home that survive `restart()`. */
export async function startCompatBridge(options: StartBridgeOptions = {}): Promise<CompatBridge> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-compat-'));
  const port = await freePort();
  const start = () => startTestBridge({ dev: true, ...options, port, home, keepHome: true, config: { commandPath: 'inherited', ...options.config } });
  const compat: CompatBridge = {
    bridge: await start(),
    user: {
      answer: (promptId, decision, extra = {}) =>
        request(compat.bridge, 'POST', `/api/v1/system/permissions/prompts/${promptId}/resolve`, { decision, ...extra }, {
          origin: compat.bridge.origin,
          'content-type': 'application/json',
          'x-osloop-ui-token': compat.bridge.uiToken,
        }),
      audit: async () => {
        const reply = await request<{ decisions: Array<{ decisionId: string; subject: { id: string }; decidedBy: string; context: unknown }> }>(compat.bridge, 'GET', '/api/v1/ui/decisions', undefined, {
          origin: compat.bridge.origin,
          'x-osloop-ui-token': compat.bridge.uiToken,
        });
        return reply.body.decisions;
      },
    },
    session: () => openSession(compat.bridge),
    async restart() {
      await compat.bridge.close();
      compat.bridge = await start();
    },
    async dispose() {
      await compat.bridge.close();
      await rm(home, { recursive: true, force: true });
    },
  };
  return compat;
}

async function request<T>(bridge: TestBridge, method: string, route: string, body: unknown, headers: Record<string, string>): Promise<Reply<T>> {
  const response = await fetch(`${bridge.baseUrl}${route}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as T };
}

async function openSession(bridge: TestBridge): Promise<WebAppSession> {
  const { headers, token } = await handshake(bridge);
  const events = await openFrames(`${bridge.baseUrl.replace('http', 'ws')}/ws/v1/events?sessionToken=${token}`, bridge.origin);
  await events.until((frames) => frames.some((f) => f.type === 'ready'));
  const jobFrames = (runId?: string) =>
    events.frames.filter((f): f is JobFrame & Record<string, unknown> => (f.type === 'bridge.job.created' || f.type === 'bridge.job.updated') && (!runId || (f.data as JobFrame['data']).runId === runId));
  const session: WebAppSession = {
    headers,
    events,
    execute: (body, options = {}) =>
      request(bridge, 'POST', '/api/v1/system/commands/execute', body, options.async ? { ...headers, prefer: 'respond-async' } : headers),
    call: (method, route, body, callHeaders = headers) => request(bridge, method, route, body, callHeaders),
    jobFrames,
    async jobReaches(runId, status) {
      const reached = (frame: JobFrame) => (status ? frame.data.status === status : FINAL_JOB_STATUSES.has(frame.data.status));
      await events.until(() => jobFrames(runId).some(reached), 30_000);
      return jobFrames(runId).find(reached)!;
    },
    async nextPromptId(after = 0) {
      const created = () => events.frames.slice(after).find((f) => f.type === 'permission.prompt.created');
      await events.until(() => created() !== undefined, 30_000);
      return String((created()!.data as { promptId: string }).promptId);
    },
    close: () => events.socket.close(),
  };
  return session;
}
