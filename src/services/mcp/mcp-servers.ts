import { waitFor, type AnyActorRef, type SnapshotFrom } from 'xstate';
import type { McpConnectionContext, McpConnectionInput, McpConnectionMachine } from '../../../machines/mcpConnection.machine.js';
import type { Bus } from '../../bus/bus.js';
import type { Subjects } from '../../bus/subjects.js';
import type { BridgeConfig } from '../../config/config-schema.js';
import { BridgeError } from '../../contract/errors.js';
import { principalScope, type Principal } from '../../contract/principal.js';
import type { McpServerView, mcpServersRegister, mcpServersUpdate } from '../../contract/routes/mcp.js';
import type { ActorRuntime } from '../../runtime/actor-runtime.js';
import { isoAt, type Clock } from '../../runtime/clock.js';
import type { RpcRequest } from '../serve-route.js';
import { newId } from '../session/token.js';
import type { LiveConnections } from './live-connections.js';
import type { ServerDirectory } from './server-directory.js';
import { canUseServer } from './server-access.js';
import { isNonLoopback, splitTransport, transportView, type ServerRecord } from './server-record.js';
import { httpMismatches } from '../../contract/template-instance.js';

export interface McpServersDeps {
  directory: ServerDirectory;
  runtime: ActorRuntime;
  live: LiveConnections;
  bus: Bus;
  subjects: Subjects;
  clock: Clock;
  settings: () => BridgeConfig['mcp'];
  /** Keeps a pre-registered OAuth client's secret with the tokens, and forgets a removed server's. */
  oauthSecrets?: { save(serverId: string, serverUrl: string, secret: string | undefined): Promise<void>; forget(serverId: string): Promise<void> };
}

type Snapshot = SnapshotFrom<McpConnectionMachine>;
type RegisterBody = RpcRequest<typeof mcpServersRegister>['body'];
type UpdateBody = RpcRequest<typeof mcpServersUpdate>['body'];

/** Who asks when the bridge connects `autoConnect` servers at start: nobody but the bridge. */
const BRIDGE_ITSELF: Principal = { kind: 'anonymous', origin: null };
/** The permission authority answers within its bus timeout; this only bounds a bug. */
const PERMISSION_ASK_TIMEOUT_MS = 15_000;

/**
 * The registry's operations: each keeps the file, the server's actor and the memory-only values
 * in step, and announces what changed. The actor owns the connection; this only sends it events.
 */
export class McpServers {
  constructor(private readonly deps: McpServersDeps) {}

