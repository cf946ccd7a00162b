import { createInbox, errors as natsErrors, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/** How often deadlines are checked: a request times out at most this much after its deadline. */
const SWEEP_MS = 100;

interface PendingReply {
  subject: string;
  deadline: number;
  resolve: (msg: Msg) => void;
  reject: (error: Error) => void;
}

/**
 * The fleet client's requests, over one reply subscription of its own (`<inbox>.<token>`) and a
 * plain publish, doing the same NATS work as `nc.request` (one message out with a reply subject,
 * one back, no-responders statuses seen) without its per-request costs: `nc.request` builds three
 * `Error` objects per request (two for async stack traces, one more to cancel after every reply,
 * each capturing the stack) and a timer, ≈40 µs of CPU per request in the fleet bench (docs/fleet.md,
 * "Cost"). Deadlines are checked by one sweep timer that runs only while requests are pending.
 * The inbox honours the connection's `inboxPrefix`, which the orchestrator's subscribe
 * permission is written for.
 */
export class ReplyMux {
  private readonly prefix: string;
  private readonly pending = new Map<string, PendingReply>();
  private subscription: Subscription | undefined;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private lastToken = 0;

  constructor(private readonly nc: NatsConnection) {
    const inboxPrefix = (nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
    this.prefix = `${createInbox(inboxPrefix)}.`;
  }

  /** Publishes `data` to `subject` and resolves with the first reply; rejects with nats.js's `TimeoutError`, `NoRespondersError` or a connection error. */
  request(subject: string, data: string | Uint8Array, timeoutMs: number): Promise<Msg> {
    return new Promise<Msg>((resolve, reject) => {
      const token = (++this.lastToken).toString(36);
      try {
        this.subscription ??= this.subscribe();
        this.pending.set(token, { subject, deadline: Date.now() + timeoutMs, resolve, reject });
        this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS);
        this.nc.publish(subject, data, { reply: this.prefix + token });
      } catch (error) {
        this.pending.delete(token);
        reject(error as Error);
      }
    });
  }

  /** Stops listening for replies; requests still pending fail. */
  close(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.failAll(new natsErrors.RequestError('fleet client stopped'));
  }

  private subscribe(): Subscription {
    const subscription = this.nc.subscribe(`${this.prefix}*`, {
      callback: (error, msg) => {
        if (error) return this.failAll(error);
        const token = msg.subject.slice(this.prefix.length);
        const waiting = this.pending.get(token);
        if (!waiting) return;
        this.pending.delete(token);
        if (msg.data.length === 0 && msg.headers?.code === 503) waiting.reject(new natsErrors.NoRespondersError(waiting.subject));
        else waiting.resolve(msg);
      },
    });
    void subscription.closed.then(() => {
      if (this.subscription === subscription) this.subscription = undefined;
      this.failAll(new natsErrors.RequestError('connection closed'));
    });
    return subscription;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [token, waiting] of this.pending) {
      if (waiting.deadline > now) continue;
      this.pending.delete(token);
      waiting.reject(new natsErrors.TimeoutError());
    }
    if (this.pending.size === 0) this.stopSweeping();
  }

  private failAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
    this.stopSweeping();
  }

  private stopSweeping(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}
