import { describe, expect, it } from 'vitest';
import { judgeSocketRequests } from './workloads/fuzz.js';
import type { AnswerFrame, WsCase, WsOutcome } from './workloads/fuzz-wire.js';

const script = (answers: number, oversized = false): WsCase => ({
  path: '/ws/v1/events',
  query: '?sessionToken=t&events=none',
  headers: {},
  perMessageDeflate: false,
  frames: [
    { kind: 'text', data: JSON.stringify({ type: 'request', id: 'a', route: 'mcp.call', body: {} }) },
    { kind: 'text', data: JSON.stringify({ type: 'request', id: 'b', route: 'nope' }) },
  ],
  answers,
  oversized,
});
const served = (answers: AnswerFrame[], serverClose: { code: number; reason: string } | null = null): WsOutcome => ({ kind: 'served', greeted: true, serverClose, answers });
const notFound: AnswerFrame = { type: 'reply', id: 'a', status: 404, body: { error: { code: 'not_found', message: 'no such server' } } };
const unknownRoute: AnswerFrame = { type: 'reply', id: 'b', status: 404, body: { error: { code: 'not_found', message: 'no such route' } } };

describe('the fuzz judge of request frames', () => {
  it('passes a script whose every frame got a structured answer', () => {
    expect(judgeSocketRequests(script(2), served([notFound, unknownRoute]))).toMatchObject({ ok: true, status: 404 });
  });

  it('fails a frame left unanswered, unless a frame over the limit closed the socket with 1009', () => {
    expect(judgeSocketRequests(script(2), served([notFound]))).toMatchObject({ ok: false, kind: 'broken' });
    expect(judgeSocketRequests(script(2), served([notFound], { code: 1000, reason: '' }))).toMatchObject({ ok: false, kind: 'broken' });
    expect(judgeSocketRequests(script(2, true), served([notFound], { code: 1009, reason: 'too big' }))).toMatchObject({ ok: true });
  });

  it('fails a 5xx reply, an unregistered code and a code answered with another status', () => {
    expect(judgeSocketRequests(script(1), served([{ type: 'reply', id: 'a', status: 500, body: { error: { code: 'internal', message: 'x' } } }]))).toMatchObject({ ok: false, kind: 'server_error' });
    expect(judgeSocketRequests(script(1), served([{ type: 'reply', id: 'a', status: 400, body: { error: { code: 'made_up', message: 'x' } } }]))).toMatchObject({ ok: false, kind: 'unstructured' });
    expect(judgeSocketRequests(script(1), served([{ type: 'reply', id: 'a', status: 409, body: { error: { code: 'not_found', message: 'x' } } }]))).toMatchObject({ ok: false, kind: 'unstructured' });
  });

  it('fails a reply that names an id the script never sent', () => {
    expect(judgeSocketRequests(script(1), served([{ ...notFound, id: 'someone-else' }]))).toMatchObject({ ok: false, kind: 'broken' });
    expect(judgeSocketRequests(script(1), served([{ ...notFound, id: null }]))).toMatchObject({ ok: true });
  });

  it('fails an unreadable frame whose result carries no registered error', () => {
    expect(judgeSocketRequests(script(1), served([{ type: 'prompt.resolve.result', id: null, error: { code: 'invalid_request', message: 'x' } }]))).toMatchObject({ ok: true, status: 400 });
    expect(judgeSocketRequests(script(1), served([{ type: 'prompt.resolve.result', id: null, error: null }]))).toMatchObject({ ok: false, kind: 'unstructured' });
  });
});
