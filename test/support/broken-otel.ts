// OpenTelemetry parts that fail, for the "never break the app" tests.
import type { Span, Tracer, TracerProvider } from '@opentelemetry/api';

/** A provider whose spans throw from every method but the first setAttribute (core's `component`). */
export function throwingProvider(): TracerProvider {
  const boom = () => {
    throw new Error('span method failed');
  };
  const span = {
    spanContext: () => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 }),
    setAttribute(key: string) {
      if (key !== 'component') boom();
      return span;
    },
    setAttributes: boom,
    addEvent: boom,
    addLink: boom,
    addLinks: boom,
    setStatus: boom,
    updateName: boom,
    end: boom,
    isRecording: () => true,
    recordException: boom,
  } as unknown as Span;
  const tracer = { startSpan: () => span, startActiveSpan: boom } as unknown as Tracer;
  return { getTracer: () => tracer };
}
