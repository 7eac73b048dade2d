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
  type SpanContext,
  SpanKind,
  type SpanOptions,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { Sampler, SamplingResult } from '@opentelemetry/sdk-trace';
import { isTracingSuppressed } from '@tracewire/core';
import { cleanAttributes, isAnyValue } from './attribute-rules.js';
import { spanId, traceId } from './ids.js';
import { RecordingSpan, type SpanScope } from './span.js';
import { AnyValueSpan, keptLink } from './span-v3.js';

type ActiveCallback<F> = (span: Span) => F;

// What a span without links or attributes hands the sampler: shared, not one new object per span.
const NO_LINKS: Link[] = Object.freeze([]) as unknown as Link[];
const NO_ATTRIBUTES: Attributes = Object.freeze({});
const NO_LIMIT = Number.POSITIVE_INFINITY;

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
    if (this.scope.anyValue) return this.startAnyValueSpan(name, options, ctx, id, kind, validParent);
    const links = options.links ?? NO_LINKS;
    const attributes = options.attributes ?? NO_ATTRIBUTES;
    const result = this.sampler.shouldSample(ctx, id, name, kind, attributes, links);
    const spanContext = contextOf(result, id, validParent);
    if (result.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const span = new RecordingSpan(this.scope, spanContext, name, kind, validParent, options.startTime);
    if (links.length > 0) span.addLinks(links);
    span.setAttributes(attributes);
    if (result.attributes !== undefined) span.setAttributes(result.attributes);
    if (this.notifyStart) this.scope.processor.onStart(span, ctx);
    return span;
  }

  /**
   * The 3.x SDK's start: the sampler sees the links and attributes already
   * cleaned (invalid ones dropped and counted, with their warnings), then the
   * sampler's attributes are merged in and the count and length limits applied.
   */
  private startAnyValueSpan(
    name: string,
    options: SpanOptions,
    ctx: Context,
    id: string,
    kind: SpanKind,
    validParent: SpanContext | undefined,
  ): Span {
    const limits = this.scope.limits;
    const links = options.links === undefined ? [] : options.links.map((link) => keptLink(link, limits));
    const valid = cleanAttributes(options.attributes, NO_LIMIT, NO_LIMIT, isAnyValue);
    const attributes = valid?.attributes ?? {};
    const result = this.sampler.shouldSample(ctx, id, name, kind, attributes, links);
    const spanContext = contextOf(result, id, validParent);
    if (result.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const merged = Object.assign(attributes, result.attributes);
    const limited = cleanAttributes(merged, limits.attributeCountLimit, limits.attributeValueLengthLimit, isAnyValue)!;
    const span = new AnyValueSpan(this.scope, spanContext, name, kind, validParent, options.startTime);
    const dropped = (valid?.droppedAttributesCount ?? 0) + limited.droppedAttributesCount;
    span.begin(limited.attributes, dropped, links);
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

function contextOf(result: SamplingResult, id: string, validParent: SpanContext | undefined): SpanContext {
  return {
    traceId: id,
    spanId: spanId(),
    traceFlags: result.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
    traceState: result.traceState ?? validParent?.traceState,
  };
}
