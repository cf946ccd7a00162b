import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import sjson from 'secure-json-parse';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { serverRecordSchema, type ServerRecord } from './server-record.js';

/** The registry file: a version, so a later format can be told apart, and the servers. */
const registryFileSchema = z.strictObject({
  version: z.literal(1),
  servers: z.array(serverRecordSchema),
});

export const REGISTRY_FILE_NAME = 'mcp-servers.json';

/** The registry file exists but cannot be used. It is left untouched until the user fixes it. */
export class CorruptRegistryError extends Error {
  override readonly name = 'CorruptRegistryError';
  constructor(
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`The MCP server registry ${file} is not valid and was left untouched: ${reason}. Fix or remove it, then restart the bridge.`, options);
  }
}

/**
 * The registered MCP servers, persisted as one JSON file in the data directory. Every change is
 * written atomically (temp file + rename) before it becomes visible, and changes are applied one
 * at a time, so a crash or a failed write never leaves a torn file nor a registry that differs
 * from the disk.
 */
export class McpRegistryStore {
  #servers: Map<string, ServerRecord>;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    servers: ServerRecord[],
  ) {
    this.#servers = new Map(servers.map((server) => [server.serverId, server]));
  }

  /** Loads the file (absent → empty); throws `CorruptRegistryError` for anything unusable. */
  static async open(file: string): Promise<McpRegistryStore> {
    return new McpRegistryStore(file, await readRegistry(file));
  }

  list(): ServerRecord[] {
    return [...this.#servers.values()];
  }

  get(serverId: string): ServerRecord | undefined {
    return this.#servers.get(serverId);
  }

  /**
   * Applies `change` to a copy of the registry, persists the copy, then adopts it. `change` may
   * throw (a conflict found under the lock) and then nothing changes.
   */
  update<T>(change: (servers: Map<string, ServerRecord>) => T): Promise<T> {
    const run = this.#queue.then(async () => {
      const next = new Map(this.#servers);
      const result = change(next);
      await writeRegistry(this.file, [...next.values()]);
      this.#servers = next;
      return result;
    });
    this.#queue = run.catch(() => {});
    return run;
  }
}

async function readRegistry(file: string): Promise<ServerRecord[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CorruptRegistryError(file, (error as Error).message, { cause: error });
  }
  let raw: unknown;
  try {
    raw = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    throw new CorruptRegistryError(file, `not JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = registryFileSchema.safeParse(raw);
  if (!parsed.success) throw new CorruptRegistryError(file, z.prettifyError(parsed.error).replace(/\n/g, '; '));
  const ids = new Set<string>();
  for (const server of parsed.data.servers) {
    if (ids.has(server.serverId)) throw new CorruptRegistryError(file, `server ${server.serverId} is listed twice`);
    ids.add(server.serverId);
  }
  return parsed.data.servers;
}

async function writeRegistry(file: string, servers: ServerRecord[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // Owner-only: templates may hold literal header or environment values.
  await writeFileAtomic(file, `${JSON.stringify({ version: 1, servers }, null, 2)}\n`, { mode: 0o600 });
}
