// The OTel SDK as an app registers it: NodeTracerProvider, BatchSpanProcessor,
// AsyncLocalStorage context manager, W3C propagators. Variants 3, 4 and 5 all
// use this, so they differ only in what makes the spans.
'use strict';

const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');

/** An exporter that drops every span: the SDK's cost without any export. */
const dropExporter = {
  export(_spans, done) {
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
};

function otlpExporter(url) {
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
  return new OTLPTraceExporter({ url });
}

function registerSdk(exporter) {
  // The SDK's defaults (and OTEL_BSP_* variables), as setupTracing() uses them.
  const processor = new BatchSpanProcessor(exporter);
  const provider = new NodeTracerProvider({ spanProcessors: [processor] });
  provider.register();
  return provider;
}

module.exports = { dropExporter, otlpExporter, registerSdk };
