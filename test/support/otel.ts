import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/**
 * Which provider the suites record with: ours, setupTracing()'s default, or
 * the OTel SDK's with `TRACEWIRE_PROVIDER=otel` (`pnpm test:sdk`), the
 * variable that also makes setupTracing() in the apps the tests start choose it.
 */
export const TEST_PROVIDER = process.env.TRACEWIRE_PROVIDER === 'otel' ? 'otel' : 'tracewire';

/**
 * A real tracer provider (the SDK's, or ours: see TEST_PROVIDER) that keeps
 * finished spans in memory through the SDK's own SimpleSpanProcessor, and the
 * AsyncLocalStorage context manager that the Node SDK registers in an app.
 */
export function memoryTracing(options: { sampler?: Sampler } = {}) {
  const exporter = new InMemorySpanExporter();
  const spanProcessors = [new SimpleSpanProcessor({ exporter })];
  const provider =
    TEST_PROVIDER === 'tracewire'
      ? new (require('@tracewire/node') as typeof import('@tracewire/node')).TracewireTracerProvider({
          ...options,
          spanProcessors,
        })
      : new TracerProvider({ ...options, spanProcessors });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  return {
    provider,
    exporter,
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    close: async () => {
      await provider.shutdown();
      context.disable();
      trace.disable();
      propagation.disable();
    },
  };
}

/** Waits until `count` spans have finished (they end on the response's 'close'). */
export async function waitForSpans(
  spans: () => ReadableSpan[],
  count: number,
  timeoutMs = 5000,
): Promise<ReadableSpan[]> {
  const deadline = Date.now() + timeoutMs;
  while (spans().length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} finished spans, have ${spans().length}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return spans();
}
