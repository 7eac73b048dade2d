export { OtlpProtoExporter } from './export/otlp-proto-exporter.js';
export type { ExporterName, OtlpProtocol, PropagatorName, ProviderName, SetupOptions } from './options.js';
export { encodeTraceRequest } from './otlp/encode.js';
export { type TracewireProviderConfig, TracewireTracerProvider } from './provider/provider.js';
export { setupTracing, type Tracing } from './setup.js';
export { VERSION } from './version.js';
