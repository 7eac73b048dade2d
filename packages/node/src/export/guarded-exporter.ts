import { diag } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { type ExportResult, SUCCESS } from './export-result.js';
import { OutageGuard } from './outage.js';

/**
 * An exporter that never answers is given up after this long (the batch
 * processor's default export timeout), so that an outage probe cannot hang
 * forever. OTel's exporters answer within their own timeout.
 */
const ANSWER_DEADLINE_MS = 30_000;

/**
 * An exporter we do not own (OTel's http/json, gRPC, Zipkin and Jaeger
 * exporters, or the app's) behind the outage guard. Those exporters retry
 * inside one export until their timeout, so an outage is only seen once
 * that retry budget is spent, and a probe ends at their next retry.
 */
export class GuardedExporter implements SpanExporter {
  private readonly guard: OutageGuard<ReadableSpan[]>;

  constructor(
    private readonly inner: SpanExporter,
    target: string,
  ) {
    this.guard = new OutageGuard(target, { send: (spans) => exportOnce(inner, spans), spans: (spans) => spans.length });
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    void this.guard.submit(spans).then(() => resultCallback({ code: SUCCESS }));
  }

  async forceFlush(): Promise<void> {
    await this.guard.forceFlush();
    await settled(this.inner.forceFlush?.(), 'forceFlush');
  }

  async shutdown(): Promise<void> {
    await this.guard.shutdown();
    await settled(this.inner.shutdown(), 'shutdown');
  }
}

/** One export through `inner` as a promise: rejects on a failed result, a throw, or no answer in time. */
function exportOnce(inner: SpanExporter, spans: ReadableSpan[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_DEADLINE_MS} ms`)), ANSWER_DEADLINE_MS);
    timer.unref();
    const done = (result: ExportResult) => {
      clearTimeout(timer);
      if (result.code === SUCCESS) resolve();
      else reject(result.error ?? new Error('export failed'));
    };
    try {
      inner.export(spans, done);
    } catch (error) {
      clearTimeout(timer);
      reject(error);
    }
  });
}

/** The inner exporter's flush or shutdown, never rejecting: its failures were reported by the guard. */
async function settled(result: Promise<void> | undefined, what: string): Promise<void> {
  try {
    await result;
  } catch (error) {
    diag.debug(`@tracewire/node: the exporter's ${what} failed`, error);
  }
}
