import { propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing } from '../../../test/support/otel';

type Core = typeof import('@tracewire/core');

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

// A propagator that speaks only its own header, to tell which one was used.
const custom = {
  inject(ctx: never, carrier: Record<string, string>, setter: { set(c: unknown, k: string, v: string): void }) {
    const span = trace.getSpanContext(ctx);
    if (span) setter.set(carrier, 'x-custom-trace', span.traceId);
  },
  extract: (ctx: never) => ctx,
  fields: () => ['x-custom-trace'],
};

describe.each(BUILDS)('propagator choice (%s build)', (build) => {
  let core: Core;
  const otel = memoryTracing();
  const scope = { name: '@tracewire/test', version: '0.0.0' };
  beforeAll(async () => {
    core = await load<Core>('@tracewire/core', build);
  });
  afterEach(() => {
    propagation.disable();
    otel.reset();
  });

  function injected(options = {}) {
    const tracer = new core.Tracer('client', scope, { tracerProvider: otel.provider, ...options });
    const carrier: Record<string, string> = {};
    const { ctx, span } = tracer.start(ROOT_CONTEXT, 'HTTP', 'op', carrier, core.recordSetter);
    tracer.end(ctx, span);
    return carrier;
  }

  test('default: W3C Trace Context and Baggage, without touching the global', () => {
    const carrier = injected();
    expect(carrier.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(core.defaultPropagator().fields()).toEqual(['traceparent', 'tracestate', 'baggage']);
    expect(propagation.fields()).toEqual([]);
  });

  test('default extracts baggage too', () => {
    const tracer = new core.Tracer('server', scope, { tracerProvider: otel.provider });
    const { ctx, span } = tracer.start(
      ROOT_CONTEXT,
      'HTTP',
      'op',
      { traceparent: TRACEPARENT, baggage: 'user=42' },
      core.recordGetter,
    );
    expect(propagation.getBaggage(ctx)?.getEntry('user')?.value).toBe('42');
    tracer.end(ctx, span);
  });

  // Ours apply the W3C rules as they parse, so their result is not checked
  // again; any other propagator's is. OTel's keeps the valid members of a
  // tracestate that breaks the grammar, where the W3C rule drops it whole.
  test.each([
    ['ours, by default', undefined, undefined],
    ["OTel's, as options.propagator", 'otel', undefined],
    ["OTel's, registered globally", undefined, 'otel'],
    ['ours, registered globally', undefined, 'ours'],
  ] as const)('a tracestate that breaks the W3C rules is dropped whole: %s', (_, option, global) => {
    const otelW3C = () =>
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
    if (global) propagation.setGlobalPropagator(global === 'otel' ? otelW3C() : core.defaultPropagator());
    const propagator = option === 'otel' ? otelW3C() : undefined;
    const tracer = new core.Tracer('server', scope, { tracerProvider: otel.provider, propagator });
    const headers = { traceparent: TRACEPARENT, tracestate: 'a=1,B=2' };
    const parent = trace.getSpanContext(tracer.extract(ROOT_CONTEXT, headers, core.recordGetter));
    expect(parent?.spanId).toBe('b7ad6b7169203331');
    expect(parent?.traceState).toBeUndefined();
  });

  test('a global propagator registered by the app is used, even one registered after setup', () => {
    const tracer = new core.Tracer('client', scope, { tracerProvider: otel.provider });
    propagation.setGlobalPropagator(custom as never);
    const carrier: Record<string, string> = {};
    const { ctx, span } = tracer.start(ROOT_CONTEXT, 'HTTP', 'op', carrier, core.recordSetter);
    tracer.end(ctx, span);
    expect(Object.keys(carrier)).toEqual(['x-custom-trace']);
  });

  test('options.propagator wins over the global one', () => {
    propagation.setGlobalPropagator(custom as never);
    const carrier = injected({ propagator: core.defaultPropagator() });
    expect(Object.keys(carrier)).toEqual(['traceparent']);
  });
});
