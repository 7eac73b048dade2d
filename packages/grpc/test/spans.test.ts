import * as grpc from '@grpc/grpc-js';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing, waitForSpans } from '../../../test/support/otel';
import { PARENT_ID, PATHS, type Pkg, type Running, startServer, TRACE_ID, TRACEPARENT, unary } from './helpers';

const otel = memoryTracing();
afterAll(() => otel.close());

const byKind = (spans: ReadableSpan[], kind: SpanKind) => spans.filter((span) => span.kind === kind);

describe.each(BUILDS)('@tracewire/grpc spans (%s build)', (build) => {
  let pkg: Pkg;
  let running: Running;
  beforeAll(async () => {
    pkg = await load<Pkg>('@tracewire/grpc', build);
    const options = { tracerProvider: otel.provider };
    running = await startServer([pkg.serverInterceptor(options)], undefined, [pkg.clientInterceptor(options)]);
  });
  afterAll(() => running.close());
  afterEach(() => otel.reset());

  const traced = () => running.client([pkg.clientInterceptor({ tracerProvider: otel.provider })]);

  test('VERSION matches package.json, and both interceptors are exported', () => {
    expect(pkg.VERSION).toBe(require('../package.json').version);
    expect(typeof pkg.clientInterceptor).toBe('function');
    expect(typeof pkg.serverInterceptor).toBe('function');
  });

  test('a unary call: a CLIENT and a SERVER span with name, scope, component and every attribute', async () => {
    const { error, response } = await unary(traced(), {});
    expect(error).toBeUndefined();
    const spans = await waitForSpans(otel.spans, 2);
    const [client] = byKind(spans, SpanKind.CLIENT);
    const [server] = byKind(spans, SpanKind.SERVER);
    for (const span of [client, server]) {
      expect(span?.name).toBe('/tracewire.test.Echo/Unary');
      expect(span?.instrumentationScope).toEqual({
        name: '@tracewire/grpc',
        version: require('../package.json').version,
        schemaUrl: undefined,
      });
      expect(span?.attributes).toMatchObject({
        component: 'gRPC',
        'rpc.system': 'grpc',
        'rpc.service': 'tracewire.test.Echo',
        'rpc.method': 'Unary',
        'rpc.grpc.status_code': 0,
      });
      expect(span?.status.code).toBe(SpanStatusCode.UNSET);
      expect(span?.events).toEqual([]);
      expect(span?.attributes['error.type']).toBeUndefined();
    }
    expect(client?.attributes['server.address']).toBe('127.0.0.1');
    expect(client?.attributes['server.port']).toBe(running.port);
    expect(client?.attributes['network.peer.address']).toBeUndefined();
    expect(server?.attributes['network.peer.address']).toBe('127.0.0.1');
    expect(server?.attributes['network.peer.port']).toEqual(expect.any(Number));
    expect(server?.attributes['server.address']).toBeUndefined();
    // Propagation client -> server: one trace, the server span a child of the client span.
    expect(server?.spanContext().traceId).toBe(client?.spanContext().traceId);
    expect(server?.parentSpanContext?.spanId).toBe(client?.spanContext().spanId);
    expect(response?.traceparent).toEqual([`00-${client?.spanContext().traceId}-${client?.spanContext().spanId}-01`]);
    // The span covers the call: the server's lies inside the client's.
    const ns = (time: [number, number]) => BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
    // The SDK anchors each span on Date.now() (whole milliseconds) and measures
    // from there, so the times of two spans can disagree by up to 1 ms.
    const slack = 1_000_000n;
    expect(ns(server!.startTime) + slack >= ns(client!.startTime)).toBe(true);
    expect(ns(server!.endTime) <= ns(client!.endTime) + slack).toBe(true);
  });

  test('the client span is a child of the active span; the callback runs in the caller context', async () => {
    const tracer = otel.provider.getTracer('test');
    const parent = tracer.startSpan('parent');
    const result = await context.with(trace.setSpan(ROOT_CONTEXT, parent), () => unary(traced(), {}));
    parent.end();
    const spans = await waitForSpans(otel.spans, 3);
    const [client] = byKind(spans, SpanKind.CLIENT);
    expect(client?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(client?.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(result.callbackSpanId).toBe(parent.spanContext().spanId);
  });

  test('server: the parent comes from incoming metadata; the span is active in the handler, after awaits', async () => {
    const metadata = new grpc.Metadata();
    metadata.set('traceparent', TRACEPARENT);
    // A client without the interceptor, so that the metadata is what arrives.
    const { response } = await unary(running.client(), { delayMs: 5 }, metadata);
    const [server] = await waitForSpans(otel.spans, 1);
    expect(server?.kind).toBe(SpanKind.SERVER);
    expect(server?.spanContext().traceId).toBe(TRACE_ID);
    expect(server?.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(server?.parentSpanContext?.isRemote).toBe(true);
    expect(response?.traceId).toBe(TRACE_ID);
    expect(response?.spanId).toBe(server?.spanContext().spanId);
  });

  test.each([
    ['malformed', '00-not-a-trace-0'],
    ['oversized', `00-${TRACE_ID}-${PARENT_ID}-01${'x'.repeat(10_000)}`],
    ['all-zero', `00-${'0'.repeat(32)}-${PARENT_ID}-01`],
  ])('a %s traceparent gives a new root span and changes nothing else', async (_name, traceparent) => {
    const metadata = new grpc.Metadata();
    metadata.set('traceparent', traceparent);
    const { error, response } = await unary(running.client(), {}, metadata);
    expect(error).toBeUndefined();
    const [server] = await waitForSpans(otel.spans, 1);
    expect(server?.parentSpanContext).toBeUndefined();
    expect(server?.spanContext().traceId).not.toBe(TRACE_ID);
    expect(response?.spanId).toBe(server?.spanContext().spanId);
  });

  test('a call made in the handler is a child of the server span: client -> server -> client -> server', async () => {
    const { response } = await unary(traced(), { nest: true });
    const spans = await waitForSpans(otel.spans, 4);
    const clients = byKind(spans, SpanKind.CLIENT);
    const servers = byKind(spans, SpanKind.SERVER);
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1);
    const outer = clients.find((span) => span.parentSpanContext === undefined);
    const outerServer = servers.find((span) => span.parentSpanContext?.spanId === outer?.spanContext().spanId);
    const inner = clients.find((span) => span.parentSpanContext?.spanId === outerServer?.spanContext().spanId);
    const innerServer = servers.find((span) => span.parentSpanContext?.spanId === inner?.spanContext().spanId);
    expect([outer, outerServer, inner, innerServer].every(Boolean)).toBe(true);
    expect(response?.nestedTraceId).toBe(outer?.spanContext().traceId);
  });

  test("the caller's Metadata is not changed, and a traceparent in it is replaced on the wire", async () => {
    const metadata = new grpc.Metadata();
    metadata.set('traceparent', TRACEPARENT);
    metadata.set('x-mine', 'kept');
    const before = metadata.toJSON();
    const { response } = await unary(traced(), {}, metadata);
    expect(metadata.toJSON()).toEqual(before);
    const spans = await waitForSpans(otel.spans, 2);
    const [client] = byKind(spans, SpanKind.CLIENT);
    expect(response?.traceparent).toEqual([`00-${client?.spanContext().traceId}-${client?.spanContext().spanId}-01`]);
  });

  test('client-streaming and bidi calls: one span each side, ended once', async () => {
    const client = traced();
    const uploaded = await new Promise<{ traceparent?: string[] }>((resolve, reject) => {
      const call = client.upload(new grpc.Metadata(), (error: Error | null, reply: { traceparent?: string[] }) =>
        error ? reject(error) : resolve(reply),
      );
      for (let i = 0; i < 3; i++) call.write({});
      call.end();
    });
    expect(uploaded.traceparent).toEqual(['3']);
    const chatted = await new Promise<number>((resolve) => {
      const call = client.chat(new grpc.Metadata());
      let n = 0;
      call.on('data', () => n++);
      call.on('status', () => setImmediate(() => resolve(n)));
      call.write({});
      call.write({});
      call.end();
    });
    expect(chatted).toBe(2);
    const spans = await waitForSpans(otel.spans, 4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(
      otel
        .spans()
        .map((span) => `${span.kind === SpanKind.CLIENT ? 'client' : 'server'} ${span.name}`)
        .sort(),
    ).toEqual([`client ${PATHS.chat}`, `client ${PATHS.upload}`, `server ${PATHS.chat}`, `server ${PATHS.upload}`]);
    for (const span of spans) expect(span.attributes['rpc.grpc.status_code']).toBe(0);
  });

  test('a call to no server: the client span is ERROR UNAVAILABLE, server.address from the target', async () => {
    const closed = await startServer([]);
    const address = closed.address;
    await closed.close();
    const client = new (grpc.makeGenericClientConstructor({}, 'X'))(address, grpc.credentials.createInsecure(), {
      interceptors: [pkg.clientInterceptor({ tracerProvider: otel.provider })],
    });
    const error = await new Promise<grpc.ServiceError>((resolve) =>
      client.makeUnaryRequest(
        PATHS.unary,
        (value: object) => Buffer.from(JSON.stringify(value)),
        (buffer: Buffer) => buffer,
        {},
        new grpc.Metadata(),
        { deadline: Date.now() + 2000 },
        (err) => resolve(err as grpc.ServiceError),
      ),
    );
    client.close();
    expect(error.code).toBe(grpc.status.UNAVAILABLE);
    const [span] = await waitForSpans(otel.spans, 1);
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('UNAVAILABLE');
    expect(span?.attributes['rpc.grpc.status_code']).toBe(grpc.status.UNAVAILABLE);
    // No connection: grpc-js reports the channel target as the peer.
    expect(span?.attributes['server.address']).toBe('127.0.0.1');
    expect(span?.attributes['server.port']).toBe(Number(address.split(':')[1]));
  });
});
