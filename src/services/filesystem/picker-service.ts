import { type AnyActorRef } from 'xstate';
import { pickerView, type FilePickerContext } from '../../../machines/filePicker.machine.js';
import { BridgeError } from '../../contract/errors.js';
import { sharesScope } from '../../contract/principal.js';
import type { PickerView } from '../../contract/routes/filesystem.js';
import { ROUTES } from '../../contract/routes/index.js';
import { checkPickedPaths } from '../../filesystem/picked-paths.js';
import type { TargetRegistry } from '../../filesystem/targets.js';
import { isoAt } from '../../runtime/clock.js';
import { serveRoute } from '../serve-route.js';
import type { RunningService, ServiceContext } from '../service-context.js';
import { newId } from '../session/token.js';

/** Finished pickers kept for `GET /filesystem/pickers/:id` after their actor is gone. */
const FINISHED_KEPT = 200;

export interface PickerServiceDeps {
  targets: TargetRegistry;
  /** The native dialog this machine can show, or why none. */
  nativeDialog: () => Promise<{ name: string } | { name: null; reason: string }>;
}

/**
 * File pickers: `select` spawns a picker actor and answers at once (202); the user answers in
 * the native dialog (the actor shows it) or in the bridge UI (`/ui/pickers`). The UI counts as
 * open while it keeps listing pickers; with neither a dialog nor an open UI, select is 501.
 */
export function startPickerService(ctx: ServiceContext, deps: PickerServiceDeps): RunningService {
  const { bus, subjects, runtime, clock, config } = ctx;
  const live = new Map<string, AnyActorRef>();
  const finished = new Map<string, PickerView>();
  let uiSeenAt: number | null = null;

  const viewOf = (ref: AnyActorRef): PickerView => {
    const snapshot = ref.getSnapshot();
    const state = snapshot.status === 'done' ? (snapshot.value as PickerView['state']) : 'pending';
    return pickerView(snapshot.context as FilePickerContext, state);
  };
  const find = (pickerId: string): PickerView => {
    const ref = live.get(pickerId);
    if (ref) return viewOf(ref);
    const view = finished.get(pickerId);
    if (!view) throw new BridgeError('not_found', `No picker ${pickerId}.`);
    return view;
  };
  const uiOpen = () => uiSeenAt !== null && clock.now() - uiSeenAt <= config.current.filesystem.uiPresenceMs;

  const subscriptions = [
    serveRoute(bus, subjects, ROUTES.filesystemSelect, async ({ principal, body }) => {
      const native = config.current.filesystem.nativePicker === 'off' ? { name: null, reason: 'native dialogs are turned off (filesystem.nativePicker)' } : await deps.nativeDialog();
      if (native.name === null && !uiOpen()) {
        const reason = `no native file dialog (${native.reason}) and the bridge UI is not open to ask the user`;
        throw new BridgeError('unsupported', `Cannot ask the user to pick: ${reason}.`, { details: { reason } });
      }
      const pickerId = newId('pick');
      const now = clock.now();
      const ref = runtime.spawn('filePicker', pickerId, {
        pickerId,
        kind: body.kind,
        multiple: body.multiple,
        title: body.title ?? null,
        access: body.access,
        requestedBy: principal,
        timeoutMs: body.timeoutMs,
        createdAt: isoAt(now),
        expiresAt: isoAt(now + body.timeoutMs),
        native: native.name,
      });
      live.set(pickerId, ref);
      ref.subscribe({
        complete: () => {
          finished.set(pickerId, viewOf(ref));
          live.delete(pickerId);
          if (finished.size > FINISHED_KEPT) finished.delete(finished.keys().next().value!);
        },
      });
      return viewOf(ref);
    }),

    // Another origin's picker is as unknown as one that never was (its paths are that origin's).
    serveRoute(bus, subjects, ROUTES.filesystemPickersGet, async ({ principal, params, query }) => {
      const visible = () => {
        const view = find(params.pickerId);
        if (!sharesScope(principal, view.requestedBy)) throw new BridgeError('not_found', `No picker ${params.pickerId}.`);
        return view;
      };
      visible();
      const ref = live.get(params.pickerId);
      if (ref && query.waitMs > 0) await settledOrTimeout(ref, query.waitMs);
      return visible();
    }),

    serveRoute(bus, subjects, ROUTES.uiPickersList, () => {
      uiSeenAt = clock.now();
      return { pickers: [...live.values()].map(viewOf).filter((view) => view.state === 'pending') };
    }),

    serveRoute(bus, subjects, ROUTES.uiPickersResolve, async ({ params, body }) => {
      uiSeenAt = clock.now();
      const pending = () => {
        const view = find(params.pickerId);
        if (view.state !== 'pending') throw new BridgeError('conflict', `The picker is already ${view.state}.`, { details: { state: view.state } });
        return live.get(params.pickerId)!;
      };
      const request = pending();
      const at = isoAt(clock.now());
      if ('cancelled' in body) {
        request.send({ type: 'picker.cancel', at });
      } else {
        const context = request.getSnapshot().context as FilePickerContext;
        const reals = await checkPickedPaths(body.paths, context);
        // The picker may have ended while the paths were checked: answer only a pending one.
        const stillPending = pending();
        const targets = await deps.targets.addPicked(reals, context.kind, context.access, context.requestedBy);
        stillPending.send({ type: 'picker.answer', targets, at });
      }
      return find(params.pickerId);
    }),
  ];

  return {
    stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}

/** Resolves when the actor is done or after `ms`, whichever comes first. */
function settledOrTimeout(ref: AnyActorRef, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(finish, ms);
    const subscription = ref.subscribe({ complete: finish, error: finish });
    function finish() {
      clearTimeout(timer);
      subscription.unsubscribe();
      resolve();
    }
    if (ref.getSnapshot().status !== 'active') finish();
  });
}
