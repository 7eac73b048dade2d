import { diag } from '@opentelemetry/api';

/**
 * How often a kept batch probes a backend that is down: recovery comes at
 * most this long after the backend answers again (plus one round trip), and
 * a dead backend gets at most 4 requests a second.
 */
export const PROBE_PERIOD_MS = 250;
/**
 * The timeout of a probe, when the sender can be given one: a port that
 * accepts and never answers then delays the next probe by 1 s, not by the
 * export timeout (10 s by default). A batch of 512 spans (some 100-300 KB)
 * still fits in it on a link of a few Mbit/s.
 */
export const PROBE_TIMEOUT_MS = 1_000;

/**
 * How long a healthy send may hold the span processor. A send that takes
 * longer (a backend that accepts and does not answer) is left to finish in
 * the background, so that the processor's queue (2,048 spans) does not fill
 * while it waits: up to ~6,000 spans/s no span is dropped by the queue, and
 * the outage, if it is one, is reported by this guard alone.
 */
export const PATIENCE_MS = 250;

/** What the guard sends, and how many spans each item holds. */
export interface Delivery<T> {
  /** One attempt, no retries; rejects with an Error saying why. A probe may get a shorter timeout. */
  send(item: T, kind: 'batch' | 'probe'): Promise<void>;
  spans(item: T): number;
}

interface Outage {
  since: number;
  dropped: number;
}

/** A healthy send that outlasted PATIENCE_MS: what arrives meanwhile is kept, as in an outage, but without a warning. */
type Slow = Outage;

const count = new Intl.NumberFormat('en-US');
const spansText = (n: number) => `${count.format(n)} span${n === 1 ? '' : 's'}`;
const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);
const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error ?? 'export failed'));

/**
 * The outage rules of docs/reliability.md, whatever is sent (our OTLP bodies,
 * or span arrays for an OTel exporter), so that they hold for every export
 * path:
 * - healthy: each item is sent; `submit` resolves when the send ends, or
 *   after PATIENCE_MS if it has not: while that send is still in flight, the
 *   newest item is kept (the one it replaces is dropped) and goes next;
 * - the first failed send starts an outage: one warning, its spans dropped;
 * - during an outage `submit` resolves at once and the newest item is kept
 *   (the one it replaces is dropped); every PROBE_PERIOD_MS the kept item is
 *   sent as a probe, one at a time;
 * - the first probe that succeeds ends the outage, with one info line giving
 *   its length and the spans dropped; what was kept meanwhile goes next.
 * `submit` never rejects: callers answer their span processor with success,
 * which would otherwise log every failure and make forceFlush() reject, while
 * the spans are dropped either way.
 */
