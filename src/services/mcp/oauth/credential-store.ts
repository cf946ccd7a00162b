import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import sjson from 'secure-json-parse';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';

/** What the bridge keeps per HTTP server to talk OAuth to it. Never shown, logged nor put in events. */
const serverCredentialsSchema = z.looseObject({
  /** The server these were obtained for: a server moved to another URL starts over. */
  serverUrl: z.string(),
  /** A pre-registered client's secret, as the web app sent it. */
  clientSecret: z.string().optional(),
  /**
   * The authorization server a pre-registered client (its `clientId` then) was first accepted by:
   * its secret goes to no other. Set from the SDK's stamp after the first successful use.
   */
  boundClient: z.object({ clientId: z.string(), issuer: z.string() }).optional(),
  /** What dynamic registration returned (or a client ID metadata document URL as client_id). */
  clientInformation: z.looseObject({ client_id: z.string() }).optional(),
  tokens: z.looseObject({ access_token: z.string(), token_type: z.string() }).optional(),
});
export type ServerCredentials = z.infer<typeof serverCredentialsSchema>;

const fileSchema = z.strictObject({ version: z.literal(1), servers: z.record(z.string(), serverCredentialsSchema) });

export const CREDENTIALS_FILE_NAME = 'mcp-oauth.json';

/**
 * OAuth client registrations and tokens of the registered HTTP servers, in one owner-only
 * (0600) file of the data directory, written atomically, one change at a time. An unreadable
 * file is set aside in memory as empty: the user consents again, nothing else breaks.
 */
export class OAuthCredentialStore {
  #servers: Record<string, ServerCredentials>;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    servers: Record<string, ServerCredentials>,
  ) {
    this.#servers = servers;
  }

  static async open(file: string): Promise<OAuthCredentialStore> {
    let servers: Record<string, ServerCredentials> = {};
    try {
      const parsed = fileSchema.safeParse(sjson.parse(await readFile(file, 'utf8'), undefined, { protoAction: 'remove', constructorAction: 'remove' }));
      if (parsed.success) servers = parsed.data.servers;
    } catch {
      // Absent or not JSON: start empty; the next save replaces it.
    }
    return new OAuthCredentialStore(file, servers);
  }

  get(serverId: string): ServerCredentials | undefined {
    return Object.hasOwn(this.#servers, serverId) ? this.#servers[serverId] : undefined;
  }

  /** Replaces the server's credentials with what `change` makes of them (undefined removes). */
  update(serverId: string, change: (current: ServerCredentials | undefined) => ServerCredentials | undefined): Promise<void> {
    const run = this.#queue.then(async () => {
      const next = { ...this.#servers };
      const changed = change(this.get(serverId));
      if (changed) next[serverId] = changed;
      else delete next[serverId];
      await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, servers: next }, null, 2)}\n`, { mode: 0o600 });
      this.#servers = next;
    });
    this.#queue = run.catch(() => {});
    return run;
  }
}
