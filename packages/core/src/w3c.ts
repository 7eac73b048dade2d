import { type Context, propagation, type TextMapGetter, trace } from '@opentelemetry/api';
import { isValidBaggage } from './baggage.js';
import { TRACEPARENT_LENGTH } from './traceparent.js';
import { isValidTraceState } from './tracestate.js';

function isHeader(value: unknown): value is string | string[] {
  return typeof value === 'string' || Array.isArray(value);
}

/**
 * OTel's traceparent pattern allows one whitespace character at either end,
 * and JavaScript's whitespace includes U+00A0 and U+FEFF: a traceparent
 * followed by a no-break space would pass. HTTP has already trimmed spaces
 * and tabs; whitespace left before the version, or right after the flags
 * where the header must end, makes it invalid. (Fields a later version adds
 * after the flags may hold anything.)
 */
function hasStrayWhitespace(raw: unknown): boolean {
  if (typeof raw !== 'string') return false;
  const header = raw.replace(/^[ \t]+|[ \t]+$/g, '');
  if (header.trimStart() !== header) return true;
  const end = header.trimEnd();
  return end !== header && end.length === TRACEPARENT_LENGTH;
}

/**
 * What a propagator extracted, minus what breaks the W3C rules: a
 * `tracestate` or `baggage` header that fails them is dropped as a whole
 * while the traceparent is kept; a traceparent with stray whitespace gives no
 * parent. Only what the propagator took from this carrier is touched, never
 * what `parent` had.
 */
export function dropInvalidW3C<C>(parent: Context, extracted: Context, carrier: C, getter: TextMapGetter<C>): Context {
  let ctx = extracted;
  const spanContext = trace.getSpanContext(ctx);
  if (spanContext !== undefined && spanContext !== trace.getSpanContext(parent)) {
    if (hasStrayWhitespace(getter.get(carrier, 'traceparent'))) {
      const before = trace.getSpan(parent);
      ctx = before ? trace.setSpan(ctx, before) : trace.deleteSpan(ctx);
    } else if (spanContext.traceState !== undefined) {
      const raw = getter.get(carrier, 'tracestate');
      if (isHeader(raw) && !isValidTraceState(raw)) {
        const { traceState: _invalid, ...rest } = spanContext;
        ctx = trace.setSpanContext(ctx, rest);
      }
    }
  }
  const baggage = propagation.getBaggage(ctx);
  const before = propagation.getBaggage(parent);
  if (baggage !== undefined && baggage !== before) {
    const raw = getter.get(carrier, 'baggage');
    if (isHeader(raw) && !isValidBaggage(raw)) {
      ctx = before === undefined ? propagation.deleteBaggage(ctx) : propagation.setBaggage(ctx, before);
    }
  }
  return ctx;
}
