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
  const { inherited, requested } = options;
  const secrets = options.secrets.filter((secret) => secret.length > 0);
  const env: Record<string, string> = {};
  let pathKey: string | undefined;
  // Names, then one value each: on process.env (backed by the C environment, every read a call
  // into Node) that is the cheapest walk, with no [name, value] pair built per variable; this
  // runs once per spawn (docs/performance.md, "Commands under load").
  for (const name of Object.keys(inherited)) {
    const value = inherited[name];
    if (value === undefined || BRIDGE_VARIABLE.test(name)) continue;
    if (secrets.length > 0 && holdsSecret(value, secrets)) continue;
    env[name] = value;
    if (pathKey === undefined && name.length === 4 && name.toUpperCase() === 'PATH') pathKey = name;
  }
  env[pathKey ?? 'PATH'] = options.loginPath;
  // Spread rather than assigned: a requested name such as `__proto__` stays a plain variable.
  return requested ? { ...env, ...requested } : env;
}

function holdsSecret(value: string, secrets: readonly string[]): boolean {
  for (const secret of secrets) if (value.includes(secret)) return true;
  return false;
}
