/**
 * execa, imported at the first spawn: with its dependencies it is about a quarter of the ES
 * modules a start would otherwise load (~130 of ~500) and ~0.1 s of CPU, none of which the first
 * answer on /health needs (issue 15, cold start). Every use of execa goes through here.
 */
type ExecaModule = typeof import('execa');

let loading: Promise<ExecaModule> | undefined;
let loaded: ExecaModule | undefined;

export function loadExeca(): Promise<ExecaModule> {
  return (loading ??= import('execa').then((module) => (loaded = module)));
}

/** execa once `loadExeca()` has resolved, for callers that must spawn synchronously. */
export function loadedExeca(): ExecaModule | undefined {
  return loaded;
}
