import type { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { AlwaysOnSampler, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { memoryTracing } from '../../support/otel';

/**
 * A real SDK provider that records every span (AlwaysOn: an incoming
 * unsampled parent does not hide the span), ended spans kept in memory by a
 * SimpleSpanProcessor, and the AsyncLocalStorage context manager.
 */
export function recordingTracing() {
  return memoryTracing({ sampler: new AlwaysOnSampler() });
}

/** Waits until `find` returns spans (a span ends when its response closes, just after the client has it). */
export async function until<T>(find: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** What the no-lost-spans check keeps of a span: small, so that tens of thousands fit. */
export interface SpanRecord {
  kind: SpanKind;
  path: string;
  status: SpanStatusCode;
  message: string | undefined;
}

/** An exporter that keeps a small record of each span it is given (behind a SimpleSpanProcessor: one call per ended span). */
export class RecordingExporter implements SpanExporter {
  records: SpanRecord[] = [];

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const span of spans) {
      this.records.push({
        kind: span.kind,
        path: String(span.attributes['url.path'] ?? ''),
        status: span.status.code,
        message: span.status.message,
      });
    }
    done({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}
}
