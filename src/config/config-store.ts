import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import sjson from 'secure-json-parse';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { BridgeError } from '../contract/errors.js';
import { configSchema, type BridgeConfig, type BridgeConfigInput } from './config-schema.js';

/** Thrown when the config file exists but cannot be used; the file is left untouched. */
export class CorruptConfigError extends Error {
  constructor(readonly file: string, reason: string, options?: { cause?: unknown }) {
    super(`The config file ${file} is not valid and was left untouched: ${reason}. Fix or remove it, then start again.`, options);
    this.name = 'CorruptConfigError';
  }
}

/**
 * Loads the config file (absent → defaults) and saves changes atomically: a crash mid-write
 * leaves either the old file or the new one, never a torn one.
 */
export class ConfigStore {
  #current: BridgeConfig;
  #writing: Promise<void> = Promise.resolve();

  private constructor(readonly file: string, current: BridgeConfig) {
    this.#current = current;
  }

  static async open(file: string): Promise<ConfigStore> {
    return new ConfigStore(file, await readConfigFile(file));
  }

  /** An in-memory store for tests and `--no-persist` runs; `save` still writes to `file`. */
  static fromValue(file: string, value: BridgeConfigInput = {}): ConfigStore {
    return new ConfigStore(file, configSchema.parse(value));
  }

  get current(): BridgeConfig {
    return this.#current;
  }

  /** Validates `patch` merged over the current config and persists it; bad input changes nothing. */
  async update(patch: Partial<BridgeConfigInput>): Promise<BridgeConfig> {
    const merged = configSchema.safeParse({ ...this.#current, ...patch });
    if (!merged.success) {
      throw new BridgeError('invalid_request', `Invalid settings: ${z.prettifyError(merged.error)}`, {
        details: { issues: merged.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
      });
    }
    this.#current = merged.data;
    // Serialise writes so two updates can never interleave on disk.
    const write = this.#writing.then(() => persist(this.file, merged.data));
    this.#writing = write.catch(() => {});
    await write;
    return merged.data;
  }
}

async function readConfigFile(file: string): Promise<BridgeConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return configSchema.parse({});
    throw new CorruptConfigError(file, (error as Error).message, { cause: error });
  }
  let raw: unknown;
  try {
    raw = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    throw new CorruptConfigError(file, `not JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new CorruptConfigError(file, z.prettifyError(parsed.error).replace(/\n/g, '; '));
  return parsed.data;
}

async function persist(file: string, value: BridgeConfig): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}
