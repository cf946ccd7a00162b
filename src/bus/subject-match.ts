import { InvalidSubject } from './errors.js';

/**
 * NATS subject rules, and the subscription index the in-process bus looks subjects up in.
 *
 * Tokens are split on `.`; `*` matches exactly one token, `>` (last token only) one or more. A
 * token is a wildcard only when it is exactly `*` or `>`: `a*b` is a literal, as in nats-server.
 */

const WHITESPACE = /\s/;

/** Why `subject` is not a valid subject, or `undefined` when it is. */
function subjectProblem(subject: string, wildcards: boolean): string | undefined {
  if (typeof subject !== 'string' || subject.length === 0) return 'it is empty';
  if (WHITESPACE.test(subject)) return 'it contains white space';
  const tokens = subject.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === '') return 'it has an empty token';
    if (token === '*' || token === '>') {
      if (!wildcards) return `wildcard "${token}" is not allowed here`;
      if (token === '>' && i !== tokens.length - 1) return '">" may only be the last token';
    }
  }
  return undefined;
}

/** Throws `InvalidSubject` unless `subject` is a literal subject one can publish to. */
export function validatePublishSubject(subject: string): void {
  const problem = subjectProblem(subject, false);
  if (problem) throw new InvalidSubject(subject, problem);
}

/** Throws `InvalidSubject` unless `subject` is a valid subscription subject (wildcards allowed). */
export function validateSubscriptionSubject(subject: string): void {
  const problem = subjectProblem(subject, true);
  if (problem) throw new InvalidSubject(subject, problem);
}

/** Throws `InvalidSubject` unless `queue` is usable as a queue group name. */
export function validateQueueName(subject: string, queue: string): void {
  if (typeof queue !== 'string' || queue.length === 0 || WHITESPACE.test(queue)) {
    throw new InvalidSubject(subject, `queue group ${JSON.stringify(queue)} must be non-empty without white space`);
  }
}

/** Whether subscription `pattern` matches literal `subject` (both assumed valid). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

interface TrieNode<T> {
  readonly children: Map<string, TrieNode<T>>;
  /** Values whose pattern ends at this node, in insertion order. */
  readonly entries: Entry<T>[];
}

interface Entry<T> {
  readonly seq: number;
  readonly value: T;
}

const newNode = <T>(): TrieNode<T> => ({ children: new Map(), entries: [] });

/**
 * Subscription patterns in a token trie, with lookups cached per published subject.
 *
 * Why both: a publish usually hits the cache (the app publishes on a small, stable set of
 * subjects), so delivery costs one Map lookup; on a miss the trie visits only the branches that
 * can match instead of scanning every subscription. Any change clears the cache, which is cheap
 * because subscriptions change rarely compared with publishes. Matches come back in insertion
 * (subscription) order, so handlers run in the order they subscribed.
 *
 * Measured on this machine with the app's subjects (17 subscriptions; 1017 with per-actor ones):
 * a linear scan with `subjectMatches` does 0.13 M lookups/s (0.004 M), the trie alone 0.66 M
 * (0.21 M), a cache hit 41 M (18 M).
 */
export class SubjectIndex<T> {
  readonly #root: TrieNode<T> = newNode();
  readonly #cache = new Map<string, readonly T[]>();
  readonly #cacheLimit: number;
  #seq = 0;
  #size = 0;

  constructor(options: { cacheLimit?: number } = {}) {
    this.#cacheLimit = options.cacheLimit ?? 4096;
  }

  /** Number of (pattern, value) pairs held. */
  get size(): number {
    return this.#size;
  }

  /** Adds `value` under subscription `pattern`; throws `InvalidSubject` for a bad pattern. */
  add(pattern: string, value: T): void {
    validateSubscriptionSubject(pattern);
    let node = this.#root;
    for (const token of pattern.split('.')) {
      let child = node.children.get(token);
      if (!child) node.children.set(token, (child = newNode()));
      node = child;
    }
    node.entries.push({ seq: this.#seq++, value });
    this.#size++;
    this.#cache.clear();
  }

  /** Removes `value` from `pattern`, pruning emptied branches; false when it was not there. */
  remove(pattern: string, value: T): boolean {
    const path: [TrieNode<T>, string][] = [];
    let node = this.#root;
    for (const token of pattern.split('.')) {
      const child = node.children.get(token);
      if (!child) return false;
      path.push([node, token]);
      node = child;
    }
    const at = node.entries.findIndex((entry) => entry.value === value);
    if (at === -1) return false;
    node.entries.splice(at, 1);
    // Prune so that short-lived subjects (per actor, per socket) do not grow the trie forever.
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, token] = path[i]!;
      const child = parent.children.get(token)!;
      if (child.entries.length > 0 || child.children.size > 0) break;
      parent.children.delete(token);
    }
    this.#size--;
    this.#cache.clear();
    return true;
  }

  /**
   * Whether any pattern matches literal `subject` (what `match(subject).length > 0` says), without
   * building or caching the list: callers ask it for subjects that carry ids and never repeat
   * (one per actor), which would only churn the cache. Throws `InvalidSubject` for a bad subject.
   */
  has(subject: string): boolean {
    const cached = this.#cache.get(subject);
    if (cached) return cached.length > 0;
    validatePublishSubject(subject);
    return anyMatch(this.#root, subject.split('.'), 0);
  }

  /** Values whose pattern matches literal `subject`; throws `InvalidSubject` for a bad subject. */
  match(subject: string): readonly T[] {
    const cached = this.#cache.get(subject);
    if (cached) return cached;
    validatePublishSubject(subject);
    const found: Entry<T>[] = [];
    collect(this.#root, subject.split('.'), 0, found);
    if (found.length > 1) found.sort((a, b) => a.seq - b.seq);
    const values = Object.freeze(found.map((entry) => entry.value));
    // FIFO eviction keeps memory bounded when subjects carry ids (actors, runs) that never repeat.
    if (this.#cache.size >= this.#cacheLimit) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(subject, values);
    return values;
  }
}

function anyMatch<T>(node: TrieNode<T>, tokens: string[], i: number): boolean {
  if (i === tokens.length) return node.entries.length > 0;
  // `>` matches the one or more tokens left from here.
  const rest = node.children.get('>');
  if (rest && rest.entries.length > 0) return true;
  const literal = node.children.get(tokens[i]!);
  if (literal && anyMatch(literal, tokens, i + 1)) return true;
  const one = node.children.get('*');
  return one !== undefined && anyMatch(one, tokens, i + 1);
}

function collect<T>(node: TrieNode<T>, tokens: string[], i: number, out: Entry<T>[]): void {
  if (i === tokens.length) {
    out.push(...node.entries);
    return;
  }
  const rest = node.children.get('>');
  if (rest) out.push(...rest.entries);
  const literal = node.children.get(tokens[i]!);
  if (literal) collect(literal, tokens, i + 1, out);
  const one = node.children.get('*');
  if (one) collect(one, tokens, i + 1, out);
}
