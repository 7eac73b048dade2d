import * as grpc from '@grpc/grpc-js';
import {
  type Context,
  context,
  DiagLogLevel,
  diag,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { throwingProvider } from '../../../test/support/broken-otel';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing, waitForSpans } from '../../../test/support/otel';
import {
  PARENT_ID,
  PATHS,
  type Pkg,
  type Running,
  startServer,
  stream,
  TRACE_ID,
  TRACEPARENT,
  unary,
  wait,
} from './helpers';

const otel = memoryTracing();
afterAll(() => otel.close());

const kindOf = (spans: ReadableSpan[], kind: SpanKind) => spans.find((span) => span.kind === kind);

const throwingPropagator: TextMapPropagator = {
  inject: () => {
    throw new Error('inject failed');
  },
  extract: () => {
    throw new Error('extract failed');
  },
  fields: () => ['traceparent'],
};

/** Everything the caller can observe of a unary call. */
function observable(result: Awaited<ReturnType<typeof unary>>) {
  const { error, response } = result;
  return {
    error: error && { code: error.code, details: error.details, message: error.message },
    // The reply's content differs by design (it reports the trace ids the handler saw).
    responded: response !== undefined,
  };
}

describe.each(BUILDS)('@tracewire/grpc options (%s build)', (build) => {
  let pkg: Pkg;
  const running: Running[] = [];
  beforeAll(async () => {
    pkg = await load<Pkg>('@tracewire/grpc', build);
  });
  afterEach(async () => {
    otel.reset();
    await Promise.all(running.splice(0).map((r) => r.close()));
  });

  async function serve(serverOptions: object = {}, ...more: grpc.ServerInterceptor[]) {
    const server = await startServer([
      pkg.serverInterceptor({ tracerProvider: otel.provider, ...serverOptions }),
      ...more,
    ]);
    running.push(server);
    return server;
  }
  const clientWith = (server: Running, options: object = {}) =>
    server.client([pkg.clientInterceptor({ tracerProvider: otel.provider, ...options })]);

  test.each([
    [{ spanName: 'x' }, /option "spanName" must be a function, got string x/],
    [{ ignore: {} }, /option "ignore" must be a function/],
    [{ tracerProvider: {} }, /option "tracerProvider" must be a TracerProvider/],
    [{ captureHeaders: { request: [1] } }, /captureHeaders.request/],
    [{ propagateTo: () => true }, /unknown option "propagateTo"/],
    ['nope', /option "options" must be an object/],
  ])('bad options throw at setup, naming the option: %p', (options, message) => {
    expect(() => pkg.clientInterceptor(options as never)).toThrow(message);
    expect(() => pkg.serverInterceptor(options as never)).toThrow(message);
  });

  test('spanName gets kind, path, service and method; a throwing or empty one falls back to the path', async () => {
    const seen: unknown[] = [];
    const server = await serve({
      spanName: (info: object) => {
        seen.push(info);
        return 'custom server';
      },
    });
    await unary(
      clientWith(server, {
        spanName: (info: object) => {
          seen.push(info);
          return 'custom client';
        },
      }),
      {},
    );
    const spans = await waitForSpans(otel.spans, 2);
    expect(kindOf(spans, SpanKind.CLIENT)?.name).toBe('custom client');
    expect(kindOf(spans, SpanKind.SERVER)?.name).toBe('custom server');
    expect(seen).toEqual([
      { kind: 'client', path: PATHS.unary, service: 'tracewire.test.Echo', method: 'Unary' },
      { kind: 'server', path: PATHS.unary, service: 'tracewire.test.Echo', method: 'Unary' },
    ]);
    otel.reset();
    const bad = await serve({ spanName: () => '' });
    await unary(
      clientWith(bad, {
        spanName: () => {
          throw new Error('no name');
        },
      }),
      {},
    );
    for (const span of await waitForSpans(otel.spans, 2)) expect(span.name).toBe(PATHS.unary);
  });

  test('client ignore: no span and no trace context sent; the server span is a root', async () => {
    const infos: Record<string, unknown>[] = [];
    const server = await serve();
    const metadata = new grpc.Metadata();
    metadata.set('x-skip', 'yes');
    const client = clientWith(server, {
      ignore: (info: Record<string, unknown>) => {
        infos.push(info);
        return true;
      },
    });
    // Made inside a span of this process: nothing of it may reach the server but the metadata.
    const caller = otel.provider.getTracer('test').startSpan('caller');
    const { response } = await context.with(trace.setSpan(ROOT_CONTEXT, caller), () => unary(client, {}, metadata));
    const spans = await waitForSpans(otel.spans, 1);
    await wait(20);
    expect(otel.spans()).toHaveLength(1);
    expect(spans[0]?.kind).toBe(SpanKind.SERVER);
    expect(spans[0]?.parentSpanContext).toBeUndefined();
    expect(response?.traceparent).toEqual([]);
    expect(infos).toHaveLength(1);
    expect(infos[0]).toMatchObject({
      kind: 'client',
      path: PATHS.unary,
      service: 'tracewire.test.Echo',
      method: 'Unary',
    });
    expect(infos[0]?.metadata).toBe(metadata);
  });

  test("server ignore: no span; the handler still runs in the caller's trace", async () => {
    const server = await serve({ ignore: (info: { method: string }) => info.method === 'Unary' });
    const metadata = new grpc.Metadata();
    metadata.set('traceparent', TRACEPARENT);
    const { error, response } = await unary(server.client(), {}, metadata);
    expect(error).toBeUndefined();
    await wait(30);
    expect(otel.spans()).toEqual([]);
    expect(response?.traceId).toBe(TRACE_ID);
    expect(response?.spanId).toBe(PARENT_ID);
    // The stream method is not ignored.
    await stream(server.client(), { count: 1 });
    expect((await waitForSpans(otel.spans, 1))[0]?.name).toBe(PATHS.stream);
  });

  test('requestHook and responseHook: the call and the status, on both sides', async () => {
    const calls: string[] = [];
    const hooks = (side: string) => ({
      requestHook: (span: Span, info: { kind: string; path: string; metadata: grpc.Metadata }) => {
        calls.push(`${side} request ${info.kind} ${info.path} ${info.metadata.get('x-tenant')}`);
        span.setAttribute(`${side}.request`, true);
      },
      responseHook: (span: Span, status: { code: number; details: string; metadata?: grpc.Metadata }) => {
        calls.push(`${side} response ${status.code} ${status.details}`);
        span.setAttribute(`${side}.response`, status.code);
      },
    });
    const server = await serve(hooks('server'));
    const metadata = new grpc.Metadata();
    metadata.set('x-tenant', 'acme');
    await unary(clientWith(server, hooks('client')), { code: 5, details: 'no such thing' }, metadata);
    const spans = await waitForSpans(otel.spans, 2);
    expect(calls).toEqual([
      'client request client /tracewire.test.Echo/Unary acme',
      'server request server /tracewire.test.Echo/Unary acme',
      'server response 5 no such thing',
      'client response 5 no such thing',
    ]);
    expect(kindOf(spans, SpanKind.CLIENT)?.attributes).toMatchObject({ 'client.request': true, 'client.response': 5 });
    expect(kindOf(spans, SpanKind.SERVER)?.attributes).toMatchObject({ 'server.request': true, 'server.response': 5 });
  });

  test('captureHeaders records only the listed metadata keys, request and response (headers and trailers)', async () => {
    const capture = { captureHeaders: { request: ['X-Tenant', 'x-absent'], response: ['x-served-by', 'x-cost'] } };
    const server = await serve(capture);
    const metadata = new grpc.Metadata();
    metadata.set('x-tenant', 'acme');
    metadata.set('x-secret', 'hidden');
    await unary(
      clientWith(server, capture),
      { header: { 'x-served-by': 'echo' }, trailer: { 'x-cost': '7' } },
      metadata,
    );
    const spans = await waitForSpans(otel.spans, 2);
    for (const span of spans) {
      const metadataKeys = Object.keys(span.attributes).filter((key) => key.startsWith('rpc.grpc.'));
      expect(metadataKeys.sort()).toEqual([
        'rpc.grpc.request.metadata.x-tenant',
        'rpc.grpc.response.metadata.x-cost',
        'rpc.grpc.response.metadata.x-served-by',
        'rpc.grpc.status_code',
      ]);
      expect(span.attributes['rpc.grpc.request.metadata.x-tenant']).toEqual(['acme']);
      expect(span.attributes['rpc.grpc.response.metadata.x-served-by']).toEqual(['echo']);
      expect(span.attributes['rpc.grpc.response.metadata.x-cost']).toEqual(['7']);
    }
  });

  test('propagator: the one given is used on both sides', async () => {
    const getter = (carrier: unknown, getterImpl: TextMapGetter) => getterImpl.get(carrier, 'x-trace');
    const custom: TextMapPropagator = {
      inject(ctx: Context, carrier: unknown, setter: TextMapSetter) {
        const span = trace.getSpanContext(ctx);
        if (span) setter.set(carrier, 'x-trace', `${span.traceId}.${span.spanId}`);
      },
      extract(ctx: Context, carrier: unknown, getterImpl: TextMapGetter) {
        const value = getter(carrier, getterImpl);
        if (typeof value !== 'string') return ctx;
        const [traceId, spanId] = value.split('.');
        return trace.setSpanContext(ctx, { traceId: traceId!, spanId: spanId!, traceFlags: 1, isRemote: true });
      },
      fields: () => ['x-trace'],
    };
    const server = await serve({ propagator: custom });
    const { response } = await unary(clientWith(server, { propagator: custom }), {});
    expect(response?.traceparent).toEqual([]);
    const spans = await waitForSpans(otel.spans, 2);
    const clientSpan = kindOf(spans, SpanKind.CLIENT);
    expect(kindOf(spans, SpanKind.SERVER)?.parentSpanContext?.spanId).toBe(clientSpan?.spanContext().spanId);
  });

  describe('never breaks the app', () => {
    // A registered logger, not a spy on `diag.warn`: since API 1.10 the ES build
    // logs through its own `diag` object, and only the logger is shared.
    let warn: jest.Mock;
    beforeEach(() => {
      warn = jest.fn();
      diag.setLogger(
        { warn, error: jest.fn(), info: jest.fn(), debug: jest.fn(), verbose: jest.fn() },
        DiagLogLevel.WARN,
      );
    });
    afterEach(() => diag.disable());

    const thrower = () => {
      throw new Error('hook failed');
    };

    test.each([
      ['hooks that throw', { ignore: thrower, spanName: thrower, requestHook: thrower, responseHook: thrower }],
      ['a propagator that throws', { propagator: throwingPropagator }],
      ['spans whose methods throw', { tracerProvider: throwingProvider() }],
      [
        'captureHeaders with hooks that throw',
        { captureHeaders: { request: ['a'], response: ['b'] }, requestHook: thrower },
      ],
    ])('%s: every call ends exactly as without tracing', async (_name, options) => {
      const plain = await startServer([]);
      running.push(plain);
      const server = await serve(options);
      const client = clientWith(server, options);
      const metadata = () => {
        const md = new grpc.Metadata();
        md.set('traceparent', TRACEPARENT);
        md.set('a', '1');
        return md;
      };
      for (const ask of [{}, { code: 13, details: 'broken' }, { throws: true }, { header: { b: '2' } }]) {
        const result = await unary(client, ask, metadata());
        const untraced = await unary(plain.client(), ask, metadata());
        expect(observable(result)).toEqual(observable(untraced));
      }
      const streamed = await stream(client, { count: 3 });
      expect(streamed.messages).toHaveLength(3);
      expect(streamed.error).toBeUndefined();
      expect(warn).toHaveBeenCalled();
    });

    test('a span that fails to start leaves the call untraced but served', async () => {
      const broken: TracerProvider = {
        getTracer: () =>
          ({
            startSpan: () => {
              throw new Error('no spans today');
            },
          }) as unknown as Tracer,
      };
      const server = await serve({ tracerProvider: broken });
      const { error, response } = await unary(clientWith(server, { tracerProvider: broken }), {});
      expect(error).toBeUndefined();
      expect(response?.traceId).toBeUndefined();
      expect(trace.getSpan(ROOT_CONTEXT)).toBeUndefined();
    });
  });
});
