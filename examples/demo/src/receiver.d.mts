import type { DemoSpan } from './otlp-json.mjs';

export type { DemoSpan };

export interface Receiver {
  /** Base URL, e.g. for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  /** `${url}/v1/traces`, e.g. for OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. */
  tracesUrl: string;
  /** Every span received so far, in arrival order. */
  spans: DemoSpan[];
  /** The received spans of one trace. */
  trace(traceId: string): DemoSpan[];
  /** Resolves with all spans once `predicate(spans)` holds; rejects after `timeoutMs` (default 10 s). */
  waitFor(predicate: (spans: DemoSpan[]) => boolean, timeoutMs?: number): Promise<DemoSpan[]>;
  close(): Promise<void>;
}

/** Starts an OTLP/HTTP JSON receiver on `host` (default 127.0.0.1), `port` 0 = a free one. */
export function startReceiver(options?: { host?: string; port?: number }): Promise<Receiver>;
