import { context, diag, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { defaultPropagator } from '@tracewire/core';
import { buildExporter } from './exporters.js';
import { resolveOptions, type SetupOptions } from './options.js';
import { buildSampler } from './sampler.js';

export interface Tracing {
  /** The registered provider, e.g. to pass as `tracerProvider` to a middleware. */
  tracerProvider: NodeTracerProvider;
  /** Exports every finished span now. Never rejects. */
  forceFlush(): Promise<void>;
  /** Exports every finished span, then stops the exporters. Idempotent, never rejects. */
  shutdown(): Promise<void>;
}

/**
 * The one place that touches the OTel globals: registers a NodeTracerProvider
 * exporting through a BatchSpanProcessor (bounded queue), the
 * AsyncLocalStorage context manager and the W3C Trace Context + Baggage
 * propagator. Throws on a bad option before registering anything.
 */
export function setupTracing(options?: SetupOptions): Tracing {
  const resolved = resolveOptions(options);
  const exporters = resolved.exporters.map(buildExporter);
  const tracerProvider = new NodeTracerProvider({
    resource: resolved.resource,
    sampler: buildSampler(resolved.sampler),
    spanProcessors: exporters.map((exporter) => new BatchSpanProcessor(exporter)),
  });
  if (!trace.setGlobalTracerProvider(tracerProvider)) {
    void tracerProvider.shutdown();
    throw new Error(
      '@tracewire/node: a global tracer provider is already registered; call setupTracing() once per process',
    );
  }
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(defaultPropagator());

  // Exporters report their own failures (once); what is left, e.g. an export
  // that outlived the processor's timeout, is logged, not thrown at the app.
  const logged = (what: string) => (error: unknown) => diag.warn(`@tracewire/node: ${what} failed`, error);
  let shutdown: Promise<void> | undefined;
  return {
    tracerProvider,
    forceFlush: () => tracerProvider.forceFlush().catch(logged('forceFlush')),
    shutdown: () => {
      shutdown ??= tracerProvider.shutdown().catch(logged('shutdown'));
      return shutdown;
    },
  };
}
