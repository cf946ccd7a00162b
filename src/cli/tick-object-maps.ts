import { createHook } from 'node:async_hooks';

/** One of Node's own tick objects, kept for the life of the process (see below). */
let keptTickObject: object | undefined;

/**
 * Keeps one of `process.nextTick`'s own tick objects alive for the life of the process, so that a
 * full garbage collection never finds the maps (hidden classes) of tick objects unused.
 *
 * Why: Node builds each tick object with a literal, `{ [async_id_symbol]: …,
 * [trigger_async_id_symbol]: …, callback, args }` (Node 24 adds an async context frame), whose
 * keys V8 adds one by one through inline caches. Tick objects live for a turn of the loop; a full
 * collection between turns frees their maps, the next tick builds new ones, and after a few such
 * collections those caches go megamorphic for good. From then on every tick object is built
 * through V8's runtime: 9 ticks per HTTP request, 1.4–3.7 µs per request, in about half of the
 * bridge processes measured (docs/performance.md, round 10). A tick object kept alive keeps its
 * maps, and the caches stay monomorphic.
 *
 * Its two ids are rewritten as non-integral numbers first: V8 then holds the id fields as doubles,
 * the representation live tick objects reach anyway (their ids are read from a Float64Array), so
 * no later generalisation retires the kept object's maps. It is rewritten in its own callback,
 * after Node has read its ids. Resolves to whether an object was kept.
 */
export function keepTickObjectMapsAlive(): Promise<boolean> {
  if (keptTickObject) return Promise.resolve(true);
  return new Promise((resolve) => {
    let captured: Record<symbol, unknown> | undefined;
    const hook = createHook({
      init(_asyncId, type, _triggerAsyncId, resource) {
        if (type === 'TickObject') captured ??= resource as Record<symbol, unknown>;
      },
    });
    hook.enable();
    process.nextTick(() => {
      if (captured) {
        for (const key of Object.getOwnPropertySymbols(captured)) {
          if (key.description === 'async_id_symbol' || key.description === 'trigger_async_id_symbol') captured[key] = 0.5;
        }
        keptTickObject = captured;
      }
      resolve(captured !== undefined);
    });
    hook.disable();
  });
}
