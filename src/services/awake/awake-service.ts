import { waitFor, type AnyActorRef } from 'xstate';
import { lockView, type AwakeLockContext, type ReleaseCause } from '../../../machines/awakeLock.machine.js';
import { awakeState, type InhibitorContext } from '../../../machines/inhibitor.machine.js';
import { BridgeError } from '../../contract/errors.js';
import { sharesScope, type Principal } from '../../contract/principal.js';
import type { AwakeLock } from '../../contract/routes/awake.js';
import { ROUTES } from '../../contract/routes/index.js';
import { isoAt } from '../../runtime/clock.js';
import { serveRoute } from '../serve-route.js';
import type { RunningService, ServiceContext } from '../service-context.js';
import { newId } from '../session/token.js';
import { awakeAcquireRequestSchema, awakeReleaseRequestSchema, awakeSubjects, type AwakeAcquireReply, type AwakeReleaseReply } from './awake-api.js';

/** The one inhibitor actor's id. */
export const INHIBITOR_ACTOR_ID = 'awake_inhibitor';

/**
 * Serves the awake routes and the internal API: spawns one lock actor per lock, tells the
 * inhibitor actor which reasons are held, and releases every lock when the bridge stops.
 */
export function startAwakeService(ctx: ServiceContext, options: { inhibitorName: string }): RunningService {
  const { bus, subjects, runtime, clock, config, capabilities } = ctx;
  const settings = config.current.awake;
  const inhibitor = runtime.spawn('inhibitor', INHIBITOR_ACTOR_ID, {
    name: options.inhibitorName,
    backoff: { ...settings.restart },
  });
  const locks = new Map<string, AnyActorRef>();

  const lockContext = (ref: AnyActorRef) => ref.getSnapshot().context as AwakeLockContext;
  const syncInhibitor = () => inhibitor.send({ type: 'locks.changed', reasons: [...locks.values()].map((ref) => lockContext(ref).reason) });

  // Once the probe answered, the status (and the capability) can be told truthfully.
  const probed = waitFor(inhibitor, (snapshot) => !snapshot.matches('probing'), { timeout: settings.probeTimeoutMs + 5_000 })
    .then((snapshot) => {
      const context = snapshot.context as InhibitorContext;
      capabilities.set('awake', context.supported ? { available: true } : { available: false, reason: context.reason ?? 'unsupported' });
      return true;
    })
    .catch(() => false);

  const inhibitorView = () => {
    const snapshot = inhibitor.getSnapshot();
    return awakeState(snapshot.context as InhibitorContext, String(snapshot.value));
  };

  async function acquire(request: { reason: string; holder: Principal; runId?: string; ttlMs?: number }, refuseUnsupported: boolean): Promise<AwakeLock> {
    await probed;
    const state = inhibitorView();
    if (refuseUnsupported && !state.supported) {
      throw new BridgeError('unsupported', `This machine cannot be kept awake: ${state.reason ?? 'no inhibitor works here'}.`, {
        details: { reason: state.reason ?? 'unsupported' },
      });
    }
    const lockId = newId('lock');
    const now = clock.now();
    const ttlMs = request.ttlMs ?? null;
    const ref = runtime.spawn('awakeLock', lockId, {
      lockId,
      reason: request.reason,
      holder: request.holder,
      runId: request.runId ?? null,
      ttlMs,
      acquiredAt: isoAt(now),
      expiresAt: ttlMs === null ? null : isoAt(now + ttlMs),
    });
    locks.set(lockId, ref);
    ref.subscribe({
      complete: () => {
        locks.delete(lockId);
        syncInhibitor();
      },
    });
    syncInhibitor();
    return lockView(lockContext(ref));
  }

  function release(lockId: string, cause: ReleaseCause | undefined): boolean {
    const ref = locks.get(lockId);
    if (!ref) return false;
    ref.send({ type: 'lock.release', cause: cause ?? (lockContext(ref).runId ? 'run_ended' : 'released') });
    return true;
  }

  const api = awakeSubjects(subjects);
  const subscriptions = [
    // Origins are isolated: a session lists and releases only its own origin's locks (another
    // origin's lock is as unknown to it as a released one); the local UI sees and releases all.
    // Whether the machine is kept awake at all stays everyone's to know.
    serveRoute(bus, subjects, ROUTES.awakeStatus, async ({ principal }) => {
      await probed;
      const visible = [...locks.values()].map(lockContext).filter((lock) => sharesScope(principal, lock.holder));
      return { ...inhibitorView(), locks: visible.map(lockView) };
    }),
    serveRoute(bus, subjects, ROUTES.awakeAcquire, ({ principal, body }) =>
      acquire({ reason: body.reason, holder: principal, ...(body.ttlMs !== undefined ? { ttlMs: body.ttlMs } : {}) }, true),
    ),
    serveRoute(bus, subjects, ROUTES.awakeRelease, ({ principal, body }) => {
      const ref = locks.get(body.lockId);
      const mine = ref !== undefined && sharesScope(principal, lockContext(ref).holder);
      return { lockId: body.lockId, released: mine && release(body.lockId, 'released') };
    }),
    bus.serve(api.acquire, async (data): Promise<AwakeAcquireReply> => {
      const request = parseInternal(awakeAcquireRequestSchema, data);
      const lock = await acquire(request, false);
      return { lockId: lock.lockId, supported: inhibitorView().supported };
    }),
    bus.serve(api.release, (data): AwakeReleaseReply => {
      const request = parseInternal(awakeReleaseRequestSchema, data);
      return { lockId: request.lockId, released: release(request.lockId, request.cause) };
    }),
  ];

  // Locks end with the bridge; say so before the actors are stopped without a word.
  const watchStop = runtime.root.subscribe((snapshot) => {
    if (!snapshot.matches('stopping')) return;
    for (const lockId of [...locks.keys()]) release(lockId, 'bridge_stopping');
  });

  return {
    stop() {
      watchStop.unsubscribe();
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}

function parseInternal<T>(schema: { safeParse(data: unknown): { success: true; data: T } | { success: false; error: { message: string } } }, data: unknown): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new BridgeError('invalid_request', `Invalid internal awake request: ${parsed.error.message}`);
  return parsed.data;
}
