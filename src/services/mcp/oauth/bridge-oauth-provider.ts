import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { ConsentBroker } from './consent-broker.js';
import type { OAuthCredentialStore, ServerCredentials } from './credential-store.js';

/** A server's OAuth settings as registered (the secret comes from the credential store). */
export interface OAuthSettings {
  grant: 'authorization_code' | 'client_credentials';
  clientId?: string | undefined;
  clientMetadataUrl?: string | undefined;
  scope?: string | undefined;
  /** The authorization server a pre-registered client belongs to, as configured. */
  issuer?: string | undefined;
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
 *
 * A pre-registered client's secret is presented to one authorization server only: the one
 * configured (`issuer`), else the first that accepted it (the SDK stamps the client with it after
 * that first use, and the stamp is kept in the credential store). The MCP server names the
 * authorization server, so without the binding a server that changed hands could send the
 * bridge, secret in hand, to any token endpoint it likes.
 */
export async function createOAuthProvider(serverId: string, serverUrl: string, settings: OAuthSettings, deps: ProviderDeps): Promise<OAuthClientProvider> {
  const current = forUrl(deps.store.get(serverId), serverUrl);
  const boundIssuer = settings.issuer ?? (current?.boundClient?.clientId === settings.clientId ? current?.boundClient?.issuer : undefined);
  const rememberBinding = (clientId: string, issuer: string) =>
    deps.store.update(serverId, (now) => ({ ...startingPoint(now, serverUrl, current?.clientSecret), boundClient: { clientId, issuer } }));
  if (settings.grant === 'client_credentials') {
    // A machine server: no user, no redirect. Its tokens stay in memory. The SDK's OAuth client
    // (with its schemas) loads for the first such server, not at every start (issue 15, cold start).
    const { ClientCredentialsProvider } = await import('@modelcontextprotocol/sdk/client/auth-extensions.js');
    const clientId = settings.clientId ?? '';
    // Bound (configured, or accepted before): the SDK refuses any other authorization server.
    // Not yet: the SDK warns, uses the one the server names, and the first acceptance binds it.
    class BoundClientCredentials extends ClientCredentialsProvider {
      override async saveClientInformation(information: OAuthClientInformationMixed): Promise<void> {
        super.saveClientInformation(information);
        // A binding is never moved: only an unbound client's first acceptance is kept.
        if (!boundIssuer && information.client_id === clientId && typeof information.issuer === 'string') await rememberBinding(clientId, information.issuer);
      }
    }
    return new BoundClientCredentials({
      clientId,
      clientSecret: current?.clientSecret ?? '',
      clientName: 'OS Loop bridge',
      ...(settings.scope ? { scope: settings.scope } : {}),
      ...(boundIssuer ? { expectedIssuer: boundIssuer } : {}),
    });
  }
  const { clientId } = settings;
  const binding = clientId ? { clientId, issuer: boundIssuer, remember: (issuer: string) => rememberBinding(clientId, issuer) } : undefined;
  return new BridgeOAuthProvider(serverId, serverUrl, settings, deps, current?.clientSecret, binding);
}

/** The server's stored credentials if they were obtained for this URL: a server moved to another URL starts over. */
function forUrl(saved: ServerCredentials | undefined, serverUrl: string): ServerCredentials | undefined {
  return saved && saved.serverUrl === serverUrl ? saved : undefined;
}

/** What a change to a server's credentials starts from: those stored for this URL, else the URL and the registered secret. */
function startingPoint(saved: ServerCredentials | undefined, serverUrl: string, clientSecret: string | undefined): ServerCredentials {
  return forUrl(saved, serverUrl) ?? { serverUrl, ...(clientSecret ? { clientSecret } : {}) };
}

/** A pre-registered client and its binding: the authorization server it is presented to, and how to keep a new one. */
interface ClientBinding {
  clientId: string;
  issuer: string | undefined;
  remember(issuer: string): Promise<void>;
}

/** Thrown instead of registering anew where a pre-registered client is bound to another authorization server. */
export class BoundElsewhereError extends Error {
  override readonly name = 'BoundElsewhereError';
}

class BridgeOAuthProvider implements OAuthClientProvider {
  #codeVerifier: string | undefined;

  constructor(
    private readonly serverId: string,
    private readonly serverUrl: string,
    private readonly settings: OAuthSettings,
    private readonly deps: ProviderDeps,
    private readonly clientSecret: string | undefined,
    private readonly binding?: ClientBinding,
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
    const binding = this.binding;
    if (binding) {
      return { client_id: binding.clientId, ...(this.clientSecret ? { client_secret: this.clientSecret } : {}), ...(binding.issuer ? { issuer: binding.issuer } : {}) };
    }
    return this.#saved()?.clientInformation as OAuthClientInformationMixed | undefined;
  }

  async saveClientInformation(clientInformation: OAuthClientInformationMixed): Promise<void> {
    const binding = this.binding;
    if (!binding) {
      await this.#save((current) => ({ ...current, clientInformation }));
      return;
    }
    // The SDK stamps the pre-registered client after its first use: that binds it. Anything else
    // is the SDK registering a new client because the server now names another authorization
    // server than the bound one: refused, the user registered this client, not that one.
    const bound = binding.issuer;
    if (clientInformation.client_id !== binding.clientId || typeof clientInformation.issuer !== 'string' || (bound !== undefined && clientInformation.issuer !== bound)) {
      throw new BoundElsewhereError(
        `The pre-registered OAuth client ${binding.clientId} belongs to ${bound ?? 'another authorization server'}; the server now names another one. Register the server again to use it.`,
      );
    }
    if (bound === undefined) {
      await binding.remember(clientInformation.issuer);
      binding.issuer = clientInformation.issuer;
    }
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
    return forUrl(this.deps.store.get(this.serverId), this.serverUrl);
  }

  #save(change: (current: ServerCredentials) => object): Promise<void> {
    return this.deps.store.update(this.serverId, (saved) => change(startingPoint(saved, this.serverUrl, this.clientSecret)) as never);
  }
}
