import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { ConsentBroker } from './consent-broker.js';
import type { OAuthCredentialStore } from './credential-store.js';

/** A server's OAuth settings as registered (the secret comes from the credential store). */
export interface OAuthSettings {
  grant: 'authorization_code' | 'client_credentials';
  clientId?: string | undefined;
  clientMetadataUrl?: string | undefined;
  scope?: string | undefined;
}

export interface ProviderDeps {
  store: OAuthCredentialStore;
  consents: ConsentBroker;
  /** The bridge's loopback callback, e.g. `http://127.0.0.1:4141/api/v1/mcp/oauth/callback`. */
  redirectUrl: () => string;
}

/**
 * The SDK's OAuth client provider for one server. The SDK does discovery (protected-resource
 * metadata, authorization server or OpenID metadata), registration (dynamic, or the client ID
 * metadata document URL as client_id), PKCE, the `resource` parameter, scope selection and
 * refresh; this keeps what it obtains owner-only and sends the user through the broker.
 */
export async function createOAuthProvider(serverId: string, serverUrl: string, settings: OAuthSettings, deps: ProviderDeps): Promise<OAuthClientProvider> {
  const saved = deps.store.get(serverId);
  // Credentials obtained for another URL are another server's: start over.
  const current = saved && saved.serverUrl === serverUrl ? saved : undefined;
  if (settings.grant === 'client_credentials') {
    // A machine server: no user, no redirect. Its tokens stay in memory. The SDK's OAuth client
    // (with its schemas) loads for the first such server, not at every start (issue 15, cold start).
    const { ClientCredentialsProvider } = await import('@modelcontextprotocol/sdk/client/auth-extensions.js');
    return new ClientCredentialsProvider({
      clientId: settings.clientId ?? '',
      clientSecret: current?.clientSecret ?? '',
      clientName: 'OS Loop bridge',
      ...(settings.scope ? { scope: settings.scope } : {}),
    });
  }
  return new BridgeOAuthProvider(serverId, serverUrl, settings, deps, current?.clientSecret);
}

class BridgeOAuthProvider implements OAuthClientProvider {
  #codeVerifier: string | undefined;

  constructor(
    private readonly serverId: string,
    private readonly serverUrl: string,
    private readonly settings: OAuthSettings,
    private readonly deps: ProviderDeps,
    private readonly clientSecret: string | undefined,
  ) {}

  get redirectUrl(): string {
    return this.deps.redirectUrl();
  }

  get clientMetadataUrl(): string | undefined {
    return this.settings.clientMetadataUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    const metadata: OAuthClientMetadata & { application_type: string } = {
      client_name: 'OS Loop bridge',
      // A local app with a loopback redirect is a native client (RFC 8252, SEP-837).
      application_type: 'native',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...(this.settings.scope ? { scope: this.settings.scope } : {}),
    };
    return metadata;
  }

  state(): string {
    const state = randomBytes(32).toString('base64url');
    this.deps.consents.expect(this.serverId, state);
    return state;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    if (this.settings.clientId) return { client_id: this.settings.clientId, ...(this.clientSecret ? { client_secret: this.clientSecret } : {}) };
    return this.#saved()?.clientInformation as OAuthClientInformationMixed | undefined;
  }

  async saveClientInformation(clientInformation: OAuthClientInformationMixed): Promise<void> {
    await this.#save((current) => ({ ...current, clientInformation }));
  }

  tokens(): OAuthTokens | undefined {
    return this.#saved()?.tokens as OAuthTokens | undefined;
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    await this.#save((current) => ({ ...current, tokens }));
  }

  /** Opens nothing: the URL becomes the server's `needs_auth` state, for the user to open. */
  redirectToAuthorization(authorizationUrl: URL): void {
    this.deps.consents.setAuthorizationUrl(this.serverId, authorizationUrl);
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.#codeVerifier = codeVerifier;
  }

  codeVerifier(): string {
    if (!this.#codeVerifier) throw new Error('No PKCE code verifier: no consent is in progress.');
    return this.#codeVerifier;
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if (scope === 'verifier' || scope === 'all') this.#codeVerifier = undefined;
    if (scope === 'discovery' || scope === 'verifier') return;
    await this.#save((current) => {
      const { tokens: _tokens, clientInformation: _client, ...rest } = current;
      return scope === 'tokens' ? { ...rest, ...(current.clientInformation ? { clientInformation: current.clientInformation } : {}) } : rest;
    });
  }

  #saved() {
    const saved = this.deps.store.get(this.serverId);
    return saved && saved.serverUrl === this.serverUrl ? saved : undefined;
  }

  #save(change: (current: { serverUrl: string; clientSecret?: string; clientInformation?: unknown; tokens?: unknown }) => object): Promise<void> {
    return this.deps.store.update(this.serverId, (saved) => {
      const base = saved && saved.serverUrl === this.serverUrl ? saved : { serverUrl: this.serverUrl, ...(this.clientSecret ? { clientSecret: this.clientSecret } : {}) };
      return change(base) as never;
    });
  }
}
