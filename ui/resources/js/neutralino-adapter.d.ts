/** Types of `neutralino-adapter.js`, for the tests that drive it with a stand-in Neutralino object. */
export declare const TRAY: { STATE: string; SHOW: string; APPROVALS: string; QUIT: string };
export declare const TRAY_ICON: string;

export interface RuntimeView {
  configuredPort: number;
  activePort: number | null;
  bindState: string;
  trayMode: boolean;
  [key: string]: unknown;
}

/** The parts of the `Neutralino` global the adapter uses. */
export interface NeutralinoApi {
  os: {
    setTray(options: { icon: string; menuItems: Array<{ id?: string; text: string; isDisabled?: boolean }> }): Promise<unknown>;
    showNotification(title: string, content: string): Promise<unknown>;
  };
  window: { show(): Promise<unknown>; hide(): Promise<unknown>; focus(): Promise<unknown> };
  app: { exit(code?: number): Promise<unknown> };
  events: { on(event: string, handler: (event: { detail?: unknown }) => void): Promise<unknown> };
}

export interface PromptLike {
  promptId: string;
  title: string;
  reason: string | null;
  /** Provenance: which skill and task of the web app asked. */
  context?: { source: string | null; skillId: string | null; taskId: string | null; runId: string | null } | null;
}

export interface AdapterOptions {
  neutralino: NeutralinoApi;
  feed: { on(pattern: string, fn: (envelope: { data: RuntimeView }) => void): () => void };
  prompts: { list(): PromptLike[]; onNew(fn: (prompt: PromptLike) => void): () => void; onChange(fn: () => void): () => void };
  navigate(page: string): void;
  runtime?: RuntimeView | null;
  fetchRuntime?: (() => Promise<RuntimeView | null>) | null;
  webNotification?: unknown;
  gestures?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> | null;
}

export declare function trayStateText(runtime: RuntimeView | null): string;
export declare function startNeutralinoAdapter(options: AdapterOptions): Promise<{
  show(page?: string): Promise<void>;
  update(runtime: RuntimeView): void;
  readonly trayMode: boolean;
  readonly runtime: RuntimeView | null;
}>;
