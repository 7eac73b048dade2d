import type { SpanExporter } from '@opentelemetry/sdk-trace';

/** What an exporter reports of one export; `ExportResult` of `@opentelemetry/core`, not a peer of ours. */
export type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0];
export const SUCCESS = 0;
export const FAILED = 1;
