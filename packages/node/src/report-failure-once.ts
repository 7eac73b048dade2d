import { diag } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/** What an exporter reports of one export; `ExportResultCode` of `@opentelemetry/core`, not a peer of ours. */
type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0];
const SUCCESS = 0;
const FAILED = 1;

/**
 * Wraps an exporter so that an unreachable backend is reported once per
 * outage through the OTel diagnostic logger instead of once per batch. It
 * tells the span processor every export succeeded: the processor would
 * otherwise log each failure and make forceFlush()/shutdown() reject, while
 * the spans are dropped either way.
 *
 * During an outage it answers at once and lets one batch at a time probe the
 * backend, dropping the others. Waiting for each export to time out instead
 * would keep the processor's queue full, and the processor warns about every
 * round of spans it then drops: one more log line per export timeout, for as
 * long as the outage lasts.
 */
export class ReportFailureOnce implements SpanExporter {
  private failing = false;
  /** The export that probes the backend during an outage; at most one at a time. */
  private probe: Promise<void> | undefined;
  private dropped = 0;

  constructor(
    private readonly inner: SpanExporter,
    private readonly target: string,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (!this.failing) {
      this.send(spans, resultCallback);
      return;
    }
    if (this.probe === undefined) {
      this.probe = new Promise<void>((resolve) => this.send(spans, () => resolve())).finally(() => {
        this.probe = undefined;
      });
    } else {
      this.dropped += spans.length;
    }
    resultCallback({ code: SUCCESS });
  }

  private send(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let called = false;
    const done = (result: ExportResult) => {
      if (called) return;
      called = true;
      if (result.code === SUCCESS) {
        this.recovered();
      } else {
        this.dropped += spans.length;
        this.report(result.error);
      }
      resultCallback({ code: SUCCESS });
    };
    try {
      this.inner.export(spans, done);
    } catch (error) {
      done({ code: FAILED, error: error as Error });
    }
  }

  private report(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    const reason = error instanceof Error ? error.message : String(error ?? 'export failed');
    diag.warn(`@tracewire/node: cannot export spans to ${this.target} (${reason}); dropping them until it answers`);
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    diag.info(
      `@tracewire/node: exporting spans to ${this.target} again (${this.dropped} spans were dropped meanwhile)`,
    );
    this.dropped = 0;
  }

  async shutdown(): Promise<void> {
    await this.probe;
    await this.inner.shutdown();
  }

  async forceFlush(): Promise<void> {
    await this.probe;
    await this.inner.forceFlush?.();
  }
}
