import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { InspectorFrame } from '../../../src/http/ws/inspector-stream.js';
import { sendControlRequest } from '../../../src/services/ui/control-client.js';
import { controlSocketPath } from '../../../src/services/ui/control-path.js';
import { handshake, startTestBridge, type TestBridge } from '../../support/test-bridge.js';

/** A socket that collects frames and resolves `next(predicate)` as soon as one matches. */
function connect(bridge: TestBridge, query: string, headers: Record<string, string> = {}) {
  const frames: InspectorFrame[] = [];
  const waiters: Array<{ test: (f: InspectorFrame) => boolean; resolve: (f: InspectorFrame) => void }> = [];
  const ws = new WebSocket(`ws://127.0.0.1:${bridge.port()}/ws/v1/ui/inspector?${query}`, { headers: { origin: bridge.origin, ...headers } });
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as InspectorFrame;
    frames.push(frame);
    for (const w of waiters.splice(0)) {
      if (w.test(frame)) w.resolve(frame);
      else waiters.push(w);
    }
  });
  return {
    ws,
    frames,
    opened: new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (req, res) => {
        req.destroy();
        res.destroy();
        reject(new Error(`HTTP ${res.statusCode}`));
      });
    }),
    next(test: (f: InspectorFrame) => boolean): Promise<InspectorFrame> {
      const seen = frames.find(test);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
  };
}

describe('inspector stream (/ws/v1/ui/inspector)', () => {
  let bridge: TestBridge;
  beforeEach(async () => {
    bridge = await startTestBridge({ config: { sessionTtlMs: 1000 } });
  });
  afterEach(() => bridge.close());

  it('starts with a snapshot of every live actor, then streams transitions', async () => {
    const socket = connect(bridge, `uiToken=${bridge.uiToken}`);
    const snapshot = await socket.next((f) => f.type === 'snapshot');
    const kinds = snapshot.type === 'snapshot' ? snapshot.actors.map((a) => a.kind) : [];
    expect(kinds[0]).toBe('bridge');
    expect(kinds).not.toContain('session');
    const { sessionId } = await handshake(bridge);
    const expired = await socket.next((f) => f.type === 'transition' && f.transition.actorId === sessionId && f.transition.state === 'expired');
    expect(expired).toMatchObject({ type: 'transition', transition: { kind: 'session', parentId: 'bridge', status: 'done' } });
    expect(JSON.stringify(socket.frames)).not.toContain(bridge.uiToken);
    socket.ws.close();
  });

  it('filters by kind', async () => {
    const socket = connect(bridge, `uiToken=${bridge.uiToken}&kinds=session`);
    const snapshot = await socket.next((f) => f.type === 'snapshot');
    expect(snapshot.type === 'snapshot' && snapshot.actors).toEqual([]);
    await handshake(bridge);
    await socket.next((f) => f.type === 'transition' && f.transition.state === 'expired');
    expect(socket.frames.filter((f) => f.type === 'transition').every((f) => f.type === 'transition' && f.transition.kind === 'session')).toBe(true);
    socket.ws.close();
  });

  it('is refused to a web-app session before the upgrade', async () => {
    const session = await handshake(bridge);
    const socket = connect(bridge, `sessionToken=${session.token}`);
    await expect(socket.opened).rejects.toThrow('HTTP 403');
    const withUiRouteToken = connect(bridge, '', { 'x-osloop-bridge-token': session.token });
    await expect(withUiRouteToken.opened).rejects.toThrow('HTTP 403');
  });

  it('lets osloop://focus bring a connected desktop window forward', async () => {
    const desktop = connect(bridge, `uiToken=${bridge.uiToken}&desktop=1`);
    await desktop.opened;
    const reply = await sendControlRequest(controlSocketPath(bridge.paths), { token: bridge.uiToken, command: 'show', page: 'approvals' });
    expect(reply).toMatchObject({ ok: true, shown: true });
    expect(await desktop.next((f) => f.type === 'desktop')).toEqual({ type: 'desktop', action: 'show', page: 'approvals' });
    desktop.ws.close();
  });
});
