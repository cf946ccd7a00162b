import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigStore } from '../../../src/config/config-store.js';
import { McpRegistryStore, REGISTRY_FILE_NAME } from '../../../src/services/mcp/registry-store.js';
import { openDatabase } from '../../../src/storage/database.js';
import { RulesRepository } from '../../../src/storage/rules-repository.js';
import { seededRandom } from './probes.js';
import { AWAKE_INHIBITOR_FIXTURE, sleep, startBridgeProcess, waitUntil, type BridgeProcess, type Reply } from './faults-bridge.js';

/**
 * Kill -9 in the middle of writes: a real bridge (the CLI, as a subprocess) takes whitelist-rule
 * creations, MCP registry adds and removes and settings changes as fast as a few concurrent
 * writers can send them, is SIGKILLed at a random moment, and is started again on the same home.
 * After every kill the files on disk must load with the bridge's own loaders (JSON + zod),
 * SQLite must pass `PRAGMA integrity_check`, and everything acknowledged with a 2xx before the
 * kill must be there, on disk and through the restarted bridge's API.
 */
export interface Kill9Options {
  cycles: number;
  /** PRNG seed for the kill moments; printed with the figures to replay a failure. */
  seed?: number;
  /** The kill comes uniformly between these two delays after every kind of write was acknowledged once. */
  minWriteMs?: number;
  maxWriteMs?: number;
  /** Progress, one line per cycle (the reliability script prints it). */
  onCycle?: (line: string) => void;
}

export interface Kill9Figures {
  seed: number;
  cycles: number;
  requests: number;
  acknowledged: { rules: number; serversAdded: number; serversRemoved: number; config: number };
  /** Acknowledged facts verified after the kills (each fact once per check, on disk and via the API). */
  checks: number;
  /** Acknowledged writes missing (or removed servers back) after a kill: must be empty. */
  lost: string[];
  /** Files that failed the bridge's own loader after a kill, or a restart that refused them. */
  unparsable: string[];
  /** `PRAGMA integrity_check` answers other than ok. */
  integrity: string[];
  /** Replies other than the expected 2xx while the bridge was alive (a bug, not the kill). */
  unexpected: string[];
  /** Writes in flight at the kill, whose outcome was unknown (either outcome is correct). */
  inFlightAtKill: number;
  /** write-file-atomic temp files (`<file>.<number>`) found in the home after each kill, and at the end. */
  tempFilesPerKill: number[];
  tempFilesAtEnd: string[];
  /** Wall time of the whole workload. */
  durationMs: number;
}

const MISSING = '/nonexistent/osloop-faults-command';
/** The config writer's values: `promptTimeoutMs` = BASE + its write number. */
const BASE = 100_000;
const TEMP_FILE = /^(config\.json|mcp-servers\.json)\.\d+$/;

/** What the writers were told is saved, and what was in flight (either outcome is fine). */
class Ledger {
  readonly rules = new Set<string>();
  /** serverId → last acknowledged state; `either` while a removal is in flight. */
  readonly servers = new Map<string, 'present' | 'absent' | 'either'>();
  configAcked = -1;
  readonly configInFlight = new Set<number>();
  configNext = 0;
  requests = 0;
  inFlight = 0;
  readonly acknowledged = { rules: 0, serversAdded: 0, serversRemoved: 0, config: 0 };
  readonly unexpected: string[] = [];
}

