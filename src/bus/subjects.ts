/**
 * Every bus subject the bridge uses, spelled once. All live under `osloop.<bridgeId>.` so that
 * several bridges can share one NATS server without hearing each other.
 */
export function subjectsFor(bridgeId: string) {
  const root = `osloop.${bridgeId}`;
  return {
    root,
    /** Request/reply: the HTTP layer asks the service behind route `routeId`. */
    rpc: (routeId: string) => `${root}.rpc.${routeId}`,
    /** The HTTP client of an `abortOnClose` route went away: `{ abortKey }` of its request. */
    rpcAbort: `${root}.internal.rpc-abort`,
    /** Internal request/reply between services (session verification, replay…). */
    internal: (name: string) => `${root}.internal.${name}`,
    /** A contract event as published by an actor or service, before it gets its `seq`. */
    event: (type: string) => `${root}.event.${type}`,
    allEvents: `${root}.event.>`,
    /** The same event once the event log numbered it: what sockets stream. */
    sequenced: (type: string) => `${root}.seq.${type}`,
    allSequenced: `${root}.seq.>`,
    /** One actor transition: state value, event type, redacted context summary. */
    actor: (kind: string, actorId: string) => `${root}.actor.${kind}.${actorId}`,
    allActors: `${root}.actor.>`,
  } as const;
}
export type Subjects = ReturnType<typeof subjectsFor>;

/** Ids become subject tokens, so they may hold no dots, wildcards or white space. */
export function isSubjectToken(value: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(value);
}
