import { type Context, createContextKey } from '@opentelemetry/api';

// The key OTel's `suppressTracing()` sets. API context keys are
// `Symbol.for(description)`, so this is the same key without depending on
// the SDK's core package: exporters suppress tracing so that their own
// requests send no trace headers.
const SUPPRESS_TRACING = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

export function isTracingSuppressed(context: Context): boolean {
  return context.getValue(SUPPRESS_TRACING) === true;
}

/** `ctx` with tracing suppressed, as OTel's `suppressTracing()` makes it. */
export function suppressTracing(context: Context): Context {
  return context.setValue(SUPPRESS_TRACING, true);
}
