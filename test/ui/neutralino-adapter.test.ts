import { describe, expect, it } from 'vitest';
import {
  TRAY,
  startNeutralinoAdapter,
  type NeutralinoApi,
  type PromptLike,
  type RuntimeView,
} from '../../ui/resources/js/neutralino-adapter.js';

type Handler = (event: { detail?: unknown }) => void;

/** A stand-in of the `Neutralino` global that records every native call. */
function standIn() {
  const calls: Array<[string, ...unknown[]]> = [];
  const handlers = new Map<string, Handler>();
  const trays: Array<Array<{ id?: string; text: string; isDisabled?: boolean }>> = [];
  const api: NeutralinoApi = {
    os: {
      setTray: async (options) => void trays.push(options.menuItems),
      showNotification: async (title, content) => void calls.push(['os.showNotification', title, content]),
    },
    window: {
      show: async () => void calls.push(['window.show']),
      hide: async () => void calls.push(['window.hide']),
      focus: async () => void calls.push(['window.focus']),
    },
    app: { exit: async () => void calls.push(['app.exit']) },
    events: { on: async (event, handler) => void handlers.set(event, handler) },
  };
  const fire = (event: string, detail?: unknown) => handlers.get(event)!({ detail });
  return { api, calls, trays, fire, lastTray: () => trays.at(-1)! };
}

/** The page's event feed and prompt store, reduced to what the adapter uses. */
function pageStandIns() {
  const runtimeListeners: Array<(e: { data: RuntimeView }) => void> = [];
  const newListeners: Array<(p: PromptLike) => void> = [];
  const changeListeners: Array<() => void> = [];
  let pending: PromptLike[] = [];
  const pages: string[] = [];
  return {
    pages,
    feed: { on: (_pattern: string, fn: (e: { data: RuntimeView }) => void) => (runtimeListeners.push(fn), () => {}) },
    prompts: {
      list: () => pending,
      onNew: (fn: (p: PromptLike) => void) => (newListeners.push(fn), () => {}),
      onChange: (fn: () => void) => (changeListeners.push(fn), () => {}),
    },
    navigate: (page: string) => void pages.push(page),
    runtimeUpdated: (data: RuntimeView) => runtimeListeners.forEach((fn) => fn({ data })),
    promptCreated: (prompt: PromptLike) => {
      pending = [...pending, prompt];
      newListeners.forEach((fn) => fn(prompt));
      changeListeners.forEach((fn) => fn());
    },
  };
}

