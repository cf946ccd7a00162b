import { readFile } from 'node:fs/promises';
import { credsAuthenticator, nkeyAuthenticator, usernamePasswordAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import type { NatsConfig } from './fleet-config.js';
import type { FleetIdentity } from './identity.js';

/** A credential file the config names that cannot be used: the message names the setting and file. */
export class FleetCredentialsError extends Error {
  constructor(setting: string, file: string, reason: string, options?: { cause?: unknown }) {
    super(`nats.${setting}: ${file}: ${reason}`, options);
    this.name = 'FleetCredentialsError';
  }
}

async function readSecretFile(setting: string, file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    throw new FleetCredentialsError(setting, file, (error as NodeJS.ErrnoException).code ?? 'unreadable', { cause: error });
  }
}

/**
 * nats.js connection options for the configured servers, credential and TLS. Reconnects are
 * unlimited and pings short, so a bridge rejoins after any outage and a dead link is noticed
 * within about two heartbeats. Replies come to an inbox under the machine id, so a server can
 * let each bridge subscribe to its own replies only.
 */
export async function fleetConnectionOptions(config: NatsConfig, servers: string[], identity: FleetIdentity): Promise<ConnectionOptions> {
  const encoder = new TextEncoder();
  let authenticator: ConnectionOptions['authenticator'];
  switch (config.auth.kind) {
    case 'identity':
      authenticator = nkeyAuthenticator(encoder.encode(identity.seed));
      break;
    case 'nkey': {
      const seed = await readSecretFile('auth.seedFile', config.auth.seedFile);
      if (!seed.startsWith('SU')) throw new FleetCredentialsError('auth.seedFile', config.auth.seedFile, 'does not hold an nkey user seed (SU…)');
      authenticator = nkeyAuthenticator(encoder.encode(seed));
      break;
    }
    case 'creds': {
      const creds = await readSecretFile('auth.credsFile', config.auth.credsFile);
      authenticator = credsAuthenticator(encoder.encode(creds));
      break;
    }
    case 'userPassword': {
      const password = await readSecretFile('auth.passwordFile', config.auth.passwordFile);
      authenticator = usernamePasswordAuthenticator(config.auth.user, password);
      break;
    }
  }
  return {
    servers,
    name: `osloop-bridge ${identity.machineId}`,
    authenticator,
    inboxPrefix: `_INBOX_${identity.machineId}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    pingInterval: Math.max(1_000, config.heartbeatMs),
    maxPingOut: 2,
    ...(config.tls
      ? { tls: { caFile: config.tls.caFile, ...(config.tls.certFile ? { certFile: config.tls.certFile } : {}), ...(config.tls.keyFile ? { keyFile: config.tls.keyFile } : {}) } }
      : {}),
  };
}
