import {
  type Attributes,
  type Context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  type Tracer as OtelTracer,
  ProxyTracerProvider,
  type Span,
  SpanKind,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { ATTR_COMPONENT } from './attributes.js';
import { OnceLogger } from './diag.js';
import { MeterSource } from './metrics.js';
import { capturedHeaderNames, type SpanNameInfo, type TracingOptions, validateOptions } from './options.js';
import { appliesW3CRules, resolvePropagator } from './propagator.js';
import { applyOutcome, errorTypeOf } from './status.js';
import { dropInvalidW3C } from './w3c.js';

/** Name and version of the package that makes the spans: the tracer's instrumentation scope. */
export interface InstrumentationScope {
  name: string;
  version: string;
}

export type SpanKindName = 'server' | 'client';

export interface StartedSpan {
  ctx: Context;
  span: Span;
}

const NOOP_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
// What the API's global provider delegates to until an SDK registers itself.
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

function isNoop(provider: TracerProvider): boolean {
  return provider instanceof ProxyTracerProvider && provider.getDelegate() === NOOP_PROVIDER;
}

/**
 * The Kratos tracer: a SERVER tracer extracts the parent from the carrier
 * before it starts a span, a CLIENT tracer injects the new span into the
 * carrier after. Options are validated here, once, at setup; every user hook
 * is called through a guard so that tracing never breaks the app.
 */
export class Tracer<Req = unknown, Res = unknown> {
  readonly kind: SpanKind;
  readonly log: OnceLogger;
  readonly captureHeaders: { request: string[]; response: string[] };
  /** Where the adapter's metrics are recorded (`meterProvider`, `metrics`). */
  readonly meters: MeterSource;
  private readonly scope: InstrumentationScope;
  private tracer: OtelTracer;
  private provider: TracerProvider;
  /** No `tracerProvider` option: the global one, looked up again until an SDK is registered. */
  private readonly followsGlobal: boolean;
  private readonly propagator: TextMapPropagator;
  private readonly options: TracingOptions<Req, Res>;

  constructor(
    kind: SpanKindName,
    scope: InstrumentationScope,
    options: TracingOptions<Req, Res> = {},
    extraOptions: readonly string[] = [],
  ) {
    validateOptions(options, extraOptions);
    this.kind = kind === 'server' ? SpanKind.SERVER : SpanKind.CLIENT;
    this.options = options;
    this.log = new OnceLogger(scope.name);
    this.captureHeaders = capturedHeaderNames(options as TracingOptions<never, never>);
    this.propagator = resolvePropagator(options.propagator);
    this.scope = scope;
    this.meters = new MeterSource(scope, options);
    this.followsGlobal = options.tracerProvider === undefined;
    this.provider = options.tracerProvider ?? trace.getTracerProvider();
    this.tracer = this.provider.getTracer(scope.name, scope.version);
  }

  /**
   * Whether no SDK is registered (yet): every span would be a no-op. Asked per
   * request, since the SDK is often started after the middleware is made.
   */
  recordsNothing(): boolean {
    return isNoop(this.provider) && !this.followGlobal();
  }

  /**
   * While the global provider is a no-op, looks it up again; true once it has
   * changed. Before an SDK registers, the API answers with a proxy of its own
   * module instance, and since API 1.10 its CommonJS and ES builds are two
   * instances: an SDK registered through the other one never reaches that proxy.
   */
  private followGlobal(): boolean {
    if (!this.followsGlobal) return false;
    const current = trace.getTracerProvider();
    if (current === this.provider || isNoop(current)) return false;
    this.provider = current;
    this.tracer = current.getTracer(this.scope.name, this.scope.version);
    return true;
  }

  /**
   * Starts a span; the server kind extracts the parent from `carrier` first, the client kind injects into it after.
   * Without a carrier (a database command: nothing carries the context on), nothing is extracted or injected. Never throws.
   */
  start<C>(
    ctx: Context,
    component: string,
    operation: string,
    carrier: C | undefined,
    access: TextMapGetter<C> | TextMapSetter<C> | undefined,
    attributes?: Attributes,
  ): StartedSpan {
    const server = this.kind === SpanKind.SERVER;
    const carried = carrier !== undefined && access !== undefined;
    if (server && carried && this.carries(carrier, access as TextMapGetter<C>)) {
      ctx = this.extract(ctx, carrier, access as TextMapGetter<C>);
    }
    if (isNoop(this.provider)) this.followGlobal();
    let span: Span;
    try {
      span = this.tracer.startSpan(operation, { kind: this.kind, attributes }, ctx);
      span.setAttribute(ATTR_COMPONENT, component);
    } catch (error) {
      this.log.warn('start', 'starting a span failed; the request goes on untraced', error);
      return { ctx, span: NOOP_SPAN };
    }
    // A span that neither records nor belongs to a trace (no SDK registered) adds nothing to the context.
    if (span.isRecording() || isSpanContextValid(span.spanContext())) ctx = trace.setSpan(ctx, span);
    if (!server && carried) this.inject(ctx, carrier, access as TextMapSetter<C>);
    return { ctx, span };
  }

  /**
   * Sets the status by the contract's rules for this kind, records `error`,
   * and ends the span. `statusCode` is the HTTP response status, if any.
   */
  end(_ctx: Context, span: Span, error?: unknown, statusCode?: number): void {
    try {
      applyOutcome(span, errorTypeOf(this.kind === SpanKind.SERVER, statusCode, error), error, statusCode);
    } catch (failure) {
      this.log.warn('end', 'setting the span outcome failed', failure);
    }
    try {
      span.end();
    } catch (failure) {
      this.log.warn('span.end', 'ending the span failed', failure);
    }
  }

  /**
   * Whether the carrier has any of the propagator's fields. Most requests
   * carry no trace headers, and then extraction is skipped altogether.
   */
  carries<C>(carrier: C, getter: TextMapGetter<C>): boolean {
    try {
      const fields = this.propagator.fields();
      for (let i = 0; i < fields.length; i++) {
        if (getter.get(carrier, fields[i] as string) !== undefined) return true;
      }
      return false;
    } catch {
      return true; // let extract() meet the broken propagator and report it
    }
  }

  extract<C>(ctx: Context, carrier: C, getter: TextMapGetter<C>): Context {
    try {
      const extracted = this.propagator.extract(ctx, carrier, getter);
      if (typeof extracted?.getValue === 'function') {
        // Ours parse by the W3C rules already; another propagator's tracestate or
        // baggage that breaks them is dropped whole, the traceparent stays.
        return appliesW3CRules(this.propagator) ? extracted : dropInvalidW3C(ctx, extracted, carrier, getter);
      }
      this.log.warn('extract', 'the propagator returned no Context from extract(); the parent is ignored');
    } catch (error) {
      this.log.warn('extract', 'the propagator threw in extract(); the parent is ignored', error);
    }
    return ctx;
  }

  inject<C>(ctx: Context, carrier: C, setter: TextMapSetter<C>): void {
    try {
      this.propagator.inject(ctx, carrier, setter);
    } catch (error) {
      this.log.warn('inject', 'the propagator threw in inject(); trace headers were not sent', error);
    }
  }

  /** `ignore(req)`; a hook that throws or returns anything but `true` traces the request. */
  ignores(req: Req): boolean {
    const ignore = this.options.ignore;
    if (ignore === undefined) return false;
    try {
      const result = ignore(req);
      this.log.rejection('ignore', 'ignore() rejected', result);
      if (typeof result !== 'boolean') this.log.warn('ignore', `ignore() returned ${typeof result}, not a boolean`);
      return result === true;
    } catch (error) {
      this.log.warn('ignore', 'ignore() threw; the request is traced', error);
      return false;
    }
  }

  /** Whether a `spanName` option is set: callers build its `SpanNameInfo` only then, not on every request. */
  get renames(): boolean {
    return this.options.spanName !== undefined;
  }

  /** The span name: `spanName(info)` when given and it returns a non-empty string, else `fallback`. */
  name(info: SpanNameInfo, fallback: string): string {
    const spanName = this.options.spanName;
    if (spanName === undefined) return fallback;
    try {
      const name = spanName(info);
      if (typeof name === 'string' && name !== '') return name;
      this.log.rejection('spanName', 'spanName() rejected', name);
      this.log.warn('spanName', 'spanName() returned no non-empty string; the default name is used');
    } catch (error) {
      this.log.warn('spanName', 'spanName() threw; the default name is used', error);
    }
    return fallback;
  }

  requestHook(span: Span, req: Req): void {
    const hook = this.options.requestHook;
    if (hook === undefined) return;
    try {
      this.log.rejection('requestHook', 'requestHook() rejected', hook(span, req));
    } catch (error) {
      this.log.warn('requestHook', 'requestHook() threw', error);
    }
  }

  responseHook(span: Span, res: Res): void {
    const hook = this.options.responseHook;
    if (hook === undefined) return;
    try {
      this.log.rejection('responseHook', 'responseHook() rejected', hook(span, res));
    } catch (error) {
      this.log.warn('responseHook', 'responseHook() threw', error);
    }
  }
}
