import type { z } from 'zod';
import type { resolvePromptBodySchema } from '../contract/routes/permissions.js';
import type { PromptResolveResultFrame } from '../contract/ws-messages.js';
import { BridgeClientError } from './errors.js';
import type { EventSocket } from './socket.js';

/** A prompt's answer, exactly the resolve route's body (`decision`, and `ruleArgsPrefix`, `ruleScope` with a whitelist). */
export type PromptAnswer = z.input<typeof resolvePromptBodySchema>;

/** What the bridge answered: the resolve route's reply. */
export type PromptResolveResult = NonNullable<PromptResolveResultFrame['result']>;

interface Pending {
  resolve(result: PromptResolveResult): void;
  reject(error: BridgeClientError): void;
}

/**
 * Answers to prompts sent on the event socket (`prompt.resolve`), paired with their
 * `prompt.resolve.result` frames by the message `id`. A page whose HTTP connections are all held
 * by waiting executes answers this way. An answer whose socket closes before its result is
 * rejected `unavailable`: the bridge may or may not have applied it (a retry of an answered
 * prompt is a `conflict`).
 */
export class PromptAnswers {
  readonly #pending = new Map<string, Pending>();
  #next = 0;

  send(socket: EventSocket & { send(text: string): void }, promptId: string, answer: PromptAnswer): Promise<PromptResolveResult> {
    const id = `answer-${++this.#next}`;
    return new Promise<PromptResolveResult>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        socket.send(JSON.stringify({ type: 'prompt.resolve', id, promptId, ...answer }));
      } catch (error) {
        this.#pending.delete(id);
        reject(new BridgeClientError('unavailable', 'The event socket could not send the answer.', { cause: error }));
      }
    });
  }

  /** A `prompt.resolve.result` frame: settles the answer it names (frames for unknown ids are ignored). */
  settle(frame: PromptResolveResultFrame): void {
    const pending = frame.id === null ? undefined : this.#pending.get(frame.id);
    if (!pending) return;
    this.#pending.delete(frame.id!);
    if (frame.ok && frame.result) pending.resolve(frame.result);
    else {
      const error = frame.error ?? { code: 'internal' as const, message: 'The bridge answered without a result.' };
      pending.reject(new BridgeClientError(error.code, error.message, { ...(error.details ? { details: error.details } : {}) }));
    }
  }

  /** The socket went away: every answer still waiting is rejected `unavailable`. */
  failAll(reason: string): void {
    for (const pending of this.#pending.values()) pending.reject(new BridgeClientError('unavailable', `${reason}; the answer may or may not have been applied.`));
    this.#pending.clear();
  }
}
