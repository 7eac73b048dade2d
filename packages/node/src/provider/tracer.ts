import {
  type Attributes,
  type Context,
  context as contextApi,
  diag,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  type Link,
  SamplingDecision,
  type Span,
  SpanKind,
  type SpanOptions,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { Sampler } from '@opentelemetry/sdk-trace';
import { isTracingSuppressed } from '@tracewire/core';
import { spanId, traceId } from './ids.js';
import { RecordingSpan, type SpanScope } from './span.js';

type ActiveCallback<F> = (span: Span) => F;

// What a span without links or attributes hands the sampler: shared, not one new object per span.
const NO_LINKS: Link[] = Object.freeze([]) as unknown as Link[];
const NO_ATTRIBUTES: Attributes = Object.freeze({});

/** The SDK Tracer's rules for a new span: parent, suppression, sampling, then a recording span or a context-only one. */
export class TracewireTracer implements Tracer {
  constructor(
    private readonly scope: SpanScope,
    private readonly sampler: Sampler,
    /** Whether any processor has an onStart worth calling. */
    private readonly notifyStart: boolean,
  ) {}

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = contextApi.active()): Span {
    if (options.root) ctx = trace.deleteSpan(ctx);
    // Exporters suppress tracing for their own requests.
    if (isTracingSuppressed(ctx)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const parent = trace.getSpanContext(ctx);
    const validParent = parent !== undefined && isSpanContextValid(parent) ? parent : undefined;
    const id = validParent?.traceId ?? traceId();
    const kind = options.kind ?? SpanKind.INTERNAL;
    const links = options.links ?? NO_LINKS;
    const attributes = options.attributes ?? NO_ATTRIBUTES;
    const result = this.sampler.shouldSample(ctx, id, name, kind, attributes, links);
    const spanContext = {
      traceId: id,
      spanId: spanId(),
      traceFlags: result.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState: result.traceState ?? validParent?.traceState,
    };
    if (result.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const span = new RecordingSpan(this.scope, spanContext, name, kind, validParent, options.startTime);
    if (links.length > 0) span.addLinks(links);
    span.setAttributes(attributes);
    if (result.attributes !== undefined) span.setAttributes(result.attributes);
    if (this.notifyStart) this.scope.processor.onStart(span, ctx);
    return span;
  }

  startActiveSpan<F extends ActiveCallback<unknown>>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends ActiveCallback<unknown>>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends ActiveCallback<unknown>>(
    name: string,
    options: SpanOptions,
    ctx: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends ActiveCallback<unknown>>(
    name: string,
    ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]
  ): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    if (typeof fn !== 'function') {
      diag.error('startActiveSpan needs a function as its last argument');
      return undefined as ReturnType<F>;
    }
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : undefined;
    // An undefined context in the 4-argument form means the active one, as in the SDK.
    const parent = (rest.length > 2 ? (rest[1] as Context | undefined) : undefined) ?? contextApi.active();
    const span = this.startSpan(name, options, parent);
    return contextApi.with(trace.setSpan(parent, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }
}