export async function runKill9Workload(options: Kill9Options): Promise<Kill9Figures> {
  const started = Date.now();
  const seed = options.seed ?? (Date.now() % 2 ** 31);
  const random = seededRandom(seed);
  const minWriteMs = options.minWriteMs ?? 0;
  const maxWriteMs = options.maxWriteMs ?? 800;
  const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-faults-kill9-'));
  const ledger = new Ledger();
  const figures: Kill9Figures = {
    seed,
    cycles: 0,
    requests: 0,
    acknowledged: ledger.acknowledged,
    checks: 0,
    lost: [],
    unparsable: [],
    integrity: [],
    unexpected: ledger.unexpected,
    inFlightAtKill: 0,
    tempFilesPerKill: [],
    tempFilesAtEnd: [],
    durationMs: 0,
  };

  let bridge: BridgeProcess | undefined;
  try {
    bridge = await startBridgeProcess(home, {
      config: { commandPath: 'inherited', awake: { inhibitorCommand: [process.execPath, AWAKE_INHIBITOR_FIXTURE, '{pid}', '{reason}'] } },
    });
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      const stop = { stopped: false };
      const writers = [
        rulesWriter(bridge, ledger, `c${cycle}a`, stop),
        rulesWriter(bridge, ledger, `c${cycle}b`, stop),
        registryWriter(bridge, ledger, `c${cycle}a`, stop),
        registryWriter(bridge, ledger, `c${cycle}b`, stop),
        configWriter(bridge, ledger, stop),
      ];
      // Each kind of write must have been acknowledged at least once in this cycle (however
      // loaded the machine), then the kill comes at a random moment of the ongoing writes.
      const before = { ...ledger.acknowledged };
      await waitUntil('a first acknowledged write of each kind', () =>
        ledger.acknowledged.rules > before.rules && ledger.acknowledged.serversAdded > before.serversAdded && ledger.acknowledged.config > before.config ? true : undefined,
        60_000,
        5,
      ).catch(() => {}); // a writer that stopped on an unexpected reply is reported as such
      await sleep(minWriteMs + random() * (maxWriteMs - minWriteMs));
      stop.stopped = true;
      await bridge.kill9();
      await Promise.all(writers);
      figures.cycles++;

      const temps = await tempFiles(home);
      figures.tempFilesPerKill.push(temps.length);
      await checkOnDisk(home, ledger, figures);
      const restart = Date.now();
      try {
        bridge = await startBridgeProcess(home);
      } catch (error) {
        figures.unparsable.push(`cycle ${cycle}: the bridge refused to start again: ${(error as Error).message.slice(0, 500)}`);
        bridge = undefined;
        break;
      }
      await checkThroughApi(bridge, ledger, figures);
      options.onCycle?.(
        `kill -9 cycle ${cycle + 1}/${options.cycles}: ${ledger.requests} requests, ${ledger.acknowledged.rules} rules, ${ledger.acknowledged.serversAdded}+/${ledger.acknowledged.serversRemoved}- servers, ${ledger.acknowledged.config} settings acknowledged; lost ${figures.lost.length}; restart ${Date.now() - restart} ms`,
      );
    }
    if (bridge) {
      await bridge.stop();
      bridge = undefined;
    }
    figures.tempFilesAtEnd = await tempFiles(home);
  } finally {
    if (bridge) await bridge.kill9();
    await rm(home, { recursive: true, force: true });
  }
  figures.requests = ledger.requests;
  figures.inFlightAtKill = ledger.inFlight;
  figures.durationMs = Date.now() - started;
  return figures;
}