export class OutageGuard<T> {
  private outage: Outage | undefined;
  private slow: Slow | undefined;
  /** The next probe: the newest item handed over during the outage. At most one, so memory is bounded. */
  private kept: T | undefined;
  private probing: Promise<void> | undefined;
  private readonly sending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly target: string,
    private readonly delivery: Delivery<T>,
    private readonly periodMs = PROBE_PERIOD_MS,
  ) {}

  /** True while the backend is taken to be down. */
  get down(): boolean {
    return this.outage !== undefined;
  }

  /** Resolves when the item is sent (healthy) or kept (outage). Never rejects. */
  submit(item: T): Promise<void> {
    const waiting = this.outage ?? this.slow;
    if (waiting) {
      this.keep(item, waiting);
      return Promise.resolve();
    }
    // After shutdown, and healthy: still one attempt, the processor may flush late.
    const sending = this.track(this.sendBatch(item));
    let patience: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      patience = setTimeout(() => {
        if (!this.outage) this.slow ??= { since: Date.now(), dropped: 0 };
        resolve();
      }, PATIENCE_MS);
      patience.unref();
    });
    return Promise.race([sending.finally(() => clearTimeout(patience)), waited]);
  }

  /** Waits for the sends and the probe in flight (each bounded by its timeout), not for an outage to end. */
  async forceFlush(): Promise<void> {
    // What is in flight now, and what a slow send's answer sends next (the
    // batch kept meanwhile): a few rounds, not until idle, since under steady
    // load new sends start all the time and a flush must end.
    for (let round = 0; round < 3 && (this.sending.size > 0 || this.probing); round++) {
      await Promise.all([...this.sending, this.probing]);
    }
  }

  /** Stops probing, waits for what is in flight, then sends what it keeps once more. Never rejects. */
  shutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    this.stopProbing();
    await this.forceFlush();
    const item = this.kept;
    this.kept = undefined;
    if (item !== undefined) await this.probe(item);
    await this.forceFlush();
    const outage = this.outage;
    if (outage) {
      // Handed over while stopping, after the last attempt.
      if (this.kept !== undefined) outage.dropped += this.delivery.spans(this.kept);
      this.kept = undefined;
      diag.info(
        `@tracewire/node: stopped while backend ${this.target} was down (for ${seconds(outage.since)} s); ${spansText(outage.dropped)} dropped`,
      );
    }
  }

  private track(sending: Promise<void>): Promise<void> {
    this.sending.add(sending);
    void sending.finally(() => this.sending.delete(sending));
    return sending;
  }

  private async sendBatch(item: T): Promise<void> {
    try {
      await this.delivery.send(item, 'batch');
    } catch (error) {
      this.failed(item, error);
      return;
    }
    this.caughtUp();
  }

  /** A slow send got its answer: the backend is up; what was kept meanwhile goes now. */
  private caughtUp(): void {
    const slow = this.slow;
    if (!slow) return;
    this.slow = undefined;
    if (slow.dropped > 0) {
      diag.info(
        `@tracewire/node: backend ${this.target} was slow to answer an export (${seconds(slow.since)} s past ${PATIENCE_MS} ms); ${spansText(slow.dropped)} dropped meanwhile`,
      );
    }
    const next = this.kept;
    this.kept = undefined;
    if (next !== undefined) void this.submit(next);
  }

  private failed(item: T, error: unknown): void {
    const spans = this.delivery.spans(item);
    if (this.outage) {
      this.outage.dropped += spans;
      return;
    }
    // A slow send that failed: the outage began when it was sent, and what it replaced counts.
    const slow = this.slow;
    this.slow = undefined;
    this.outage = { since: slow?.since ?? Date.now(), dropped: spans + (slow?.dropped ?? 0) };
    diag.warn(
      `@tracewire/node: cannot export spans to ${this.target} (${reasonOf(error)}); dropping them until it answers`,
    );
    if (this.stopping) return;
    this.timer = setInterval(() => this.tick(), this.periodMs);
    // A process with nothing else to do exits, outage or not.
    this.timer.unref();
  }

  private keep(item: T, outage: Outage): void {
    if (this.kept !== undefined) outage.dropped += this.delivery.spans(this.kept);
    this.kept = item;
  }

  private tick(): void {
    if (this.probing || this.kept === undefined) return;
    const item = this.kept;
    this.kept = undefined;
    void this.probe(item);
  }

  private probe(item: T): Promise<void> {
    const probing = this.delivery.send(item, 'probe').then(
      () => this.recovered(),
      () => {
        // Nothing newer arrived: the failed probe is still the freshest, and stays the next one.
        if (this.outage && this.kept === undefined && !this.stopping) this.kept = item;
        else if (this.outage) this.outage.dropped += this.delivery.spans(item);
      },
    );
    this.probing = probing.finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  /** Resolves once what was kept during the probe is sent too, so that a flush waits for it. */
  private recovered(): Promise<void> | undefined {
    const outage = this.outage;
    if (!outage) return undefined;
    this.outage = undefined;
    this.stopProbing();
    diag.info(
      `@tracewire/node: backend ${this.target} back after ${seconds(outage.since)} s; ${spansText(outage.dropped)} dropped`,
    );
    // Kept while the probe was in flight: newer than the probe, so it goes right after it.
    const next = this.kept;
    this.kept = undefined;
    return next === undefined ? undefined : this.track(this.sendBatch(next));
  }

  private stopProbing(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
