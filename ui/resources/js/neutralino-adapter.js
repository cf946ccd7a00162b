/**
 * The desktop side of the pages, used only inside the Neutralino window: the tray ("Show Status",
 * "Approvals", "Quit"), hide-to-tray on close when tray mode is on, an OS notification for each new
 * permission prompt, and the tray reflecting `bridge.runtime.updated`. It touches nothing but the
 * `neutralino` object it is given (the real `Neutralino` global, or a stand-in in tests).
 */
import { provenanceText } from './run-text.js';

export const TRAY = { STATE: 'bridge-state', SHOW: 'show-status', APPROVALS: 'approvals', QUIT: 'quit' };
/** Neutralino resolves the tray icon against the app root (`--path`, i.e. `ui/`), not `documentRoot`. */
export const TRAY_ICON = '/resources/icons/tray.png';
/** Events that count as a user gesture: WebKit refuses `Notification.requestPermission()` outside one. */
const GESTURES = ['click', 'keydown'];

/** The first, disabled tray line: where the bridge stands. */
export function trayStateText(runtime) {
  if (!runtime) return 'Bridge: starting…';
  if (runtime.bindState === 'listening') return `Bridge: listening on 127.0.0.1:${runtime.activePort}`;
  if (runtime.bindState === 'bind_failed') return `Bridge: port ${runtime.configuredPort} could not be bound`;
  return `Bridge: ${runtime.bindState}`;
}

/**
 * Starts the adapter. `feed` and `prompts` are the page's event feed and prompt store; `navigate`
 * shows a page; `runtime` is the bridge's state when the window opens (from HTTP, or from the
 * process that started the window when HTTP is down); `fetchRuntime` reads it again once the
 * event feed is (re)connected; `webNotification` is the webview's `Notification` (clickable) when it
 * has one; `gestures` is where the user's first click or key press is awaited to ask for it.
 */
export async function startNeutralinoAdapter({
  neutralino,
  feed,
  prompts,
  navigate,
  runtime = null,
  fetchRuntime = null,
  webNotification = globalThis.Notification,
  gestures = globalThis.document,
}) {
  const state = { runtime, trayMode: runtime?.trayMode ?? false, pending: prompts.list().length };

  const setTray = () =>
    neutralino.os.setTray({
      icon: TRAY_ICON,
      menuItems: [
        { id: TRAY.STATE, text: trayStateText(state.runtime), isDisabled: true },
        { text: '-' },
        { id: TRAY.SHOW, text: 'Show Status' },
        { id: TRAY.APPROVALS, text: state.pending ? `Approvals (${state.pending} pending)` : 'Approvals' },
        { text: '-' },
        { id: TRAY.QUIT, text: 'Quit' },
      ],
    });

  const show = async (page = 'status') => {
    await neutralino.window.show();
    await neutralino.window.focus();
    navigate(page);
  };

  const notify = async (prompt) => {
    const title = 'Permission requested';
    // Which skill and task asked, so the user can tell one agent's request from another's.
    const provenance = provenanceText(prompt.context);
    const body = `${prompt.title}${prompt.reason ? ` — ${prompt.reason}` : ''}${provenance ? `\nFor ${provenance}` : ''}`;
    if (webNotification && webNotification.permission === 'granted') {
      // The webview's notification can be clicked; Neutralino's own cannot.
      const notification = new webNotification(title, { body, tag: prompt.promptId });
      notification.onclick = () => void show('approvals');
      return;
    }
    await neutralino.os.showNotification(title, `${body}\nOpen Approvals from the tray icon.`);
  };

  await setTray();
  await neutralino.events.on('trayMenuItemClicked', (event) => {
    const id = event?.detail?.id;
    if (id === TRAY.SHOW) void show('status');
    else if (id === TRAY.APPROVALS) void show('approvals');
    else if (id === TRAY.QUIT) void neutralino.app.exit();
  });
  await neutralino.events.on('windowClose', () => {
    if (state.trayMode) void neutralino.window.hide();
    else void neutralino.app.exit();
  });
  const update = (data) => {
    state.runtime = data;
    state.trayMode = data.trayMode ?? state.trayMode;
    void setTray();
  };
  feed.on('bridge.runtime.updated', ({ data }) => update(data));
  // After a retry the listener comes up while no socket is open: read the state once the feed is back.
  if (fetchRuntime) {
    feed.on('@ready', () => void fetchRuntime().then((data) => data && update(data), () => {}));
  }
  prompts.onNew((prompt) => void notify(prompt));
  prompts.onChange(() => {
    const pending = prompts.list().length;
    if (pending === state.pending) return;
    state.pending = pending;
    void setTray();
  });
  askForNotificationsOnGesture(webNotification, gestures);

  return {
    show,
    /** A bridge state learned outside HTTP/WS (the control channel, through the CLI). */
    update,
    get trayMode() {
      return state.trayMode;
    },
    get runtime() {
      return state.runtime;
    },
  };
}

/**
 * Asks for the webview's notification permission on the user's first click or key press in the
 * window: asked at start-up, WebKit refuses it (no user gesture) and every prompt would fall back to
 * Neutralino's notification, which cannot be clicked. That fallback stays for a refusal.
 */
function askForNotificationsOnGesture(webNotification, gestures) {
  if (webNotification?.permission !== 'default' || typeof webNotification.requestPermission !== 'function' || !gestures) return;
  let asked = false;
  const ask = () => {
    for (const type of GESTURES) gestures.removeEventListener(type, ask, { capture: true });
    if (asked || webNotification.permission !== 'default') return;
    asked = true;
    // Called synchronously inside the event handler: that is what WebKit counts as the gesture.
    void Promise.resolve(webNotification.requestPermission()).catch(() => {});
  };
  for (const type of GESTURES) gestures.addEventListener(type, ask, { capture: true });
}
