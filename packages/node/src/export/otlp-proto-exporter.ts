import { diag } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { encodeTraceRequest } from '../otlp/encode.js';
import { type ExportResult, SUCCESS } from './export-result.js';
import { OtlpHttpSender, type OtlpHttpSenderConfig } from './otlp-http-sender.js';
import { type OtlpHttpSettings, resolveOtlpHttpSettings } from './otlp-settings.js';
import { OutageGuard, PROBE_TIMEOUT_MS } from './outage.js';

interface Batch {
  body: Uint8Array;
  spans: number;
}

/**
 * OTLP over HTTP with protobuf bodies: our encoder, one POST per batch and
 * the outage guard. Unlike OTel's exporter it does not retry inside an
 * export, so the guard sees an outage at the first failed POST, while the
 * batch processor's queue is still far from full.
 */
export class OtlpProtoExporter implements SpanExporter {
  private readonly config: OtlpHttpSenderConfig;
  private readonly sender: OtlpHttpSender;
  private readonly guard: OutageGuard<Batch>;

  /** Settings left out are read from the `OTEL_EXPORTER_OTLP_*` variables, as setupTracing reads them. */
  constructor(options: { url: string } & Partial<OtlpHttpSettings>) {
    const { url, headers, timeoutMillis, compression } = options;
    let env: OtlpHttpSettings | undefined;
    const fromEnv = () => {
      env ??= resolveOtlpHttpSettings(process.env);
      return env;
    };
    const config: OtlpHttpSenderConfig = {
      url,
      headers: headers ?? fromEnv().headers,
      timeoutMillis: timeoutMillis ?? fromEnv().timeoutMillis,
      compression: compression ?? fromEnv().compression,
    };
    this.config = config;
    this.sender = new OtlpHttpSender(config);
    const probeTimeout = Math.min(PROBE_TIMEOUT_MS, config.timeoutMillis);
    this.guard = new OutageGuard<Batch>(config.url, {
      send: (batch, kind) => this.sender.send(batch.body, kind === 'probe' ? probeTimeout : config.timeoutMillis),
      spans: (batch) => batch.spans,
    });
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let body: Uint8Array;
    try {
      body = encodeTraceRequest(spans);
    } catch (error) {
      // Our bug, not the backend's: this batch only; the processor is not told, it would log it again.
      const reason = error instanceof Error ? error.message : String(error);
      diag.error(
        `@tracewire/node: cannot encode ${spans.length} spans for ${this.config.url} (${reason}); dropped them`,
      );
      resultCallback({ code: SUCCESS });
      return;
    }
    void this.guard.submit({ body, spans: spans.length }).then(() => resultCallback({ code: SUCCESS }));
  }

  forceFlush(): Promise<void> {
    return this.guard.forceFlush();
  }

  async shutdown(): Promise<void> {
    await this.guard.shutdown();
    this.sender.close();
  }
}
