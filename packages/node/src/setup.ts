import { context, diag, ProxyTracerProvider, propagation, type TracerProvider, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BatchSpanProcessor, TracerProvider as SdkTracerProvider } from '@opentelemetry/sdk-trace';
import { buildExporter } from './exporters.js';
import { resolveOptions, type SetupOptions } from './options.js';
import { buildPropagator } from './propagators.js';
import { TracewireTracerProvider } from './provider/provider.js';
import { buildSampler } from './sampler.js';

export interface Tracing {
  /**
   * The registered provider, e.g. to pass as `tracerProvider` to a middleware:
   * the SDK's `TracerProvider` of the line the app installed, typed as the API's
   * so that no SDK internals are promised. With `OTEL_SDK_DISABLED=true`, a no-op one.
   */
  tracerProvider: TracerProvider;
  /** Exports every finished span now. Never rejects. */
  forceFlush(): Promise<void>;
  /** Exports every finished span, then stops the exporters. Idempotent, never rejects. */
  shutdown(): Promise<void>;
}

/**
 * The one place that touches the OTel globals: registers the app's SDK
 * (`@opentelemetry/sdk-trace`, 2.x or 3.x) exporting through a
 * BatchSpanProcessor (bounded queue), the AsyncLocalStorage context manager
 * and the `OTEL_PROPAGATORS` propagator (W3C Trace Context + Baggage by
 * default). Throws on a bad option or variable before registering anything.
 */
export function setupTracing(options?: SetupOptions): Tracing {
  const resolved = resolveOptions(options);
  // As the OTel SDKs do: disabled means nothing is registered at all.
  if (resolved.disabled) {
    const done = () => Promise.resolve();
    return { tracerProvider: new ProxyTracerProvider(), forceFlush: done, shutdown: done };
  }
  const propagator = buildPropagator(resolved.propagators);
  const exporters = resolved.exporters.map(buildExporter);
  const common = {
    resource: resolved.resource,
    sampler: buildSampler(resolved.sampler),
    spanLimits: resolved.spanLimits,
  };
  const tracerProvider =
    resolved.provider === 'tracewire'
      ? new TracewireTracerProvider({ ...common, exporters, batch: resolved.batch })
      : new SdkTracerProvider({
          ...common,
          spanProcessors: exporters.map((exporter) => new BatchSpanProcessor({ ...resolved.batch, exporter })),
        });
  if (!trace.setGlobalTracerProvider(tracerProvider)) {
    void tracerProvider.shutdown();
    throw new Error(
      '@tracewire/node: a global tracer provider is already registered; call setupTracing() once per process',
    );
  }
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(propagator);

  // Exporters report their own failures (once); what is left, e.g. an export
  // that outlived the processor's timeout, is logged, not thrown at the app.
  const logged = (what: string) => (error: unknown) => diag.warn(`@tracewire/node: ${what} failed`, error);
  let shutdown: Promise<void> | undefined;
  return {
    tracerProvider,
    // The SDK's batch processor flushes into the exporters, which may still be sending (outage.ts answers a slow send early).
    forceFlush: () =>
      tracerProvider
        .forceFlush()
        .then(() => Promise.all(exporters.map((exporter) => exporter.forceFlush?.())))
        .then(() => undefined, logged('forceFlush')),
    shutdown: () => {
      shutdown ??= tracerProvider.shutdown().catch(logged('shutdown'));
      return shutdown;
    },
  };
}
