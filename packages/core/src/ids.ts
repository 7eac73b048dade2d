import { type Context, context, isSpanContextValid, trace } from '@opentelemetry/api';

/** Trace and span id of the active span, for log correlation (Kratos' `TraceID(ctx)`/`SpanID(ctx)`). */
export interface TraceIds {
  traceId: string;
  spanId: string;
}

/** The ids of the span active in `ctx` (default: the current context), or undefined when there is none. */
export function traceIds(ctx: Context = context.active()): TraceIds | undefined {
  const spanContext = trace.getSpanContext(ctx);
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return undefined;
  return { traceId: spanContext.traceId, spanId: spanContext.spanId };
}
