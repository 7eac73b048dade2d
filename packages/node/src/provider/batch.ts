import { type Context, context, diag, ROOT_CONTEXT, TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { suppressTracing } from '@tracewire/core';

/**
 * Exports run where OTel's `suppressTracing()` would put them, as in the
 * SDK's BatchSpanProcessor: an instrumented HTTP client inside the exporter
 * makes no spans (which would be exported in turn), and the export does not
 * run in the context of whichever request happened to end the batch.
 */
const SUPPRESSED = suppressTracing(ROOT_CONTEXT);

/** Resources whose detectors are still running; the SDK's processors wait for them before an export. */
function pendingResources(batch: ReadableSpan[]): Promise<unknown> | undefined {
  let pending: Promise<unknown>[] | undefined;
  for (const span of batch) {
    const resource = span.resource;
    if (resource.asyncAttributesPending && resource.waitForAsyncAttributes) {
      pending ??= [];
      pending.push(resource.waitForAsyncAttributes());
    }
  }
  return pending && Promise.all(pending);
}

export interface BatchSettings {
  maxQueueSize?: number;
  maxExportBatchSize?: number;
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
}

/**
 * Ended spans wait in a bounded buffer, in chunks of one export batch, and
 * go to the exporter a batch at a time: when a batch is full, or after the
 * scheduled delay. A full buffer drops new spans; the episode is reported in
 * one line when the buffer has drained (or at shutdown), with the count.
 */
export class BatchExport implements SpanProcessor {
  private readonly maxQueueSize: number;
  private readonly batchSize: number;
  private readonly delay: number;
  private readonly timeout: number;
  /** Full batches first, the one being filled last. */
  private readonly chunks: ReadableSpan[][] = [[]];
  private queued = 0;
  private exporting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private dropped = 0;
  private droppingSince = 0;
  private stopped = false;

  constructor(
    private readonly exporter: SpanExporter,
    settings: BatchSettings = {},
  ) {
    this.maxQueueSize = settings.maxQueueSize ?? 2048;
    // As the SDK: a batch never holds more than the queue.
    this.batchSize = Math.min(settings.maxExportBatchSize ?? 512, this.maxQueueSize);
    this.delay = settings.scheduledDelayMillis ?? 5000;
    this.timeout = settings.exportTimeoutMillis ?? 30000;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queued >= this.maxQueueSize) {
      if (this.dropped === 0) this.droppingSince = Date.now();
      this.dropped++;
      return;
    }
    let last = this.chunks[this.chunks.length - 1] as ReadableSpan[];
    if (last.length >= this.batchSize) {
      last = [];
      this.chunks.push(last);
    }
    last.push(span);
    this.queued++;
    if (this.chunks.length > 1 || last.length >= this.batchSize) this.drain();
    else this.timer ??= setTimeout(() => this.drain(), this.delay).unref();
  }

  /** Every ended span handed to the exporter, and the exporter's own sends done. */
  async forceFlush(): Promise<void> {
    await this.flushAll();
    await this.exporter.forceFlush?.();
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.flushAll();
    this.stopped = true;
    this.reportDropped();
    await this.exporter.shutdown();
  }

  /** Exports batch after batch until the buffer is empty. */
  private async flushAll(): Promise<void> {
    while (this.exporting !== undefined || this.queued > 0) {
      if (this.exporting === undefined) this.exportNext();
      await this.exporting;
    }
  }

  private drain(): void {
    if (this.exporting === undefined && this.queued > 0) this.exportNext();
  }

  private exportNext(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.chunks.shift() as ReadableSpan[];
    if (this.chunks.length === 0) this.chunks.push([]);
    this.queued -= batch.length;
    this.exporting = this.send(batch).finally(() => {
      this.exporting = undefined;
      if (this.dropped > 0 && this.queued <= this.maxQueueSize / 2) this.reportDropped();
      const next = this.chunks[0] as ReadableSpan[];
      if (this.chunks.length > 1 || next.length >= this.batchSize) this.drain();
      else if (this.queued > 0) this.timer ??= setTimeout(() => this.drain(), this.delay).unref();
    });
  }

  private send(batch: ReadableSpan[]): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        diag.warn(`@tracewire/node: an export took longer than ${this.timeout} ms; not waiting for it`);
        resolve();
      }, this.timeout).unref();
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const run = () => {
        try {
          context.with(SUPPRESSED, () => this.exporter.export(batch, done));
        } catch (error) {
          diag.warn('@tracewire/node: the exporter threw', error);
          done();
        }
      };
      const pending = pendingResources(batch);
      // The resources package turns a failed detector into a missing attribute, so this does not reject.
      if (pending === undefined) run();
      else void pending.then(run, run);
    });
  }

  private reportDropped(): void {
    if (this.dropped === 0) return;
    const seconds = ((Date.now() - this.droppingSince) / 1000).toFixed(1);
    diag.warn(
      `@tracewire/node: the span buffer (${this.maxQueueSize} spans) was full for ${seconds} s; ${this.dropped} spans dropped`,
    );
    this.dropped = 0;
  }
}
