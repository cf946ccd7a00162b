/** The wire protocol this bridge speaks; the web app refuses a bridge with another. */
export const PROTOCOL_VERSION = 'osloop.bridge.v1' as const;
/** The one port the bridge listens on unless configured otherwise. Never a fallback. */
export const DEFAULT_PORT = 47832;
/** Header carrying a web-app session token on authenticated routes. */
export const TOKEN_HEADER = 'x-osloop-bridge-token';
/** Header carrying the local UI's own credential (see issue: the desktop side). */
export const UI_TOKEN_HEADER = 'x-osloop-ui-token';
/** Default timeout of command runs and tool installs, in ms; the bridge enforces no maximum. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 300_000;
/**
 * Body limit of routes whose requests are small (the handshake, locate, installs, directory
 * listings): far below the configured `bodyLimitBytes` that file writes need.
 */
export const SMALL_BODY_LIMIT_BYTES = 64 * 1024;
/** Body limit of the unauthenticated session routes (handshake, refresh): their bodies are a few short strings. */
export const SESSION_BODY_LIMIT_BYTES = 4 * 1024;
/** Default per-stream output buffer of a run. */
export const DEFAULT_OUTPUT_BUFFER_BYTES = 10 * 1024 * 1024;
/** Default time a permission prompt waits for the user. */
export const DEFAULT_PROMPT_TIMEOUT_MS = 60_000;
/** Default lifetime of a session token. */
export const DEFAULT_SESSION_TTL_MS = 60 * 60 * 1000;
/** WebSocket close code sent to a consumer too slow to keep up; it resumes with `since`. */
export const WS_CLOSE_SLOW_CONSUMER = 4008;
/** WebSocket close code sent when the session behind the socket expires. */
export const WS_CLOSE_SESSION_EXPIRED = 4001;
/** WebSocket close code sent when the bridge shuts down. */
export const WS_CLOSE_BRIDGE_STOPPING = 1001;

/** The ten capabilities of the v1 contract, in the seed README's order. */
export const CAPABILITIES = [
  'mcp_proxy',
  'filesystem',
  'awake',
  'system_info',
  'system_tools',
  'tool_install_recipes',
  'health',
  'version',
  'command_permissions',
  'tray_mode',
] as const;
export type Capability = (typeof CAPABILITIES)[number];
