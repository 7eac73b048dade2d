import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing } from '../../../test/support/otel';

type Core = typeof import('@tracewire/core');

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe.each(BUILDS)('Tracer (%s build)', (build) => {
  let core: Core;
  const otel = memoryTracing();
  const scope = { name: '@tracewire/test', version: '1.2.3' };

  beforeAll(async () => {
    core = await load<Core>('@tracewire/core', build);
  });
  afterEach(() => otel.reset());

  function serverTracer(options = {}) {
    return new core.Tracer('server', scope, { tracerProvider: otel.provider, ...options });
  }
  function clientTracer(options = {}) {
    return new core.Tracer('client', scope, { tracerProvider: otel.provider, ...options });
  }

  test('server start extracts the parent from the carrier, sets kind, name, component and scope', () => {
    const tracer = serverTracer();
    const { ctx, span } = tracer.start(
      ROOT_CONTEXT,
      'HTTP',
      'GET /users/:id',
      { traceparent: TRACEPARENT },
      core.recordGetter,
    );
    expect(trace.getSpan(ctx)).toBe(span);
    tracer.end(ctx, span, undefined, 200);
    const [finished] = otel.spans();
    expect(finished?.kind).toBe(SpanKind.SERVER);
    expect(finished?.name).toBe('GET /users/:id');
    expect(finished?.attributes.component).toBe('HTTP');
    expect(finished?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(finished?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(finished?.instrumentationScope).toEqual({ name: '@tracewire/test', version: '1.2.3', schemaUrl: undefined });
    expect(finished?.attributes['http.response.status_code']).toBe(200);
    expect(finished?.status.code).toBe(SpanStatusCode.UNSET);
  });

  test('client start injects the new span into the carrier, as a child of the active span', () => {
    const server = serverTracer();
    const parent = server.start(ROOT_CONTEXT, 'HTTP', 'GET /', {}, core.recordGetter);
    const client = clientTracer();
    const carrier: Record<string, string> = {};
    const { ctx, span } = client.start(parent.ctx, 'HTTP', 'GET /messages', carrier, core.recordSetter);
    client.end(ctx, span, undefined, 200);
    server.end(parent.ctx, parent.span, undefined, 200);
    const [clientSpan, serverSpan] = otel.spans();
    expect(clientSpan?.kind).toBe(SpanKind.CLIENT);
    expect(clientSpan?.parentSpanContext?.spanId).toBe(serverSpan?.spanContext().spanId);
    expect(carrier.traceparent).toBe(`00-${clientSpan?.spanContext().traceId}-${clientSpan?.spanContext().spanId}-01`);
  });

  test('client start without a carrier makes the child span and asks the propagator nothing', () => {
    const propagator = { inject: jest.fn(), extract: jest.fn(), fields: jest.fn(() => ['traceparent']) };
    const server = serverTracer();
    const parent = server.start(ROOT_CONTEXT, 'HTTP', 'GET /', {}, core.recordGetter);
    const client = clientTracer({ propagator });
    const { ctx, span } = client.start(parent.ctx, 'mongodb', 'find messages', undefined, undefined);
    expect(trace.getSpan(ctx)).toBe(span);
    client.end(ctx, span);
    server.end(parent.ctx, parent.span, undefined, 200);
    const [clientSpan, serverSpan] = otel.spans();
    expect(clientSpan?.parentSpanContext?.spanId).toBe(serverSpan?.spanContext().spanId);
    expect(clientSpan?.attributes.component).toBe('mongodb');
    expect(propagator.inject).not.toHaveBeenCalled();
    expect(propagator.extract).not.toHaveBeenCalled();
  });

  test.each([
    // [kind, status code, error?, expected status, expected error.type]
    ['server', 200, false, SpanStatusCode.UNSET, undefined],
    ['server', 404, false, SpanStatusCode.UNSET, undefined],
    ['server', 404, true, SpanStatusCode.UNSET, undefined],
    ['server', 500, false, SpanStatusCode.ERROR, '500'],
    ['server', 503, true, SpanStatusCode.ERROR, 'RangeError'],
    ['server', 200, true, SpanStatusCode.ERROR, 'RangeError'],
    ['server', undefined, true, SpanStatusCode.ERROR, 'RangeError'],
    ['client', 200, false, SpanStatusCode.UNSET, undefined],
    ['client', 302, false, SpanStatusCode.UNSET, undefined],
    ['client', 404, false, SpanStatusCode.ERROR, '404'],
    ['client', 500, false, SpanStatusCode.ERROR, '500'],
    ['client', undefined, true, SpanStatusCode.ERROR, 'RangeError'],
  ] as const)(
    '%s span, status %s, exception %s: status %s, error.type %s',
    (kind, code, withError, status, errorType) => {
      const tracer = kind === 'server' ? serverTracer() : clientTracer();
      const { ctx, span } = tracer.start(
        ROOT_CONTEXT,
        'HTTP',
        'op',
        {},
        kind === 'server' ? core.recordGetter : core.recordSetter,
      );
      const error = withError ? new RangeError('out of range') : undefined;
      tracer.end(ctx, span, error, code);
      const [finished] = otel.spans();
      expect(finished?.status.code).toBe(status);
      expect(finished?.attributes['error.type']).toBe(errorType);
      if (status === SpanStatusCode.ERROR && withError) expect(finished?.status.message).toBe('out of range');
      const exception = finished?.events.find((event) => event.name === 'exception');
      if (withError) {
        expect(exception?.attributes?.['exception.type']).toBe('RangeError');
        expect(exception?.attributes?.['exception.message']).toBe('out of range');
        expect(exception?.attributes?.['exception.stacktrace']).toContain('RangeError: out of range');
      } else {
        expect(exception).toBeUndefined();
      }
    },
  );

  test('a client error uses the error name (AbortError), a server error its class name', () => {
    const abort = new DOMException('This operation was aborted', 'AbortError');
    const client = clientTracer();
    const c = client.start(ROOT_CONTEXT, 'HTTP', 'GET /', {}, core.recordSetter);
    client.end(c.ctx, c.span, abort);
    const server = serverTracer();
    const s = server.start(ROOT_CONTEXT, 'HTTP', 'GET /', {}, core.recordGetter);
    server.end(s.ctx, s.span, abort, 500);
    const [clientSpan, serverSpan] = otel.spans();
    expect(clientSpan?.attributes['error.type']).toBe('AbortError');
    expect(serverSpan?.attributes['error.type']).toBe('DOMException');
  });

  test('a thrown non-error is recorded by its string form', () => {
    const tracer = serverTracer();
    const { ctx, span } = tracer.start(ROOT_CONTEXT, 'HTTP', 'op', {}, core.recordGetter);
    tracer.end(ctx, span, 'plain string', 500);
    const [finished] = otel.spans();
    expect(finished?.events[0]?.attributes?.['exception.message']).toBe('plain string');
    expect(finished?.status.message).toBe('plain string');
    expect(finished?.attributes['error.type']).toBe('_OTHER');
  });

  test('never OK, even on success', () => {
    const tracer = serverTracer();
    const { ctx, span } = tracer.start(ROOT_CONTEXT, 'HTTP', 'op', {}, core.recordGetter);
    tracer.end(ctx, span, undefined, 204);
    expect(otel.spans()[0]?.status.code).not.toBe(SpanStatusCode.OK);
  });

  test('a malformed traceparent gives a new root span', () => {
    const tracer = serverTracer();
    const { ctx, span } = tracer.start(ROOT_CONTEXT, 'HTTP', 'op', { traceparent: '00-zz-yy-01' }, core.recordGetter);
    tracer.end(ctx, span, undefined, 200);
    const [finished] = otel.spans();
    expect(finished?.parentSpanContext).toBeUndefined();
    expect(trace.isSpanContextValid(finished!.spanContext())).toBe(true);
  });

  test('a propagator that throws or returns garbage never breaks start or end', () => {
    const throwing = {
      inject() {
        throw new Error('boom');
      },
      extract() {
        throw new Error('boom');
      },
      fields: () => ['traceparent'],
    };
    const garbage = { inject: () => undefined, extract: () => 42, fields: () => ['traceparent'] };
    for (const propagator of [throwing, garbage]) {
      const server = serverTracer({ propagator });
      const s = server.start(ROOT_CONTEXT, 'HTTP', 'op', { traceparent: TRACEPARENT }, core.recordGetter);
      server.end(s.ctx, s.span, undefined, 200);
      const client = clientTracer({ propagator });
      const carrier = {};
      const c = client.start(ROOT_CONTEXT, 'HTTP', 'op', carrier, core.recordSetter);
      client.end(c.ctx, c.span, undefined, 200);
      expect(carrier).toEqual({});
    }
    expect(otel.spans()).toHaveLength(4);
    expect(otel.spans().every((span) => span.parentSpanContext === undefined)).toBe(true);
  });

  test('a tracer provider that throws leaves an untraced but working request', () => {
    const provider = {
      getTracer: () => ({
        startSpan() {
          throw new Error('boom');
        },
        startActiveSpan() {
          throw new Error('boom');
        },
      }),
    };
    const tracer = new core.Tracer('server', scope, { tracerProvider: provider as never });
    const { ctx, span } = tracer.start(ROOT_CONTEXT, 'HTTP', 'op', {}, core.recordGetter);
    expect(span.isRecording()).toBe(false);
    expect(() => tracer.end(ctx, span, new Error('x'), 500)).not.toThrow();
  });

  test('hooks that throw or return garbage are contained, with one diagnostic each', () => {
    const warnings: string[] = [];
    const { diag } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
    diag.setLogger({
      warn: (message: string) => warnings.push(message),
      error() {},
      info() {},
      debug() {},
      verbose() {},
    } as never);
    try {
      const tracer = serverTracer({
        ignore: () => {
          throw new Error('ignore');
        },
        spanName: () => 42 as unknown as string,
        requestHook: () => {
          throw new Error('request');
        },
        responseHook: () => {
          throw new Error('response');
        },
      });
      const { span } = tracer.start(ROOT_CONTEXT, 'HTTP', 'op', {}, core.recordGetter);
      for (let i = 0; i < 3; i++) {
        expect(tracer.ignores({})).toBe(false);
        expect(tracer.name({ kind: 'server', method: 'GET', path: '/' }, 'GET /')).toBe('GET /');
        expect(() => tracer.requestHook(span, {})).not.toThrow();
        expect(() => tracer.responseHook(span, {})).not.toThrow();
      }
      expect(warnings.filter((w) => w.includes('ignore()'))).toHaveLength(1);
      expect(warnings.filter((w) => w.includes('spanName()'))).toHaveLength(1);
      expect(warnings.filter((w) => w.includes('requestHook()'))).toHaveLength(1);
      expect(warnings.filter((w) => w.includes('responseHook()'))).toHaveLength(1);
    } finally {
      diag.disable();
    }
  });

  test('traceIds returns the active span ids, undefined without a span', () => {
    expect(core.traceIds()).toBeUndefined();
    const tracer = serverTracer();
    const { ctx, span } = tracer.start(ROOT_CONTEXT, 'HTTP', 'op', {}, core.recordGetter);
    context.with(ctx, () => {
      expect(core.traceIds()).toEqual({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId });
    });
    expect(core.traceIds(ctx)?.spanId).toBe(span.spanContext().spanId);
    tracer.end(ctx, span);
  });

  test('VERSION matches package.json', () => {
    expect(core.VERSION).toBe(require('../package.json').version);
  });
});
