import { socketUrl } from './api.js';

/** `*` matches one dotted token, `>` the rest, as the bridge's `types=` filter. */
export function typeMatches(pattern, type) {
  if (pattern === type) return true;
  const p = pattern.split('.');
  const t = type.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return i < t.length;
    if (i >= t.length || (p[i] !== '*' && p[i] !== t[i])) return false;
  }
  return p.length === t.length;
}

/**
 * A WebSocket that reconnects with backoff. `params()` is read at each connect, so the events feed
 * resumes with `since=<last seq>` and loses nothing across a bridge restart or a network blip.
 */
export class ReconnectingSocket {
  constructor(path, { params = () => ({}), onFrame, onState = () => {} }) {
    this.path = path;
    this.params = params;
    this.onFrame = onFrame;
    this.onState = onState;
    this.delay = 500;
    this.stopped = false;
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    const ws = new WebSocket(socketUrl(this.path, this.params()));
    this.ws = ws;
    ws.onopen = () => {
      this.delay = 500;
      this.onState('open');
    };
    ws.onmessage = (message) => {
      try {
        this.onFrame(JSON.parse(message.data));
      } catch (error) {
        console.error('bad frame', error);
      }
    };
    ws.onclose = () => {
      if (this.stopped) return;
      this.onState('closed');
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10_000);
    };
  }

  close() {
    this.stopped = true;
    this.ws?.close();
  }
}

/**
 * The app-wide feed of contract events (`/ws/v1/events`). It starts with `since=0`, so the
 * buffered history (prompts created before the page opened, recent output) is replayed first;
 * listeners are told whether an event is replayed or live.
 */
export class EventFeed {
  constructor({ onState = () => {} } = {}) {
    this.lastSeq = 0;
    this.live = false;
    this.listeners = new Set();
    this.socket = new ReconnectingSocket('/ws/v1/events', {
      params: () => ({ since: this.lastSeq }),
      onState: (state) => {
        if (state !== 'open') this.live = false;
        onState(state);
      },
      onFrame: (frame) => this.dispatch(frame),
    });
  }

  dispatch(frame) {
    if (frame.type === 'ready') {
      this.live = true;
      for (const l of this.listeners) if (l.pattern === '@ready') l.fn(frame);
      return;
    }
    if (frame.type === 'replay_gap') {
      for (const l of this.listeners) if (l.pattern === '@gap') l.fn(frame);
      return;
    }
    if (typeof frame.seq !== 'number' || frame.seq <= this.lastSeq) return;
    this.lastSeq = frame.seq;
    for (const l of this.listeners) {
      if (!l.pattern.startsWith('@') && typeMatches(l.pattern, frame.type)) {
        try {
          l.fn(frame, { replayed: !this.live });
        } catch (error) {
          console.error(error);
        }
      }
    }
  }

  /** Calls `fn(envelope, { replayed })` for each event matching `pattern`; returns the unsubscribe. */
  on(pattern, fn) {
    const listener = { pattern, fn };
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