  /** Spawns an actor per registered server and connects those marked `autoConnect`. */
  async startAll(): Promise<void> {
    for (const record of this.deps.directory.store.list()) this.#spawn(record);
    const autoConnect = this.deps.directory.store.list().filter((record) => record.options.autoConnect && this.deps.directory.spec(record.serverId));
    await Promise.all(autoConnect.map((record) => this.#connect(record.serverId, BRIDGE_ITSELF).catch(() => {})));
  }

  /** The servers `principal` may use: its own origin's (every one, for the local UI). */
  list(principal: Principal): McpServerView[] {
    return this.deps.directory.store
      .list()
      .filter((record) => canUseServer(principal, record.origin))
      .map((record) => this.view(record));
  }

  async register(body: RegisterBody, principal: Principal): Promise<McpServerView> {
    const split = checkedSplit(body.transport);
    const now = isoAt(this.deps.clock.now());
    const origin = principalScope(principal);
    const record = await this.deps.directory.store.update((servers) => {
      assertNameFree(servers, body.name, origin, null);
      const created: ServerRecord = {
        serverId: newId('mcp'),
        name: body.name,
        origin,
        transport: split.template,
        needsResolvedValues: split.needsResolvedValues,
        options: body.options,
        createdAt: now,
        updatedAt: now,
      };
      servers.set(created.serverId, created);
      return created;
    });
    this.deps.directory.setResolved(record.serverId, split.resolved);
    await this.#saveOauthSecret(record.serverId, split);
    this.#spawn(record);
    this.#publish('mcp.server.registered', this.view(record));
    if (record.options.autoConnect) await this.#connect(record.serverId, principal).catch(() => {});
    return this.view(record);
  }

  async update(serverId: string, body: UpdateBody, principal: Principal): Promise<McpServerView> {
    this.record(serverId, principal);
    const split = body.transport ? checkedSplit(body.transport) : null;
    const previousSpec = this.deps.directory.spec(serverId);
    const record = await this.deps.directory.store.update((servers) => {
      const current = servers.get(serverId);
      if (!current || !canUseServer(principal, current.origin)) throw notFound(serverId);
      if (body.name !== undefined) assertNameFree(servers, body.name, current.origin, serverId);
      const updated: ServerRecord = {
        ...current,
        name: body.name ?? current.name,
        transport: split?.template ?? current.transport,
        needsResolvedValues: split?.needsResolvedValues ?? current.needsResolvedValues,
        options: { ...current.options, ...definedOnly(body.options ?? {}) },
        updatedAt: isoAt(this.deps.clock.now()),
      };
      servers.set(serverId, updated);
      return updated;
    });
    const actor = this.#actor(serverId);
    actor.send({ type: 'server.update', name: record.name, transportType: record.transport.type });
    if (split) {
      this.deps.directory.setResolved(serverId, split.resolved);
      await this.#saveOauthSecret(serverId, split);
      const changed = JSON.stringify(previousSpec) !== JSON.stringify(split.resolved);
      if (changed && isActive(this.context(serverId).publicState)) {
        await this.#disconnect(serverId);
        await this.#connect(serverId, principal).catch(() => {});
      }
    }
    this.#publish('mcp.server.updated', this.view(record));
    return this.view(record);
  }

  /** Disconnects the server (its process is gone when this resolves), then forgets it. */
  async remove(serverId: string, principal: Principal): Promise<{ serverId: string; removed: true }> {
    const record = this.record(serverId, principal);
    await this.#disconnect(serverId);
    await this.deps.directory.store.update((servers) => servers.delete(serverId));
    this.deps.runtime.stop('mcpConnection', serverId);
    this.deps.directory.forget(serverId);
    await this.deps.oauthSecrets?.forget(serverId);
    this.#publish('mcp.server.removed', { serverId, name: record.name, origin: record.origin });
    return { serverId, removed: true };
  }

  /** Starts connecting; replies once a stdio server's permission is pending or decided. */
  async connect(serverId: string, principal: Principal): Promise<{ serverId: string; state: McpServerView['state']; promptId?: string }> {
    this.record(serverId, principal);
    return this.#connect(serverId, principal);
  }

  async #connect(serverId: string, principal: Principal): Promise<{ serverId: string; state: McpServerView['state']; promptId?: string }> {
    this.#record(serverId);
    if (!this.deps.directory.spec(serverId)) {
      throw new BridgeError('conflict', 'The bridge no longer holds the resolved transport values of this server (they are kept in memory only); send the transport again with PATCH, then connect.', {
        details: { serverId, reason: 'needs_resolved_values' },
      });
    }
    const actor = this.#actor(serverId);
    actor.send({ type: 'connect', requestedBy: principal });
    const snapshot = (await waitFor(actor, (s: Snapshot) => !s.matches({ awaiting_permission: 'asking' }), { timeout: PERMISSION_ASK_TIMEOUT_MS })) as Snapshot;
    const { context } = snapshot;
    if (snapshot.matches('disconnected') && context.lastErrorCode === 'bridge_policy_denied') {
      throw new BridgeError('bridge_policy_denied', context.lastError ?? 'The bridge policy forbids this command.', { details: { serverId } });
    }
    if (snapshot.matches('disconnected') && context.lastErrorCode === 'unavailable') {
      throw new BridgeError('unavailable', context.lastError ?? 'The permission authority is not available.', { details: { serverId } });
    }
    return { serverId, state: context.publicState, ...(context.promptId && context.publicState === 'awaiting_permission' ? { promptId: context.promptId } : {}) };
  }

  /** Idempotent; resolves once the server's process (if any) has exited. */
  async disconnect(serverId: string, principal: Principal): Promise<{ serverId: string; state: 'disconnected' }> {
    this.record(serverId, principal);
    return this.#disconnect(serverId);
  }

  async #disconnect(serverId: string): Promise<{ serverId: string; state: 'disconnected' }> {
    this.#record(serverId);
    this.#actor(serverId).send({ type: 'disconnect' });
    await this.deps.live.settled(serverId);
    return { serverId, state: 'disconnected' };
  }

  capabilities(serverId: string, principal: Principal) {
    const record = this.record(serverId, principal);
    const context = this.context(serverId);
    if (context.publicState !== 'connected' || !context.capabilities) {
      throw new BridgeError('conflict', `The MCP server is not connected (state: ${context.publicState}).`, { details: { serverId, state: context.publicState } });
    }
    // `enabledTools` limits what the web app is offered, so it limits what it is shown too.
    const enabled = record.options.enabledTools;
    const tools = enabled === null ? context.capabilities.tools : context.capabilities.tools.filter((tool) => enabled.includes(tool.name));
    return { serverId, ...context.capabilities, tools };
  }