const listening: RuntimeView = { configuredPort: 47832, activePort: 47832, bindState: 'listening', trayMode: false };
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Neutralino adapter (against a stand-in of the Neutralino API)', () => {
  it('sets the tray with Show Status and Quit, and the bridge state', async () => {
    const n = standIn();
    const page = pageStandIns();
    await startNeutralinoAdapter({ neutralino: n.api, ...page, runtime: listening, webNotification: undefined });
    const items = n.lastTray();
    expect(items.map((i) => i.text)).toEqual(expect.arrayContaining(['Show Status', 'Quit']));
    expect(items[0]).toMatchObject({ id: TRAY.STATE, text: 'Bridge: listening on 127.0.0.1:47832', isDisabled: true });
  });

  it('shows and focuses the window on the status page from "Show Status", and quits from "Quit"', async () => {
    const n = standIn();
    const page = pageStandIns();
    await startNeutralinoAdapter({ neutralino: n.api, ...page, runtime: listening, webNotification: undefined });
    n.fire('trayMenuItemClicked', { id: TRAY.SHOW });
    await settle();
    expect(n.calls).toEqual([['window.show'], ['window.focus']]);
    expect(page.pages).toEqual(['status']);
    n.fire('trayMenuItemClicked', { id: TRAY.QUIT });
    expect(n.calls.at(-1)).toEqual(['app.exit']);
  });

  it('quits on window close while tray mode is off, and hides to the tray once it is on', async () => {
    const n = standIn();
    const page = pageStandIns();
    const adapter = await startNeutralinoAdapter({ neutralino: n.api, ...page, runtime: listening, webNotification: undefined });
    n.fire('windowClose');
    expect(n.calls).toEqual([['app.exit']]);
    page.runtimeUpdated({ ...listening, trayMode: true });
    expect(adapter.trayMode).toBe(true);
    n.fire('windowClose');
    expect(n.calls.at(-1)).toEqual(['window.hide']);
  });

  it('reflects bridge.runtime.updated in the tray', async () => {
    const n = standIn();
    const page = pageStandIns();
    await startNeutralinoAdapter({ neutralino: n.api, ...page, runtime: listening, webNotification: undefined });
    page.runtimeUpdated({ configuredPort: 47832, activePort: null, bindState: 'bind_failed', trayMode: false });
    expect(n.lastTray()[0]!.text).toBe('Bridge: port 47832 could not be bound');
  });

  it('notifies through the OS for each new prompt, and counts them in the tray', async () => {
    const n = standIn();
    const page = pageStandIns();
    await startNeutralinoAdapter({ neutralino: n.api, ...page, runtime: listening, webNotification: undefined });
    page.promptCreated({ promptId: 'p1', title: 'Run npm test', reason: 'to check the build' });
    await settle();
    expect(n.calls).toContainEqual(['os.showNotification', 'Permission requested', expect.stringContaining('Run npm test — to check the build')]);
    expect(n.lastTray().find((i) => i.id === TRAY.APPROVALS)!.text).toBe('Approvals (1 pending)');
    n.fire('trayMenuItemClicked', { id: TRAY.APPROVALS });
    await settle();
    expect(page.pages).toEqual(['approvals']);
  });

  it('asks for the webview\'s notification permission on the first click, not at start-up (WebKit refuses it outside a gesture)', async () => {
    const n = standIn();
    const page = pageStandIns();
    const asked: string[] = [];
    const WebNotification = { permission: 'default', requestPermission: async () => void asked.push('asked') };
    const gestures = new EventTarget();
    await startNeutralinoAdapter({ neutralino: n.api, ...page, runtime: listening, webNotification: WebNotification, gestures });
    expect(asked).toEqual([]);
    gestures.dispatchEvent(new Event('click'));
    gestures.dispatchEvent(new Event('keydown'));
    expect(asked).toEqual(['asked']);
  });

  it('takes a bridge state learned outside HTTP/WS into the tray', async () => {
    const n = standIn();
    const page = pageStandIns();
    const adapter = await startNeutralinoAdapter({ neutralino: n.api, ...page, runtime: null, webNotification: undefined });
    expect(n.lastTray()[0]!.text).toBe('Bridge: starting…');
    adapter.update({ configuredPort: 47832, activePort: null, bindState: 'bind_failed', trayMode: false });
    expect(n.lastTray()[0]!.text).toBe('Bridge: port 47832 could not be bound');
  });

  it('says in the notification which skill and task asked (the prompt\'s provenance), drawn visibly', async () => {
    const n = standIn();
    const page = pageStandIns();
    const shown: Array<{ title: string; options: { body: string } }> = [];
    class FakeNotification {
      static permission = 'granted';
      constructor(readonly title: string, readonly options: { body: string }) {
        shown.push(this);
      }
    }
    await startNeutralinoAdapter({ neutralino: n.api, ...page, runtime: listening, webNotification: undefined });
    page.promptCreated({ promptId: 'p3', title: 'Run git status', reason: 'check the tree', context: { source: 'skill', skillId: 'code-review', taskId: 'task-42', runId: 'r1' } });
    await settle();
    expect(n.calls).toContainEqual(['os.showNotification', 'Permission requested', expect.stringContaining('Run git status — check the tree\nFor skill code-review, task task-42')]);

    const web = standIn();
    const webPage = pageStandIns();
    await startNeutralinoAdapter({ neutralino: web.api, ...webPage, runtime: listening, webNotification: FakeNotification });
    webPage.promptCreated({ promptId: 'p4', title: 'Install jq', reason: null, context: { source: 'scheduler', skillId: null, taskId: 'nightly\u202e', runId: null } });
    await settle();
    // A bidi control in the web app's text is an escape, never a reordering.
    expect(shown[0]!.options.body).toBe('Install jq\nFor scheduler, task nightly\u27eaU+202E\u27eb');
  });

  it('uses a clickable webview notification when allowed: a click opens the approvals page', async () => {
    const n = standIn();
    const page = pageStandIns();
    const shown: Array<{ title: string; options: unknown; onclick?: () => void }> = [];
    class FakeNotification {
      static permission = 'granted';
      onclick?: () => void;
      constructor(readonly title: string, readonly options: unknown) {
        shown.push(this);
      }
    }
    await startNeutralinoAdapter({ neutralino: n.api, ...page, runtime: listening, webNotification: FakeNotification });
    page.promptCreated({ promptId: 'p2', title: 'Install jq', reason: null });
    await settle();
    expect(shown).toHaveLength(1);
    expect(n.calls.some(([name]) => name === 'os.showNotification')).toBe(false);
    shown[0]!.onclick!();
    await settle();
    expect(n.calls).toEqual([['window.show'], ['window.focus']]);
    expect(page.pages).toEqual(['approvals']);
  });
});
