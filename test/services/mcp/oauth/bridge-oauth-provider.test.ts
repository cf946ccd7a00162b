import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOAuthProvider, type OAuthSettings } from '../../../../src/services/mcp/oauth/bridge-oauth-provider.js';
import { ConsentBroker } from '../../../../src/services/mcp/oauth/consent-broker.js';
import { OAuthCredentialStore } from '../../../../src/services/mcp/oauth/credential-store.js';

const SECRET = 'pre-registered-secret-7f3a';
const CLIENT_ID = 'osloop-test-client';

interface SeenRequest {
  method: string;
  path: string;
  authorization: string;
  body: string;
}

/** A real HTTP authorization server (RFC 8414 metadata, token and registration endpoints) that keeps every request it gets. */
interface AuthorizationServer {
  issuer: string;
  requests: SeenRequest[];
  /** Whether any request it got carried the pre-registered secret, in a header or the body. */
  sawSecret(): boolean;
  close(): Promise<void>;
}

async function listen(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

async function startAuthorizationServer(name: string): Promise<AuthorizationServer> {
  const requests: SeenRequest[] = [];
  let issuer = '';
  const server = await listen((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += String(chunk)));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization ?? '', body });
      if (req.url === '/.well-known/oauth-authorization-server') {
        return json(res, 200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          registration_endpoint: `${issuer}/register`,
          response_types_supported: ['code'],
          grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        });
      }
      if (req.url === '/token' && req.method === 'POST') return json(res, 200, { access_token: `token-from-${name}`, token_type: 'Bearer', expires_in: 3600 });
      if (req.url === '/register' && req.method === 'POST') return json(res, 201, { ...(JSON.parse(body || '{}') as object), client_id: `registered-at-${name}` });
      return json(res, 404, { error: 'not_found' });
    });
  });
  issuer = server.url;
  const basic = Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64');
  return {
    issuer,
    requests,
    sawSecret: () => requests.some((r) => r.authorization.includes(basic) || r.body.includes(SECRET) || r.body.includes(encodeURIComponent(SECRET))),
    close: server.close,
  };
}

describe('OAuth client secrets go to one authorization server only', () => {
  let home: string;
  let store: OAuthCredentialStore;
  let honest: AuthorizationServer;
  let rogue: AuthorizationServer;
  let resource: { url: string; close(): Promise<void> };
  /** The authorization server the MCP server names in its protected-resource metadata: the server decides. */
  let named: AuthorizationServer;
  const serverId = 'mcp_oauth_binding';
  const mcpUrl = () => `${resource.url}/mcp`;
  let consents: ConsentBroker;
  const provider = (settings: Partial<OAuthSettings>) =>
    createOAuthProvider(serverId, mcpUrl(), { grant: 'authorization_code', clientId: CLIENT_ID, ...settings }, { store, consents, redirectUrl: () => 'http://127.0.0.1:1/api/v1/mcp/oauth/callback' });

  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'osloop-oauth-binding-'));
    store = await OAuthCredentialStore.open(path.join(home, 'mcp-oauth.json'));
    honest = await startAuthorizationServer('honest');
    rogue = await startAuthorizationServer('rogue');
    named = honest;
    consents = new ConsentBroker();
    resource = await listen((req, res) => {
      if (req.url?.startsWith('/.well-known/oauth-protected-resource')) return json(res, 200, { resource: mcpUrl(), authorization_servers: [named.issuer] });
      return json(res, 404, { error: 'not_found' });
    });
    // The secret as the registry keeps it: with the server's URL, in the owner-only store.
    await store.update(serverId, () => ({ serverUrl: mcpUrl(), clientSecret: SECRET }));
    // The SDK warns when a client_credentials client is built unbound; that is the state tested.
    vi.spyOn(console, 'warn').mockImplementation(() => {});
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all([honest.close(), rogue.close(), resource.close()]);
    await rm(home, { recursive: true, force: true });
  });

  describe('client_credentials', () => {
    const machine = { grant: 'client_credentials' as const };

    it('presents the secret to the configured issuer, and refuses a server that names another', async () => {
      expect(await auth(await provider({ ...machine, issuer: honest.issuer }), { serverUrl: mcpUrl() })).toBe('AUTHORIZED');
      expect(honest.sawSecret()).toBe(true);
      named = rogue;
      await expect(auth(await provider({ ...machine, issuer: honest.issuer }), { serverUrl: mcpUrl() })).rejects.toThrow(/bound to authorization server/);
      expect(rogue.sawSecret()).toBe(false);
      expect(rogue.requests.filter((r) => r.path === '/token')).toEqual([]);
    });

    it('binds an unconfigured client to the first authorization server that accepts it, across a restart', async () => {
      expect(await auth(await provider(machine), { serverUrl: mcpUrl() })).toBe('AUTHORIZED');
      expect(store.get(serverId)?.boundClient).toEqual({ clientId: CLIENT_ID, issuer: honest.issuer });
      // A new provider reads the binding back from the store, as the next connect after a restart does.
      named = rogue;
      await expect(auth(await provider(machine), { serverUrl: mcpUrl() })).rejects.toThrow(/bound to authorization server/);
      expect(rogue.sawSecret()).toBe(false);
      expect(store.get(serverId)?.boundClient).toEqual({ clientId: CLIENT_ID, issuer: honest.issuer });
    });

    it('starts unbound again for another client id', async () => {
      await auth(await provider(machine), { serverUrl: mcpUrl() });
      named = rogue;
      // The user registered the server again with a client of the other authorization server.
      const other = await provider({ ...machine, clientId: 'another-client' });
      expect(other.clientInformation()).toMatchObject({ client_id: 'another-client' });
      expect((await other.clientInformation())?.issuer).toBeUndefined();
    });
  });

  describe('a pre-registered authorization_code client', () => {
    it('binds after its first code exchange, then neither registers anew nor sends the secret to another server', async () => {
      const first = await provider({});
      expect(await auth(first, { serverUrl: mcpUrl() })).toBe('REDIRECT');
      expect(consents.authorizationUrl(serverId)?.origin).toBe(honest.issuer);
      expect(await auth(first, { serverUrl: mcpUrl(), authorizationCode: 'code-from-the-user' })).toBe('AUTHORIZED');
      expect(honest.sawSecret()).toBe(true);
      expect(store.get(serverId)?.boundClient).toEqual({ clientId: CLIENT_ID, issuer: honest.issuer });

      named = rogue;
      await expect(auth(await provider({}), { serverUrl: mcpUrl() })).rejects.toThrow(/belongs to http:\/\/127\.0\.0\.1:\d+; the server now names another one/);
      expect(rogue.sawSecret()).toBe(false);
      expect(rogue.requests.filter((r) => r.path === '/token')).toEqual([]);
      expect(consents.authorizationUrl(serverId)?.origin).toBe(honest.issuer);
    });

    it('is bound from the start by a configured issuer', async () => {
      named = rogue;
      await expect(auth(await provider({ issuer: honest.issuer }), { serverUrl: mcpUrl() })).rejects.toThrow(/belongs to/);
      expect(rogue.sawSecret()).toBe(false);
      expect(consents.authorizationUrl(serverId)).toBeNull();
    });
  });

  it('leaves dynamic registration to the SDK, which stamps what it registered', async () => {
    await store.update(serverId, () => ({ serverUrl: mcpUrl() }));
    const dynamic = await provider({ clientId: undefined });
    expect(await auth(dynamic, { serverUrl: mcpUrl() })).toBe('REDIRECT');
    expect(store.get(serverId)?.clientInformation).toMatchObject({ client_id: 'registered-at-honest', issuer: honest.issuer });
  });
});