  /** Disconnects every server and waits for their processes to exit. */
  async stopAll(): Promise<void> {
    for (const record of this.deps.directory.store.list()) this.deps.runtime.child(record.serverId)?.send({ type: 'disconnect' });
    await this.deps.live.settled();
  }

  /** The record, or 404: also for a server `principal` may not use, which it must not learn of. */
  record(serverId: string, principal: Principal): ServerRecord {
    if (!this.mayUse(serverId, principal)) throw notFound(serverId);
    return this.#record(serverId);
  }

  /** Whether the server exists and is `principal`'s to see and use. */
  mayUse(serverId: string, principal: Principal): boolean {
    const record = this.deps.directory.record(serverId);
    return record !== undefined && canUseServer(principal, record.origin);
  }

  context(serverId: string): McpConnectionContext {
    return this.#actor(serverId).getSnapshot().context as McpConnectionContext;
  }

  view(record: ServerRecord): McpServerView {
    const context = this.deps.runtime.child(record.serverId)?.getSnapshot().context as McpConnectionContext | undefined;
    const state = context?.publicState ?? 'disconnected';
    return {
      serverId: record.serverId,
      name: record.name,
      origin: record.origin,
      transport: transportView(record.transport),
      options: record.options,
      state,
      nonLoopback: isNonLoopback(record.transport),
      needsResolvedValues: this.deps.directory.spec(record.serverId) === null,
      promptId: state === 'awaiting_permission' ? (context?.promptId ?? null) : null,
      authorizationUrl: state === 'needs_auth' ? (context?.authorizationUrl ?? null) : null,
      lastError: context?.lastError ?? null,
      lastErrorCode: context?.lastErrorCode ?? null,
      pid: context?.pid ?? null,
      stderrTail: this.deps.directory.tail(record.serverId).lines(),
      reconnectAttempts: context?.reconnectAttempts ?? 0,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      connectedAt: context?.connectedAt ?? null,
    };
  }

  async #saveOauthSecret(serverId: string, split: ReturnType<typeof splitTransport>): Promise<void> {
    if (split.resolved.type !== 'stdio') await this.deps.oauthSecrets?.save(serverId, split.resolved.url, split.clientSecret);
  }

  #spawn(record: ServerRecord): void {
    const input: McpConnectionInput = {
      serverId: record.serverId,
      name: record.name,
      origin: record.origin,
      transportType: record.transport.type,
      retry: this.deps.settings().reconnect,
    };
    this.deps.runtime.spawn('mcpConnection', record.serverId, input);
  }

  #record(serverId: string): ServerRecord {
    const record = this.deps.directory.record(serverId);
    if (!record) throw notFound(serverId);
    return record;
  }

  #actor(serverId: string): AnyActorRef {
    const actor = this.deps.runtime.child(serverId);
    if (!actor) throw new BridgeError('unavailable', 'The MCP server\'s actor is not running (the bridge is stopping).', { details: { serverId } });
    return actor;
  }

  #publish(type: 'mcp.server.registered' | 'mcp.server.updated' | 'mcp.server.removed', data: unknown): void {
    this.deps.bus.publish(this.deps.subjects.event(type), data);
  }
}

/**
 * Splits the transport, refusing one whose resolved URL or headers are no instance of their
 * template (`src/contract/template-instance.ts`; stdio fields are checked by the route schema).
 */
function checkedSplit(transport: Parameters<typeof splitTransport>[0]): ReturnType<typeof splitTransport> {
  const split = splitTransport(transport);
  if (split.resolved.type !== 'stdio' && split.template.type !== 'stdio') {
    const mismatches = httpMismatches(split.resolved, split.template);
    if (mismatches.length > 0) {
      throw new BridgeError('invalid_request', `Invalid transport: ${mismatches.map((m) => m.message).join('; ')}.`, { details: { field: `transport.template.${mismatches[0]!.path.join('.')}` } });
    }
  }
  return split;
}

const isActive = (state: McpServerView['state']) => state !== 'disconnected' && state !== 'failed';

function notFound(serverId: string): BridgeError {
  return new BridgeError('not_found', `No MCP server ${serverId} is registered.`, { details: { serverId } });
}

/** Names are unique per owner: another origin's names are neither shown nor reserved. */
function assertNameFree(servers: Map<string, ServerRecord>, name: string, origin: string | null, except: string | null): void {
  for (const server of servers.values()) {
    if (server.name === name && server.origin === origin && server.serverId !== except) {
      throw new BridgeError('conflict', `An MCP server named "${name}" is already registered.`, { details: { name, serverId: server.serverId } });
    }
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