/** Calls, counting requests and in-flight writes; null when the bridge died under the request. */
async function write(bridge: BridgeProcess, ledger: Ledger, method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<Reply | null> {
  ledger.requests++;
  try {
    return await bridge.call(method, route, body, headers);
  } catch {
    ledger.inFlight++;
    return null;
  }
}

function unexpected(ledger: Ledger, what: string, reply: Reply): void {
  ledger.unexpected.push(`${what}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
}

/** Creates whitelist rules: an execute that prompts, answered allow_and_whitelist (the rule's 2xx). */
async function rulesWriter(bridge: BridgeProcess, ledger: Ledger, tag: string, stop: { stopped: boolean }): Promise<void> {
  for (let n = 0; !stop.stopped; n++) {
    const args = [`${tag}-${n}`];
    // A command that cannot start: the rule is what matters, and no process outlives the kill.
    const execute = await write(bridge, ledger, 'POST', '/api/v1/system/commands/execute', { command: MISSING, args, reason: 'kill -9 workload' }, { prefer: 'respond-async' });
    if (!execute) return;
    if (execute.status !== 202 || typeof execute.body.promptId !== 'string') return unexpected(ledger, 'execute', execute);
    const resolved = await write(bridge, ledger, 'POST', `/api/v1/system/permissions/prompts/${execute.body.promptId}/resolve`, { decision: 'allow_and_whitelist' });
    if (!resolved) return;
    if (resolved.status !== 200 || typeof resolved.body.ruleId !== 'string') return unexpected(ledger, 'resolve', resolved);
    ledger.rules.add(resolved.body.ruleId);
    ledger.acknowledged.rules++;
  }
}

/** Registers stdio MCP servers and removes every third one it registered. */
async function registryWriter(bridge: BridgeProcess, ledger: Ledger, tag: string, stop: { stopped: boolean }): Promise<void> {
  const mine: string[] = [];
  for (let n = 0; !stop.stopped; n++) {
    if (n % 3 === 2 && mine.length > 0) {
      const serverId = mine.shift()!;
      ledger.servers.set(serverId, 'either');
      const removed = await write(bridge, ledger, 'DELETE', `/api/v1/mcp/servers/${serverId}`);
      if (!removed) return;
      if (removed.status !== 200) return unexpected(ledger, 'remove', removed);
      ledger.servers.set(serverId, 'absent');
      ledger.acknowledged.serversRemoved++;
      continue;
    }
    const transport = { type: 'stdio', command: MISSING, args: [tag], template: { command: MISSING, args: [tag] } };
    const registered = await write(bridge, ledger, 'POST', '/api/v1/mcp/servers', { name: `faults-${tag}-${n}`, transport });
    if (!registered) return;
    if (registered.status !== 201 || typeof registered.body.serverId !== 'string') return unexpected(ledger, 'register', registered);
    ledger.servers.set(registered.body.serverId, 'present');
    mine.push(registered.body.serverId);
    ledger.acknowledged.serversAdded++;
  }
}

/** Changes two settings in one write, one write at a time, each with the next number. */
async function configWriter(bridge: BridgeProcess, ledger: Ledger, stop: { stopped: boolean }): Promise<void> {
  while (!stop.stopped) {
    const n = ledger.configNext++;
    ledger.configInFlight.add(n);
    const saved = await write(bridge, ledger, 'PATCH', '/api/v1/ui/settings', { promptTimeoutMs: BASE + n, allowedOrigins: [origin(n)] });
    if (!saved) return;
    if (saved.status !== 200) return unexpected(ledger, 'settings', saved);
    ledger.configInFlight.delete(n);
    ledger.configAcked = n;
    ledger.acknowledged.config++;
  }
}

const origin = (n: number) => `https://w${n}.faults.invalid`;
/** The config writer's write number a value came from; -1 for the value before any write. */
const writeNumber = (promptTimeoutMs: number) => (promptTimeoutMs >= BASE ? promptTimeoutMs - BASE : -1);

interface Observed {
  rules: Set<string>;
  servers: Set<string>;
  config: { promptTimeoutMs: number; allowedOrigins: string[] };
}

/**
 * Checks what the kill left on disk with the bridge's own loaders, then adopts what it finds
 * for the writes whose outcome was unknown: from now on that is what must survive.
 */
async function checkOnDisk(home: string, ledger: Ledger, figures: Kill9Figures): Promise<void> {
  const cycle = figures.cycles;
  let config: ConfigStore | undefined;
  let registry: McpRegistryStore | undefined;
  try {
    config = await ConfigStore.open(path.join(home, 'config.json'));
  } catch (error) {
    figures.unparsable.push(`cycle ${cycle}: config.json: ${(error as Error).message}`);
  }
  try {
    registry = await McpRegistryStore.open(path.join(home, REGISTRY_FILE_NAME));
  } catch (error) {
    figures.unparsable.push(`cycle ${cycle}: ${REGISTRY_FILE_NAME}: ${(error as Error).message}`);
  }
  const db = openDatabase(path.join(home, 'bridge.db'));
  let rules: Set<string>;
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') figures.integrity.push(`cycle ${cycle}: ${String(integrity)}`);
    rules = new Set(new RulesRepository(db).list().map((rule) => rule.ruleId));
  } finally {
    db.close();
  }
  if (!config || !registry) return;
  const observed: Observed = {
    rules,
    servers: new Set(registry.list().map((server) => server.serverId)),
    config: { promptTimeoutMs: config.current.promptTimeoutMs, allowedOrigins: config.current.allowedOrigins },
  };
  compare(`cycle ${cycle} on disk`, observed, ledger, figures);
  // Writes in flight at the kill: whatever reached the disk is now the saved state.
  for (const [serverId, state] of ledger.servers) if (state === 'either') ledger.servers.set(serverId, observed.servers.has(serverId) ? 'present' : 'absent');
  const n = writeNumber(observed.config.promptTimeoutMs);
  if (ledger.configInFlight.has(n)) ledger.configAcked = n;
  ledger.configInFlight.clear();
}

/** The restarted bridge must serve what was acknowledged. */
async function checkThroughApi(bridge: BridgeProcess, ledger: Ledger, figures: Kill9Figures): Promise<void> {
  const rules = await bridge.call<{ rules: Array<{ ruleId: string }> }>('GET', '/api/v1/system/permissions/commands');
  const servers = await bridge.call<{ servers: Array<{ serverId: string }> }>('GET', '/api/v1/mcp/servers');
  const settings = await bridge.call<{ promptTimeoutMs: number; allowedOrigins: string[] }>('GET', '/api/v1/ui/settings');
  for (const reply of [rules, servers, settings]) if (reply.status !== 200) unexpected(ledger, 'read after restart', reply as Reply);
  compare(`cycle ${figures.cycles - 1} after restart`, {
    rules: new Set(rules.body.rules.map((r) => r.ruleId)),
    servers: new Set(servers.body.servers.map((s) => s.serverId)),
    config: { promptTimeoutMs: settings.body.promptTimeoutMs, allowedOrigins: settings.body.allowedOrigins },
  }, ledger, figures);
}

function compare(where: string, observed: Observed, ledger: Ledger, figures: Kill9Figures): void {
  for (const ruleId of ledger.rules) {
    figures.checks++;
    if (!observed.rules.has(ruleId)) figures.lost.push(`${where}: acknowledged rule ${ruleId} is missing`);
  }
  for (const [serverId, state] of ledger.servers) {
    if (state === 'either') continue;
    figures.checks++;
    if (state === 'present' && !observed.servers.has(serverId)) figures.lost.push(`${where}: acknowledged server ${serverId} is missing`);
    if (state === 'absent' && observed.servers.has(serverId)) figures.lost.push(`${where}: server ${serverId}, acknowledged removed, is back`);
  }
  if (ledger.configAcked >= 0 || ledger.configInFlight.size > 0) {
    figures.checks++;
    const n = writeNumber(observed.config.promptTimeoutMs);
    if (n !== ledger.configAcked && !ledger.configInFlight.has(n)) {
      figures.lost.push(`${where}: settings write ${ledger.configAcked} was acknowledged, found ${n}`);
    } else if (n >= 0 && JSON.stringify(observed.config.allowedOrigins) !== JSON.stringify([origin(n)])) {
      figures.lost.push(`${where}: settings write ${n} is torn: allowedOrigins ${JSON.stringify(observed.config.allowedOrigins)}`);
    }
  }
}

async function tempFiles(home: string): Promise<string[]> {
  return (await readdir(home)).filter((name) => TEMP_FILE.test(name));
}
