import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  context,
  createContextKey,
  type DiagLogger,
  DiagLogLevel,
  diag,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler } from '@opentelemetry/sdk-trace';
import { BUILDS } from '../../../test/support/builds';
import { hostProcess } from '../../../test/support/process';
import { closedPort, KeepingExporter, otlpBody, otlpSpanNames, startCapture } from './capture';
import { nodeSuite } from './harness';

type Node = typeof import('@tracewire/node');

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

/** A context whose active span is a remote parent, sampled or not. */
function remoteParent(sampled: boolean) {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE_ID,
    spanId: 'b7ad6b7169203331',
    traceFlags: sampled ? 1 : 0,
    isRemote: true,
  });
}

describe.each(BUILDS)('setupTracing (%s build)', (build) => {
  const suite = nodeSuite(build);
  const { setup } = suite;

  /** Ends one span made through the global API, shuts down, returns what the exporter got. */
  async function oneSpan(exporter: KeepingExporter, parent = ROOT_CONTEXT) {
    trace.getTracer('test').startSpan('work', {}, parent).end();
    await suite.tracing?.shutdown();
    return exporter.spans;
  }

  function warnings(): jest.Mock {
    const warn = jest.fn();
    const logger: DiagLogger = { error: warn, warn, info: jest.fn(), debug: jest.fn(), verbose: jest.fn() };
    diag.setLogger(logger, DiagLogLevel.WARN);
    return warn;
  }

  test('VERSION equals the package.json version', () => {
    expect(suite.node.VERSION).toBe(require('@tracewire/node/package.json').version);
  });

  describe('globals', () => {
    test('registers the provider, the W3C propagator and the AsyncLocalStorage context manager', async () => {
      const exporter = new KeepingExporter();
      const { tracerProvider } = setup({ exporter });
      // Ours by default; the SDK's only when TRACEWIRE_PROVIDER=otel (pnpm test:sdk) asks for it.
      // The SDK's TracerProvider, whichever line; its ES build names the class TracerProvider$1.
      expect(tracerProvider.constructor.name).toMatch(
        process.env.TRACEWIRE_PROVIDER === 'otel' ? /^TracerProvider/ : /^TracewireTracerProvider/,
      );
      expect(propagation.fields()).toEqual(expect.arrayContaining(['traceparent', 'tracestate', 'baggage']));

      const key = createContextKey('k');
      const seen = await context.with(context.active().setValue(key, 'v'), async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return context.active().getValue(key);
      });
      expect(seen).toBe('v');

      const spans = await oneSpan(exporter, remoteParent(true));
      expect(spans).toHaveLength(1);
      expect(spans[0]?.spanContext().traceId).toBe(TRACE_ID);
      expect(spans[0]?.kind).toBe(SpanKind.INTERNAL);
    });

    test('a second call throws instead of silently keeping the first provider', () => {
      setup({ exporter: 'none' });
      expect(() => suite.node.setupTracing({ exporter: 'none' })).toThrow(/already registered/);
    });

    test('a bad option throws before any global is registered', () => {
      expect(() => suite.node.setupTracing({ exporter: 'kafka' as never })).toThrow();
      expect(trace.getTracer('t').startSpan('s').isRecording()).toBe(false);
      expect(propagation.fields()).toEqual([]);
    });
  });

  describe('service name and resource', () => {
    async function resourceOf(options: Parameters<Node['setupTracing']>[0] = {}) {
      const exporter = new KeepingExporter();
      setup({ exporter, ...options });
      const [span] = await oneSpan(exporter);
      return span!.resource.attributes;
    }

    test('defaults to unknown_service:<executable>, as the SDK names it', async () => {
      // The SDK uses process.argv0: `node` from a shell, a full path under npx.
      expect((await resourceOf())['service.name']).toBe(`unknown_service:${hostProcess().argv0}`);
    });

    test('OTEL_RESOURCE_ATTRIBUTES is read, percent-decoded, and OTEL_SERVICE_NAME wins over its service.name', async () => {
      process.env.OTEL_RESOURCE_ATTRIBUTES = 'service.name=from-attrs,deployment.environment=test,team=a%20b';
      expect(await resourceOf()).toMatchObject({
        'service.name': 'from-attrs',
        'deployment.environment': 'test',
        team: 'a b',
      });
      await suite.tracing?.shutdown();
      trace.disable();
      process.env.OTEL_SERVICE_NAME = 'from-env';
      expect((await resourceOf())['service.name']).toBe('from-env');
    });

    test('options win over the environment: resource, then serviceName', async () => {
      process.env.OTEL_SERVICE_NAME = 'from-env';
      process.env.OTEL_RESOURCE_ATTRIBUTES = 'team=env,region=eu';
      expect(await resourceOf({ resource: { 'service.name': 'from-resource', team: 'option' } })).toMatchObject({
        'service.name': 'from-resource',
        team: 'option',
        region: 'eu',
      });
      await suite.tracing?.shutdown();
      trace.disable();
      expect(
        await resourceOf({ serviceName: 'from-option', resource: { 'service.name': 'from-resource' } }),
      ).toMatchObject({ 'service.name': 'from-option' });
    });
  });

  describe('sampler', () => {
    async function sampled(options: Parameters<Node['setupTracing']>[0] = {}, parent = ROOT_CONTEXT) {
      const exporter = new KeepingExporter();
      setup({ exporter, ...options });
      return (await oneSpan(exporter, parent)).length === 1;
    }

    test('default is parent-based always on: a root is sampled, a non-sampled parent is followed', async () => {
      expect(await sampled()).toBe(true);
      await suite.tracing?.shutdown();
      trace.disable();
      expect(await sampled({}, remoteParent(false))).toBe(false);
    });

    test.each([
      ['always_off', undefined, false],
      ['always_on', undefined, true],
      ['traceidratio', '0', false],
      ['traceidratio', '1', true],
      ['parentbased_traceidratio', '0', false],
      ['parentbased_always_off', undefined, false],
    ])('OTEL_TRACES_SAMPLER=%s OTEL_TRACES_SAMPLER_ARG=%s samples a root: %s', async (name, arg, expected) => {
      process.env.OTEL_TRACES_SAMPLER = name;
      if (arg !== undefined) process.env.OTEL_TRACES_SAMPLER_ARG = arg;
      expect(await sampled()).toBe(expected);
    });

    test('parentbased_traceidratio keeps the child of a sampled parent even at ratio 0', async () => {
      process.env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
      process.env.OTEL_TRACES_SAMPLER_ARG = '0';
      expect(await sampled({}, remoteParent(true))).toBe(true);
    });

    test('the option wins over the environment: a ratio, or a Sampler', async () => {
      process.env.OTEL_TRACES_SAMPLER = 'always_off';
      expect(await sampled({ sampler: 1 })).toBe(true);
      await suite.tracing?.shutdown();
      trace.disable();
      expect(await sampled({ sampler: new AlwaysOnSampler() })).toBe(true);
      await suite.tracing?.shutdown();
      trace.disable();
      delete process.env.OTEL_TRACES_SAMPLER;
      expect(await sampled({ sampler: 0 })).toBe(false);
      await suite.tracing?.shutdown();
      trace.disable();
      expect(await sampled({ sampler: new AlwaysOffSampler() })).toBe(false);
    });
  });

  describe('exporters', () => {
    /** Ends one span and shuts down, so the exporter has sent it. */
    async function exportOne() {
      trace.getTracer('test').startSpan('work').end();
      await suite.tracing?.shutdown();
    }

    test('otlp is the default: OTLP/HTTP protobuf to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces', async () => {
      suite.capture = await startCapture();
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `${suite.capture.url}/base/`;
      process.env.OTEL_SERVICE_NAME = 'svc';
      setup();
      await exportOne();
      expect(suite.capture.received).toHaveLength(1);
      const [request] = suite.capture.received;
      expect(request).toMatchObject({ method: 'POST', path: '/base/v1/traces', contentType: 'application/x-protobuf' });
      const body = await otlpBody(request!);
      expect(body.resourceSpans![0]!.scopeSpans![0]!.spans![0]!.name).toBe('work');
      expect(body.resourceSpans![0]!.resource!.attributes).toContainEqual({
        key: 'service.name',
        value: { stringValue: 'svc' },
      });
    });

    test('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as is and wins over OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
      suite.capture = await startCapture();
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `${suite.capture.url}/base`;
      process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${suite.capture.url}/exact`;
      setup();
      await exportOne();
      expect(suite.capture.received.map((r) => r.path)).toEqual(['/exact']);
    });

    test('option endpoint wins over the environment; a bare URL gets the standard path', async () => {
      suite.capture = await startCapture();
      process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = 'http://127.0.0.1:1/nowhere';
      setup({ endpoint: suite.capture.url });
      await exportOne();
      expect(suite.capture.received.map((r) => r.path)).toEqual(['/v1/traces']);
    });

    test('option exporter wins over OTEL_TRACES_EXPORTER', async () => {
      process.env.OTEL_TRACES_EXPORTER = 'none';
      const exporter = new KeepingExporter();
      setup({ exporter });
      expect(await oneSpan(exporter)).toHaveLength(1);
    });

    test('zipkin: Zipkin v2 JSON to OTEL_EXPORTER_ZIPKIN_ENDPOINT', async () => {
      suite.capture = await startCapture();
      process.env.OTEL_TRACES_EXPORTER = 'zipkin';
      process.env.OTEL_EXPORTER_ZIPKIN_ENDPOINT = `${suite.capture.url}/zipkin`;
      setup({ serviceName: 'svc' });
      await exportOne();
      const [request] = suite.capture.received;
      expect(request).toMatchObject({ method: 'POST', path: '/zipkin', contentType: 'application/json' });
      expect(JSON.parse(request!.body.toString())[0]).toMatchObject({
        name: 'work',
        localEndpoint: { serviceName: 'svc' },
      });
    });

    test('jaeger: Thrift over HTTP, the optional peer loaded on demand', async () => {
      suite.capture = await startCapture();
      setup({ exporter: 'jaeger', endpoint: suite.capture.url, serviceName: 'svc' });
      await exportOne();
      const [request] = suite.capture.received;
      expect(request).toMatchObject({ method: 'POST', path: '/api/traces', contentType: 'application/x-thrift' });
      expect(request!.body.includes(Buffer.from('work'))).toBe(true);
      expect(request!.body.includes(Buffer.from('svc'))).toBe(true);
    });

    test('a comma-separated OTEL_TRACES_EXPORTER builds each one', async () => {
      suite.capture = await startCapture();
      process.env.OTEL_TRACES_EXPORTER = 'otlp, zipkin';
      process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${suite.capture.url}/otlp`;
      process.env.OTEL_EXPORTER_ZIPKIN_ENDPOINT = `${suite.capture.url}/zipkin`;
      setup();
      await exportOne();
      expect(suite.capture.received.map((r) => r.path).sort()).toEqual(['/otlp', '/zipkin']);
    });

    test('console prints each span', async () => {
      const dir = jest.spyOn(console, 'dir').mockImplementation(() => undefined);
      try {
        setup({ exporter: 'console' });
        await exportOne();
        expect(dir).toHaveBeenCalledWith(expect.objectContaining({ name: 'work' }), expect.anything());
      } finally {
        dir.mockRestore();
      }
    });

    test('none: spans are still made and propagated, nothing is exported', async () => {
      suite.capture = await startCapture();
      process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = suite.capture.url;
      setup({ exporter: 'none' });
      const span = trace.getTracer('test').startSpan('work');
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
      span.end();
      await suite.tracing?.shutdown();
      expect(carrier.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
      expect(suite.capture.received).toEqual([]);
    });
  });

  describe('bad options throw at setup, naming the option', () => {
    test.each([
      [{ exporter: 'kafka' }, {}, /option "exporter" is "kafka"/],
      [{ exporter: {} }, {}, /option "exporter" must be/],
      [{}, { OTEL_TRACES_EXPORTER: 'otlp,kafka' }, /OTEL_TRACES_EXPORTER is "kafka"/],
      [{ endpoint: 'localhost:4318' }, {}, /option "endpoint" is "localhost:4318", which is not an http/],
      [{ endpoint: 'not a url' }, {}, /option "endpoint" is "not a url", which is not a URL/],
      [{ exporter: 'zipkin', endpoint: 'ftp://host/' }, {}, /option "endpoint" is "ftp:\/\/host\/"/],
      [
        {},
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'http//collector:4318' },
        /OTEL_EXPORTER_OTLP_ENDPOINT is "http\/\/collector/,
      ],
      [{}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '::' }, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is "::"/],
      [{ exporter: 'jaeger' }, { OTEL_EXPORTER_JAEGER_ENDPOINT: 'nope' }, /OTEL_EXPORTER_JAEGER_ENDPOINT is "nope"/],
      [{ sampler: 1.5 }, {}, /option "sampler" is 1.5/],
      [{ sampler: 'always_on' }, {}, /option "sampler" must be/],
      [{}, { OTEL_TRACES_SAMPLER: 'sometimes' }, /OTEL_TRACES_SAMPLER is "sometimes"/],
      [
        {},
        { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' },
        /OTEL_TRACES_SAMPLER_ARG is "half"/,
      ],
      [{}, { OTEL_SDK_DISABLED: 'yes' }, /OTEL_SDK_DISABLED is "yes", which is not true or false/],
      [{}, { OTEL_PROPAGATORS: 'w3c' }, /OTEL_PROPAGATORS is "w3c", which is not one of tracecontext, baggage/],
      [{}, { OTEL_PROPAGATORS: 'tracecontext,xray' }, /OTEL_PROPAGATORS is "xray"/],
      [{}, { OTEL_PROPAGATORS: 'none,b3' }, /OTEL_PROPAGATORS is "none,b3": "none" cannot be listed/],
      [{}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http' }, /OTEL_EXPORTER_OTLP_PROTOCOL is "http", which is not one of/],
      [{}, { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc/json' }, /OTEL_EXPORTER_OTLP_TRACES_PROTOCOL is "grpc\/json"/],
      [{ protocol: 'thrift' }, {}, /option "protocol" is "thrift"/],
      [{}, { OTEL_BSP_MAX_QUEUE_SIZE: 'lots' }, /OTEL_BSP_MAX_QUEUE_SIZE is "lots", which is not a whole number/],
      [{}, { OTEL_BSP_SCHEDULE_DELAY: '1.5' }, /OTEL_BSP_SCHEDULE_DELAY is "1.5"/],
      [{}, { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '-1' }, /OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT is "-1"/],
      [{ serviceName: '' }, {}, /option "serviceName"/],
      [{ resource: 'x' }, {}, /option "resource"/],
    ])('%j with env %j', (options, env, message) => {
      Object.assign(process.env, env);
      expect(() => suite.node.setupTracing(options as never)).toThrow(message);
    });

    test('an endpoint that is not used is not checked', () => {
      process.env.OTEL_EXPORTER_ZIPKIN_ENDPOINT = 'nope';
      expect(() => setup({ exporter: 'none' })).not.toThrow();
    });
  });

  describe('shutdown', () => {
    test('exports every span of every finished request before it resolves, once', async () => {
      // Without shutdown these spans would wait for the 5 s batch delay.
      suite.capture = await startCapture();
      setup({ endpoint: suite.capture.url });
      const tracer = trace.getTracer('test');
      const server = createServer((req, res) => {
        const span = tracer.startSpan(`GET ${req.url}`, { kind: SpanKind.SERVER });
        res.on('finish', () => span.end());
        res.end('ok');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      try {
        for (let i = 0; i < 25; i++) expect((await fetch(`http://127.0.0.1:${port}/r${i}`)).status).toBe(200);
      } finally {
        server.closeAllConnections();
        server.close();
      }
      expect(suite.capture.received).toEqual([]);
      const first = suite.tracing!.shutdown();
      expect(suite.tracing!.shutdown()).toBe(first);
      await first;
      const names = await otlpSpanNames(suite.capture.received);
      expect(names.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `GET /r${i}`).sort());
    });

    test('forceFlush exports without stopping; shutdown stops the exporter', async () => {
      const exporter = new KeepingExporter();
      setup({ exporter });
      trace.getTracer('test').startSpan('one').end();
      await suite.tracing!.forceFlush();
      expect(exporter.spans.map((s) => s.name)).toEqual(['one']);
      expect(exporter.shutdowns).toBe(0);
      await suite.tracing!.shutdown();
      expect(exporter.shutdowns).toBe(1);
    });
  });

  describe('an unreachable backend', () => {
    test('neither fails nor slows a request, and is logged once', async () => {
      const warn = warnings();
      const port = await closedPort();
      process.env.OTEL_BSP_SCHEDULE_DELAY = '1'; // export while the requests run
      // Default export timeout: one POST, no retries, so a refused
      // connection is reported at the first export, not after 10 s.
      setup({ endpoint: `http://127.0.0.1:${port}` });
      const tracer = trace.getTracer('test');
      const server = createServer((req, res) => {
        tracer.startActiveSpan(`GET ${req.url}`, { kind: SpanKind.SERVER }, (span) => {
          res.on('finish', () => span.end());
          res.end('ok');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port: appPort } = server.address() as AddressInfo;
      const durations: number[] = [];
      try {
        const end = Date.now() + 1500;
        for (let i = 0; i < 500 && Date.now() < end; i++) {
          const start = Date.now();
          const response = await fetch(`http://127.0.0.1:${appPort}/r${i}`);
          expect(await response.text()).toBe('ok');
          durations.push(Date.now() - start);
        }
        // Reported while the requests ran: the first failed POST starts the outage.
        expect(warn).toHaveBeenCalled();
      } finally {
        server.closeAllConnections();
        server.close();
      }
      expect(durations.length).toBeGreaterThan(5);
      expect(Math.max(...durations)).toBeLessThan(1000);
      await expect(suite.tracing!.shutdown()).resolves.toBeUndefined();
      const ours = warn.mock.calls.filter(([message]) => String(message).includes('@tracewire/node'));
      expect(ours).toHaveLength(1);
      expect(ours[0]![0]).toMatch(
        new RegExp(`cannot export spans to http://127.0.0.1:${port}/v1/traces \\(.*ECONNREFUSED`),
      );
      expect(warn).toHaveBeenCalledTimes(1);
    }, 60_000);

    test('a backend that times out is logged once for the whole outage, not once per export timeout', async () => {
      const warn = warnings();
      // A small queue that a waiting export fills quickly, as a dead backend fills the default one.
      process.env.OTEL_BSP_SCHEDULE_DELAY = '1';
      process.env.OTEL_BSP_MAX_QUEUE_SIZE = '20';
      process.env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE = '10';
      let up = false;
      let calls = 0;
      const received: string[] = [];
      const exporter = {
        // Answers after 20 ms, like an exporter whose request times out.
        export: (spans: { name: string }[], done: (result: { code: number; error?: Error }) => void) => {
          calls++;
          setTimeout(() => {
            if (!up) return done({ code: 1, error: new Error('Request timed out') });
            received.push(...spans.map((span) => span.name));
            done({ code: 0 });
          }, 20);
        },
        shutdown: async () => undefined,
      };
      setup({ exporter: exporter as never });
      const tracer = trace.getTracer('test');
      // 60 rounds of 20 spans, 25 ms apart: the outage outlasts many export timeouts.
      const started = Date.now();
      for (let round = 0; round < 60; round++) {
        for (let i = 0; i < 20; i++) tracer.startSpan(`down ${round}`).end();
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      // The first export, then one probe per 250 ms at most: not one per batch (over 100).
      expect(calls).toBeGreaterThanOrEqual(4);
      expect(calls).toBeLessThanOrEqual((Date.now() - started) / 250 + 2);
      // Ours, and at most the processor's one note about the spans it dropped while the first export waited.
      expect(warn.mock.calls.filter(([message]) => String(message).includes('@tracewire/node'))).toHaveLength(1);
      expect(warn.mock.calls.length).toBeLessThanOrEqual(2);

      // The backend is back: the next probe (within 250 ms) succeeds and spans flow again.
      up = true;
      await new Promise((resolve) => setTimeout(resolve, 300));
      tracer.startSpan('up').end();
      await suite.tracing!.forceFlush();
      await new Promise((resolve) => setTimeout(resolve, 50));
      tracer.startSpan('up again').end();
      await suite.tracing!.shutdown();
      expect(received).toContain('up again');
      expect(warn.mock.calls.length).toBeLessThanOrEqual(2);
    }, 20_000);

    test('a failing exporter of your own is reported once per outage, and flush never rejects', async () => {
      const warn = warnings();
      let failing = true;
      const exporter = {
        export: (_spans: unknown[], done: (result: { code: number; error?: Error }) => void) =>
          failing ? done({ code: 1, error: new Error('backend down') }) : done({ code: 0 }),
        shutdown: async () => undefined,
      };
      setup({ exporter: exporter as never });
      const tracer = trace.getTracer('test');
      for (let i = 0; i < 3; i++) {
        tracer.startSpan('s').end();
        await expect(suite.tracing!.forceFlush()).resolves.toBeUndefined();
      }
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toMatch(/cannot export spans to your exporter \(backend down\)/);
      failing = false;
      tracer.startSpan('s').end();
      await suite.tracing!.forceFlush();
      // The next probe, within 250 ms, ends the outage; the next failure starts another.
      await new Promise((resolve) => setTimeout(resolve, 400));
      failing = true;
      tracer.startSpan('s').end();
      await suite.tracing!.forceFlush();
      expect(warn).toHaveBeenCalledTimes(2);
    });
  });
});
