import {
  type Context,
  isSpanContextValid,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { fixedFields, markStrict } from './strict.js';
import { isTracingSuppressed } from './suppress.js';
import { W3CTraceState } from './trace-state.js';
import { formatTraceparent, parseTraceparent } from './traceparent.js';
import { parseTraceState } from './tracestate.js';

const TRACEPARENT = 'traceparent';
const TRACESTATE = 'tracestate';
const FIELDS = fixedFields(TRACEPARENT, TRACESTATE);

/**
 * The W3C Trace Context `tracestate` of a request: its headers joined as one
 * list (RFC 9110), `undefined` when it breaks the grammar (dropped whole,
 * the traceparent still honoured) or has no member.
 */
function traceStateOf(header: unknown): W3CTraceState | undefined {
  if (typeof header !== 'string' && !Array.isArray(header)) return undefined;
  const members = parseTraceState(header);
  return members === undefined || members.length === 0 ? undefined : W3CTraceState.of(members);
}

/** W3C Trace Context: `traceparent` and `tracestate`. */
export class TraceContextPropagator implements TextMapPropagator {
  constructor() {
    markStrict(this);
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const span = trace.getSpanContext(context);
    if (span === undefined || !isSpanContextValid(span) || isTracingSuppressed(context)) return;
    setter.set(carrier, TRACEPARENT, formatTraceparent(span));
    // W3C: receivers accept an empty tracestate, senders should not send one.
    const state = span.traceState?.serialize();
    if (state) setter.set(carrier, TRACESTATE, state);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const parent = parseTraceparent(getter.get(carrier, TRACEPARENT));
    if (parent === undefined) return context;
    const span: SpanContext = { ...parent, isRemote: true };
    // W3C: tracestate is read only when the traceparent is valid.
    const traceState = traceStateOf(getter.get(carrier, TRACESTATE));
    if (traceState !== undefined) span.traceState = traceState;
    return trace.setSpanContext(context, span);
  }

  fields(): string[] {
    return FIELDS;
  }
}
