// The OTEL_* variables that choose the SDK's state, the propagators, the OTLP
// transport and the SDK settings the merged sdk-trace package no longer reads.
// Each is checked on what it does: headers on a real request, bytes a real
// receiver got, attributes on a finished span.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { BUILDS, load } from '../../../test/support/builds';
import { KeepingExporter, otlpBody, startCapture } from './capture';
import { nodeSuite } from './harness';

type Fetch = typeof import('@tracewire/fetch');

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

/** A real OTLP/gRPC receiver: TraceService/Export, keeping each request's bytes. */
async function startGrpcReceiver() {
  const received: Buffer[] = [];
  const server = new grpc.Server();
  const raw = (buffer: Buffer) => buffer;
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        received.push(call.request);
        callback(null, Buffer.alloc(0)); // an empty ExportTraceServiceResponse
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { url: `http://127.0.0.1:${port}`, received, close: () => server.forceShutdown() };
}

describe.each(BUILDS)('setupTracing and the environment (%s build)', (build) => {
  const suite = nodeSuite(build);
  const { setup } = suite;

  /** Ends one span and shuts down, so the exporter has sent it. */
  async function exportOne(name = 'work') {
    trace.getTracer('test').startSpan(name).end();
    await suite.tracing?.shutdown();
  }

  describe('OTEL_SDK_DISABLED', () => {
    test.each(['true', 'TRUE', ' True '])('%j registers nothing and exports nothing', async (value) => {
      suite.capture = await startCapture();
      process.env.OTEL_SDK_DISABLED = value;
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = suite.capture.url;
      const { tracerProvider } = setup();
      expect(tracerProvider.getTracer('t').startSpan('s').isRecording()).toBe(false);
      expect(trace.getTracer('t').startSpan('s').isRecording()).toBe(false);
      expect(propagation.fields()).toEqual([]);
      await exportOne();
      await suite.tracing!.forceFlush();
      expect(suite.capture.received).toEqual([]);
      // Nothing was registered, so a later setup (e.g. with the SDK enabled) is not refused.
      delete process.env.OTEL_SDK_DISABLED;
      expect(() => suite.node.setupTracing({ exporter: 'none' })).not.toThrow();
    });

    test('"false" runs the SDK as usual', async () => {
      suite.capture = await startCapture();
      process.env.OTEL_SDK_DISABLED = 'false';
      setup({ endpoint: suite.capture.url });
      await exportOne();
      expect(suite.capture.received).toHaveLength(1);
    });
  });

  describe('OTEL_PROPAGATORS', () => {
    /** The headers the global propagator writes for a sampled span with baggage. */
    function injected(): Record<string, string> {
      const span = trace.wrapSpanContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
      const baggage = propagation.createBaggage({ user: { value: 'alice' } });
      const carrier: Record<string, string> = {};
      propagation.inject(propagation.setBaggage(trace.setSpan(ROOT_CONTEXT, span), baggage), carrier);
      return carrier;
    }

    test.each([
      [undefined, ['baggage', 'traceparent']],
      ['tracecontext', ['traceparent']],
      ['baggage', ['baggage']],
      ['b3', ['b3']],
      ['b3multi', ['x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid']],
      ['jaeger', ['uber-trace-id', 'uberctx-user']],
      ['tracecontext, B3', ['b3', 'traceparent']],
      ['none', []],
    ])('%j injects exactly %j', (value, headers) => {
      if (value !== undefined) process.env.OTEL_PROPAGATORS = value;
      setup({ exporter: 'none' });
      const carrier = injected();
      expect(
        Object.keys(carrier)
          .map((key) => key.toLowerCase())
          .sort(),
      ).toEqual(headers);
      if (headers.includes('b3')) expect(carrier.b3).toBe(`${TRACE_ID}-${SPAN_ID}-1`);
      if (headers.includes('uber-trace-id')) expect(carrier['uber-trace-id']).toBe(`${TRACE_ID}:${SPAN_ID}:0:01`);
    });

    test.each([
      ['b3', { b3: `${TRACE_ID}-${SPAN_ID}-1` }],
      ['b3multi', { 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': SPAN_ID, 'x-b3-sampled': '1' }],
      ['jaeger', { 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:1` }],
      ['tracecontext', { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` }],
    ])('%j extracts its own headers', (value, headers) => {
      process.env.OTEL_PROPAGATORS = value;
      setup({ exporter: 'none' });
      const parent = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, headers));
      expect(parent).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, isRemote: true });
    });

    test('"none" reaches the wire: a traced fetch sends no trace header, where the default sends traceparent', async () => {
      const { traceFetch } = await load<Fetch>('@tracewire/fetch', build);
      const seen: string[][] = [];
      const server = createServer((req, res) => {
        seen.push(Object.keys(req.headers).filter((name) => /traceparent|b3|baggage|uber/.test(name)));
        res.end('ok');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      try {
        const call = () =>
          trace.getTracer('test').startActiveSpan('parent', async (span) => {
            await (await traceFetch(fetch)(url)).text();
            span.end();
          });
        process.env.OTEL_PROPAGATORS = 'none';
        setup({ exporter: 'none' });
        await call();
        await suite.tracing?.shutdown();
        trace.disable();
        propagation.disable();
        delete process.env.OTEL_PROPAGATORS;
        setup({ exporter: 'none' });
        await call();
      } finally {
        server.closeAllConnections();
        server.close();
      }
      expect(seen).toEqual([[], ['traceparent']]);
    });
  });

  describe('OTEL_EXPORTER_OTLP_PROTOCOL and OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', () => {
    test.each([
      [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, 'application/json'],
      [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'HTTP/PROTOBUF' }, 'application/x-protobuf'],
      [
        { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' },
        'application/json',
      ],
    ])('%j sends %s to /v1/traces', async (env, contentType) => {
      suite.capture = await startCapture();
      Object.assign(process.env, env, { OTEL_EXPORTER_OTLP_ENDPOINT: suite.capture.url });
      setup();
      await exportOne('over http');
      expect(suite.capture.received.map((request) => [request.path, request.contentType])).toEqual([
        ['/v1/traces', contentType],
      ]);
      const body = (await otlpBody(suite.capture.received[0]!)) as {
        resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
      };
      expect(body.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name).toBe('over http');
    });

    test('option "protocol" wins over the variables', async () => {
      suite.capture = await startCapture();
      process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL = 'grpc';
      setup({ endpoint: suite.capture.url, protocol: 'http/json' });
      await exportOne();
      expect(suite.capture.received.map((request) => request.contentType)).toEqual(['application/json']);
    });

    test('grpc sends ExportTraceServiceRequest to a real gRPC receiver at OTEL_EXPORTER_OTLP_ENDPOINT, as is', async () => {
      const receiver = await startGrpcReceiver();
      try {
        process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'grpc';
        process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
        process.env.OTEL_SERVICE_NAME = 'grpc-svc';
        setup();
        await exportOne('over grpc');
        expect(receiver.received).toHaveLength(1);
        const body = await otlpBody({
          method: 'POST',
          path: '',
          contentType: 'application/x-protobuf',
          body: receiver.received[0]!,
        });
        expect(body.resourceSpans![0]!.scopeSpans![0]!.spans![0]!.name).toBe('over grpc');
        expect(body.resourceSpans![0]!.resource!.attributes).toContainEqual({
          key: 'service.name',
          value: { stringValue: 'grpc-svc' },
        });
      } finally {
        receiver.close();
      }
    });
  });

  describe('SDK settings the merged sdk-trace package no longer reads itself', () => {
    async function attributesOf(attributes: Record<string, string>) {
      const exporter = new KeepingExporter();
      setup({ exporter });
      trace.getTracer('test').startSpan('work', { attributes }).end();
      await suite.tracing?.shutdown();
      return exporter.spans[0]!.attributes;
    }

    test('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT and OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT are applied', async () => {
      process.env.OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT = '2';
      process.env.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT = '3';
      expect(await attributesOf({ a: 'abcdef', b: 'x', c: 'y' })).toEqual({ a: 'abc', b: 'x' });
    });

    test('the span-specific limit wins over the general one', async () => {
      process.env.OTEL_ATTRIBUTE_COUNT_LIMIT = '1';
      process.env.OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT = '2';
      expect(Object.keys(await attributesOf({ a: '1', b: '2', c: '3' }))).toEqual(['a', 'b']);
    });

    test('OTEL_BSP_MAX_EXPORT_BATCH_SIZE and OTEL_BSP_SCHEDULE_DELAY shape the batches', async () => {
      process.env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE = '2';
      process.env.OTEL_BSP_SCHEDULE_DELAY = '0';
      const batches: number[] = [];
      const exporter = {
        export: (spans: unknown[], done: (result: { code: number }) => void) => {
          batches.push(spans.length);
          done({ code: 0 });
        },
        shutdown: async () => undefined,
      };
      setup({ exporter: exporter as never });
      for (let i = 0; i < 5; i++) trace.getTracer('test').startSpan(`s${i}`).end();
      await suite.tracing?.shutdown();
      expect(Math.max(...batches)).toBe(2);
      expect(batches.reduce((sum, n) => sum + n, 0)).toBe(5);
    });
  });
});
