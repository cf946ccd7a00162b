import { isDeepStrictEqual } from 'node:util';

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
  // No prototype while filled: an inherited variable named like an object key (`__proto__`)
  // stays a variable. The object returned is a plain one (spread copies it as a variable too).
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
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
  return requested ? { ...env, ...requested } : { ...env };
}

/** What a child's environment is built from, besides the variables inherited. */
export type ChildEnvRequest = Omit<ChildEnvOptions, 'inherited'>;

/**
 * The environments of one bridge's children, built from the environment the bridge started with.
 *
 * Why a copy: every read of `process.env` is a call into Node's C environment, and a spawn read
 * every variable. On this machine's 67 variables `buildChildEnv(process.env)` took ~55 µs per
 * spawn against ~9 µs from a plain object, about 5 % of a whitelisted run's CPU in the bridge
 * (docs/performance.md, round 12). The copy changes nothing a child sees: the bridge never writes
 * its own environment and nothing outside a process can, so the copy is what `process.env` would
 * answer (the inherited PATH was already read once, at the first run). The filtered variables are
 * kept for the last login PATH and secrets asked for, and each child gets its own object.
 */
export class ChildEnvironments {
  readonly #inherited: Readonly<Record<string, string>>;
  #filtered: { loginPath: string; secrets: readonly string[]; env: Readonly<Record<string, string>> } | undefined;

  constructor(inherited: NodeJS.ProcessEnv) {
    // No prototype: a variable named like an object key (`__proto__`) stays a variable.
    const copy: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const name of Object.keys(inherited)) {
      const value = inherited[name];
      if (value !== undefined) copy[name] = value;
    }
    this.#inherited = copy;
  }

  build(request: ChildEnvRequest): Record<string, string> {
    const { loginPath, secrets, requested } = request;
    const kept = this.#filtered;
    const filtered =
      kept && kept.loginPath === loginPath && isDeepStrictEqual(kept.secrets, secrets)
        ? kept.env
        : (this.#filtered = { loginPath, secrets: [...secrets], env: buildChildEnv({ inherited: this.#inherited, loginPath, secrets }) }).env;
    // Spread rather than assigned, as in buildChildEnv: a requested `__proto__` stays a variable.
    return requested ? { ...filtered, ...requested } : { ...filtered };
  }
}

function holdsSecret(value: string, secrets: readonly string[]): boolean {
  for (const secret of secrets) if (value.includes(secret)) return true;
  return false;
}
