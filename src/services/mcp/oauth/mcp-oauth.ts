import path from 'node:path';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { BridgeError } from '../../../contract/errors.js';
import type { Principal } from '../../../contract/principal.js';
import type { McpTransportSpec } from '../../../mcp/connector.js';
import { oauthSettings, type ServerRecord } from '../server-record.js';
import { createOAuthProvider } from './bridge-oauth-provider.js';
import { ConsentBroker } from './consent-broker.js';
import { CREDENTIALS_FILE_NAME, OAuthCredentialStore } from './credential-store.js';

/** The path of the bridge's loopback OAuth callback route. */
export const OAUTH_CALLBACK_PATH = '/api/v1/mcp/oauth/callback';

export interface McpOAuthDeps {
  dataDir: string;
  record: (serverId: string) => ServerRecord | undefined;
  /** The port the bridge listens on now: the redirect must come back to this very bridge. */
  port: () => number;
  /** Opens a URL in the user's default browser. */
  openUrl: (url: string) => Promise<void>;
}

/**
 * OAuth 2.1 to the registered HTTP servers: one SDK provider per connection, the consents
 * waiting for the user, the callback, and the owner-only credential file. Consent never opens
 * a browser by itself: the local UI asks for it (`authorize`), and a web-app session is given
 * the URL to open in its own window.
 */
export class McpOAuth {
  readonly consents = new ConsentBroker();

  private constructor(
    private readonly deps: McpOAuthDeps,
    private readonly store: OAuthCredentialStore,
  ) {}

  static async open(deps: McpOAuthDeps): Promise<McpOAuth> {
    return new McpOAuth(deps, await OAuthCredentialStore.open(path.join(deps.dataDir, CREDENTIALS_FILE_NAME)));
  }

  /** The provider for one connection attempt to an HTTP server; null for stdio. */
  async provider(serverId: string, spec: McpTransportSpec): Promise<OAuthClientProvider | null> {
    const record = this.deps.record(serverId);
    const settings = record ? oauthSettings(record.transport) : null;
    if (spec.type === 'stdio' || !settings) return null;
    return createOAuthProvider(serverId, spec.url, settings, {
      store: this.store,
      consents: this.consents,
      redirectUrl: () => `http://127.0.0.1:${this.deps.port()}${OAUTH_CALLBACK_PATH}`,
    });
  }

  /** `POST …/authorize`: the consent page of a server in `needs_auth`, opened for the local UI. */
  async authorize(serverId: string, principal: Principal): Promise<{ serverId: string; authorizationUrl: string; opened: boolean }> {
    const url = this.consents.authorizationUrl(serverId);
    if (!url) throw new BridgeError('conflict', 'This MCP server is not waiting for consent.', { details: { serverId, reason: 'no_consent_pending' } });
    const opened = principal.kind === 'ui';
    if (opened) await this.deps.openUrl(url.href);
    return { serverId, authorizationUrl: url.href, opened };
  }

  callback(query: { state: string; code?: string | undefined; error?: string | undefined; error_description?: string | undefined }) {
    return this.consents.complete(query);
  }

  /** Keeps (or drops) a pre-registered client's secret; credentials for another URL are dropped. */
  saveClientSecret(serverId: string, serverUrl: string, secret: string | undefined): Promise<void> {
    return this.store.update(serverId, (current) => {
      const same = current && current.serverUrl === serverUrl ? current : { serverUrl };
      const { clientSecret: _old, ...rest } = same;
      return secret === undefined ? rest : { ...rest, clientSecret: secret };
    });
  }

  async forget(serverId: string): Promise<void> {
    this.consents.forget(serverId);
    await this.store.update(serverId, () => undefined);
  }
}
