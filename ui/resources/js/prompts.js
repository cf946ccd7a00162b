import { get } from './api.js';

/**
 * Pending permission prompts, app-wide: seeded from `GET /api/v1/ui/prompts` where the bridge
 * offers it, and kept current by `permission.prompt.*` events (replayed, then live). `onNew` fires
 * for prompts created while the page is open: the desktop shell notifies the user of those.
 */
export class PromptStore {
  constructor(feed) {
    this.pending = new Map();
    this.listeners = new Set();
    this.newListeners = new Set();
    this.listAvailable = null;
    feed.on('permission.prompt.created', ({ data }, { replayed }) => {
      if (data.state && data.state !== 'pending') return;
      if (Date.parse(data.expiresAt) <= Date.now()) return;
      const known = this.pending.has(data.promptId);
      this.pending.set(data.promptId, data);
      this.changed();
      if (!replayed && !known) for (const fn of this.newListeners) fn(data);
    });
    for (const type of ['permission.prompt.resolved', 'permission.prompt.expired']) {
      feed.on(type, ({ data }) => {
        if (this.pending.delete(data.promptId)) this.changed();
      });
    }
    this.refresh();
  }

  async refresh() {
    try {
      const { prompts } = await get('/api/v1/ui/prompts');
      this.listAvailable = true;
      for (const prompt of prompts ?? []) if (!prompt.state || prompt.state === 'pending') this.pending.set(prompt.promptId, prompt);
      this.changed();
    } catch {
      // Not offered by this bridge: the replayed events are the only source.
      this.listAvailable = false;
    }
  }

  /** Drops prompts whose time ran out (the expiry event may come a moment later). */
  list() {
    const now = Date.now();
    return [...this.pending.values()].filter((p) => Date.parse(p.expiresAt) > now).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  changed() {
    for (const fn of this.listeners) fn();
  }

  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onNew(fn) {
    this.newListeners.add(fn);
    return () => this.newListeners.delete(fn);
  }
}
