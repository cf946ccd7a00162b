/** What `f` throws, for matching a refusal of the synchronous filesystem steps; fails if it returns. */
export function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal, but the call returned');
}
