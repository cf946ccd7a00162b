/**
 * The HTTP policy is read on every request, so a settings change applies to the very next one.
 * Building it afresh each time (an object and the allowed-origins array) was per-request work
 * (issue 15); this builds it again only when the source object changes identity, which the
 * config store guarantees on every update (it replaces its config, never mutates it).
 */
export function memoizeByConfig<Source extends object, Policy>(read: () => Source, build: (source: Source) => Policy): () => Policy {
  let builtFrom: Source | undefined;
  let built: Policy | undefined;
  return () => {
    const source = read();
    if (source !== builtFrom) {
      built = build(source);
      builtFrom = source;
    }
    return built as Policy;
  };
}
