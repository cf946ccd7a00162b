/** Variables of the bridge's own (its config, its tokens) are never handed to a child. */
const BRIDGE_VARIABLE = /^OSLOOP_/i;

export interface ChildEnvOptions {
  /** The bridge's environment. */
  inherited: NodeJS.ProcessEnv;
  /** The login-shell PATH commands are resolved on. */
  loginPath: string;
  /** What the request asked for; wins over everything inherited. */
  requested?: Readonly<Record<string, string>>;
  /** Values that must never reach a child whatever variable holds them (the UI token…). */
  secrets: readonly string[];
}

/**
 * The complete environment of a child process: the bridge's own, minus its `OSLOOP_*` variables
 * and any variable holding one of its secrets, with the login-shell PATH, then the request's
 * variables on top (the web app may set PATH itself).
 */
export function buildChildEnv(options: ChildEnvOptions): Record<string, string> {
  const secrets = options.secrets.filter((secret) => secret.length > 0);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.inherited)) {
    if (value === undefined || BRIDGE_VARIABLE.test(name)) continue;
    if (secrets.some((secret) => value.includes(secret))) continue;
    env[name] = value;
  }
  const pathKey = Object.keys(env).find((name) => name.toUpperCase() === 'PATH') ?? 'PATH';
  env[pathKey] = options.loginPath;
  return { ...env, ...options.requested };
}
