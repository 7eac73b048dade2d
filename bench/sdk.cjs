// The OTel SDK as an app registers it: a TracerProvider with a BatchSpanProcessor,
// the AsyncLocalStorage context manager and the W3C propagators, which is what
// NodeTracerProvider.register() did on 2.x and what both SDK lines offer. Variants 3, 4 and 5 all
// use this, so they differ only in what makes the spans.
'use strict';

const { context, propagation, trace } = require('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = require('@opentelemetry/core');
const { BatchSpanProcessor, TracerProvider } = require('@opentelemetry/sdk-trace');

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

/** OTLP/HTTP protobuf through our own encoder and sender, the exporter setupTracing() builds by default. */
function ourOtlpExporter(url) {
  const { OtlpProtoExporter } = require('@tracewire/node');
  return new OtlpProtoExporter({ url });
}

/** ours: @tracewire/node's own provider (its batch buffer, same defaults) instead of the SDK's. */
function registerSdk(exporter, { ours = false } = {}) {
  // The SDK's defaults (and OTEL_BSP_* variables), as setupTracing() uses them.
  const provider = ours
    ? new (require('@tracewire/node').TracewireTracerProvider)({ exporters: [exporter] })
    : new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter })] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  return provider;
}

module.exports = { dropExporter, otlpExporter, ourOtlpExporter, registerSdk };
