// Our OTLP/HTTP protobuf exporter against real HTTP servers on 127.0.0.1:
// what reaches the receiver (headers, gzip, one kept-alive connection), what
// one failed POST reports (refused, non-2xx, no answer in time), and the
// OTEL_EXPORTER_OTLP_* variables it reads, whose bad values fail at setup
// naming the variable.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type DiagLogger, DiagLogLevel, diag, trace } from '@opentelemetry/api';
import { BUILDS } from '../../../test/support/builds';
import { closedPort, otlpBody, otlpSpanNames, startCapture, until } from './capture';
import { nodeSuite } from './harness';

type SenderModule = typeof import('../src/export/otlp-http-sender');
type ExporterModule = typeof import('../src/export/otlp-proto-exporter');
const dist = join(resolve(__dirname, '..'), 'dist/cjs/export');
const { OtlpHttpSender } = require(join(dist, 'otlp-http-sender.js')) as SenderModule;
const { OtlpProtoExporter } = require(join(dist, 'otlp-proto-exporter.js')) as ExporterModule;

/** A server answering every request with `answer` (or never, with 'hang'); counts connections. */
async function startServer(answer: number | 'hang') {
  const sockets = new Set<Socket>();
  let connections = 0;
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    req.resume();
    if (answer === 'hang') return;
    req.on('end', () => res.writeHead(answer).end());
  });
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    stats: () => ({ connections, requests }),
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

const settings = { headers: {}, timeoutMillis: 10_000, compression: 'none' as const };
const BODY = new Uint8Array([10, 0]); // an ExportTraceServiceRequest with one empty ResourceSpans

describe('OtlpHttpSender: one POST, resolved on 2xx, rejected with the reason otherwise', () => {
  test('2xx resolves; the connection is kept alive between sends', async () => {
    const server = await startServer(202);
    const sender = new OtlpHttpSender({ ...settings, url: server.url });
    try {
      await sender.send(BODY);
      await sender.send(BODY);
      expect(server.stats()).toEqual({ connections: 1, requests: 2 });
    } finally {
      sender.close();
      await server.close();
    }
  });

  test.each([
    [503, 'the backend answered HTTP 503 Service Unavailable'],
    [400, 'the backend answered HTTP 400 Bad Request'],
    [302, 'the backend answered HTTP 302 Found'],
  ])('HTTP %i rejects with the status, once: no retry', async (status, message) => {
    const server = await startServer(status);
    const sender = new OtlpHttpSender({ ...settings, url: server.url });
    try {
      await expect(sender.send(BODY)).rejects.toThrow(message);
      expect(server.stats().requests).toBe(1);
    } finally {
      sender.close();
      await server.close();
    }
  });

  test('a closed port rejects at once with the network error', async () => {
    const port = await closedPort();
    const sender = new OtlpHttpSender({ ...settings, url: `http://127.0.0.1:${port}/v1/traces` });
    const started = Date.now();
    await expect(sender.send(BODY)).rejects.toThrow(`connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(1000);
    sender.close();
  });

  test('a server that never answers rejects after the timeout, once', async () => {
    const server = await startServer('hang');
    const sender = new OtlpHttpSender({ ...settings, url: server.url, timeoutMillis: 300 });
    try {
      const started = Date.now();
      await expect(sender.send(BODY)).rejects.toThrow('no answer within 300 ms');
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(2000);
      // A shorter timeout for one send (a probe).
      await expect(sender.send(BODY, 100)).rejects.toThrow('no answer within 100 ms');
      expect(server.stats().requests).toBe(2);
    } finally {
      sender.close();
      await server.close();
    }
  });
});

describe('OtlpProtoExporter', () => {
  function errors() {
    const error = jest.fn();
    const logger: DiagLogger = { error, warn: error, info: jest.fn(), debug: jest.fn(), verbose: jest.fn() };
    diag.setLogger(logger, DiagLogLevel.INFO);
    return error;
  }
  afterEach(() => diag.disable());

  test('a batch it cannot encode is dropped with one message, and the processor is told SUCCESS', async () => {
    const error = errors();
    const capture = await startCapture();
    const exporter = new OtlpProtoExporter({ ...settings, url: `${capture.url}/v1/traces` });
    try {
      const result = await new Promise((done) => exporter.export([{} as never, {} as never], done));
      expect(result).toEqual({ code: 0 });
      expect(error).toHaveBeenCalledTimes(1);
      expect(error.mock.calls[0]![0]).toMatch(
        new RegExp(`^@tracewire/node: cannot encode 2 spans for ${capture.url}/v1/traces \\(.+\\); dropped them$`),
      );
      expect(capture.received).toEqual([]);
    } finally {
      await exporter.shutdown();
      await capture.close();
    }
  });

  test('settings it is not given come from the OTEL_EXPORTER_OTLP_* variables', async () => {
    const capture = await startCapture();
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-from-env=yes';
    process.env.OTEL_EXPORTER_OTLP_COMPRESSION = 'gzip';
    try {
      const exporter = new OtlpProtoExporter({ url: `${capture.url}/v1/traces`, compression: 'none' });
      await new Promise((done) => exporter.export([], done));
      await exporter.shutdown();
      expect(capture.received[0]!.headers).toMatchObject({ 'x-from-env': 'yes' });
      expect(capture.received[0]!.headers['content-encoding']).toBeUndefined();
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
      delete process.env.OTEL_EXPORTER_OTLP_COMPRESSION;
      await capture.close();
    }
  });

  test('a failed POST is answered SUCCESS too, and reported once as an outage', async () => {
    const error = errors();
    const server = await startServer(503);
    const exporter = new OtlpProtoExporter({ ...settings, url: server.url });
    try {
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await new Promise((done) => exporter.export([], done)));
      expect(results).toEqual([{ code: 0 }, { code: 0 }, { code: 0 }]);
      expect(error).toHaveBeenCalledTimes(1);
      expect(error.mock.calls[0]![0]).toBe(
        `@tracewire/node: cannot export spans to ${server.url} (the backend answered HTTP 503 Service Unavailable); dropping them until it answers`,
      );
    } finally {
      await exporter.shutdown();
      await server.close();
    }
  });
});

describe.each(BUILDS)(
  'setupTracing with OTLP/HTTP protobuf and the OTEL_EXPORTER_OTLP_* variables (%s build)',
  (build) => {
    const suite = nodeSuite(build);

    async function exportOne(name = 'work') {
      trace.getTracer('test').startSpan(name).end();
      await suite.tracing?.shutdown();
    }

    function warnings(): jest.Mock {
      const warn = jest.fn();
      diag.setLogger({ error: warn, warn, info: jest.fn(), debug: jest.fn(), verbose: jest.fn() }, DiagLogLevel.WARN);
      return warn;
    }

    test('headers of both variables are sent, percent-decoded; the traces one wins per name', async () => {
      suite.capture = await startCapture();
      process.env.OTEL_EXPORTER_OTLP_HEADERS = 'Authorization=Bearer%20abc%3D%3D,x-team=platform, x-tenant = t1 ';
      process.env.OTEL_EXPORTER_OTLP_TRACES_HEADERS = 'x-team=traces,x-extra=a%2Cb';
      suite.setup({ endpoint: suite.capture.url });
      await exportOne();
      const [request] = suite.capture.received;
      expect(request!.headers).toMatchObject({
        authorization: 'Bearer abc==',
        'x-team': 'traces',
        'x-tenant': 't1',
        'x-extra': 'a,b',
        'content-type': 'application/x-protobuf',
        'user-agent': expect.stringMatching(/^tracewire-node\/\d+\.\d+\.\d+/),
      });
      expect(request!.headers['content-encoding']).toBeUndefined();
      expect(await otlpSpanNames(suite.capture.received)).toEqual(['work']);
    });

    test('a header cannot replace content-type', async () => {
      suite.capture = await startCapture();
      process.env.OTEL_EXPORTER_OTLP_HEADERS = 'content-type=text/plain';
      suite.setup({ endpoint: suite.capture.url });
      await exportOne();
      expect(suite.capture.received[0]!.contentType).toBe('application/x-protobuf');
    });

    test.each([
      [{ OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }, 'gzip'],
      [{ OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'GZIP', OTEL_EXPORTER_OTLP_COMPRESSION: 'none' }, 'gzip'],
      [{ OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }, undefined],
    ])('%j: content-encoding %s, and the body decodes', async (env, encoding) => {
      suite.capture = await startCapture();
      Object.assign(process.env, env);
      suite.setup({ endpoint: suite.capture.url });
      await exportOne('zipped');
      const [request] = suite.capture.received;
      expect(request!.headers['content-encoding']).toBe(encoding);
      const body = encoding === 'gzip' ? gunzipSync(request!.body) : request!.body;
      const decoded = await otlpBody({ contentType: request!.contentType, body });
      expect(decoded.resourceSpans![0]!.scopeSpans![0]!.spans![0]!.name).toBe('zipped');
    });

    test.each([
      [{ OTEL_EXPORTER_OTLP_TIMEOUT: '300' }, 300],
      [{ OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '200', OTEL_EXPORTER_OTLP_TIMEOUT: '5000' }, 200],
    ])('%j: a backend that never answers is given up after %i ms, and reported once', async (env, ms) => {
      const warn = warnings();
      const server = await startServer('hang');
      try {
        Object.assign(process.env, env, { OTEL_BSP_SCHEDULE_DELAY: '1' });
        suite.setup({ endpoint: server.url });
        const started = Date.now();
        trace.getTracer('test').startSpan('lost').end();
        await until(() => warn.mock.calls.length > 0, 5000);
        const took = Date.now() - started;
        expect(took).toBeGreaterThanOrEqual(ms - 10);
        expect(took).toBeLessThan(ms + 1500);
        expect(warn.mock.calls.map(([message]) => message)).toEqual([
          `@tracewire/node: cannot export spans to ${server.url} (no answer within ${ms} ms); dropping them until it answers`,
        ]);
        await expect(suite.tracing!.shutdown()).resolves.toBeUndefined();
      } finally {
        await server.close();
      }
    });

    test('a non-2xx answer is reported with its status, once, and neither flush nor shutdown rejects', async () => {
      const warn = warnings();
      const server = await startServer(500);
      try {
        suite.setup({ endpoint: server.url });
        for (let i = 0; i < 3; i++) {
          trace.getTracer('test').startSpan('s').end();
          await expect(suite.tracing!.forceFlush()).resolves.toBeUndefined();
        }
        await expect(suite.tracing!.shutdown()).resolves.toBeUndefined();
        expect(warn.mock.calls.map(([message]) => message)).toEqual([
          `@tracewire/node: cannot export spans to ${server.url} (the backend answered HTTP 500 Internal Server Error); dropping them until it answers`,
        ]);
      } finally {
        await server.close();
      }
    });

    describe('bad values fail at setup, naming the variable', () => {
      test.each([
        [
          { OTEL_EXPORTER_OTLP_HEADERS: 'api-key' },
          /OTEL_EXPORTER_OTLP_HEADERS has "api-key", which is not name=value/,
        ],
        [{ OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'a=1,=2' }, /OTEL_EXPORTER_OTLP_TRACES_HEADERS has "=2", which is not/],
        [{ OTEL_EXPORTER_OTLP_HEADERS: 'api key=1' }, /OTEL_EXPORTER_OTLP_HEADERS has the header name "api key"/],
        [
          { OTEL_EXPORTER_OTLP_HEADERS: 'k=%zz' },
          /OTEL_EXPORTER_OTLP_HEADERS has a value for "k" that is not valid percent/,
        ],
        [
          { OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'k=a%0D%0Ax-injected: 1' },
          /OTEL_EXPORTER_OTLP_TRACES_HEADERS has a value for "k" with characters HTTP does not allow/,
        ],
        [
          { OTEL_EXPORTER_OTLP_TIMEOUT: '0' },
          /OTEL_EXPORTER_OTLP_TIMEOUT is "0", which is not a timeout in milliseconds/,
        ],
        [{ OTEL_EXPORTER_OTLP_TIMEOUT: '10s' }, /OTEL_EXPORTER_OTLP_TIMEOUT is "10s"/],
        [{ OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '-1' }, /OTEL_EXPORTER_OTLP_TRACES_TIMEOUT is "-1"/],
        [{ OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '1e12' }, /OTEL_EXPORTER_OTLP_TRACES_TIMEOUT is "1e12"/],
        // Overridden by the traces variable, still checked.
        [
          { OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '100', OTEL_EXPORTER_OTLP_TIMEOUT: 'soon' },
          /OTEL_EXPORTER_OTLP_TIMEOUT is "soon"/,
        ],
        [
          { OTEL_EXPORTER_OTLP_COMPRESSION: 'brotli' },
          /OTEL_EXPORTER_OTLP_COMPRESSION is "brotli", which is not one of gzip, none/,
        ],
        [{ OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'zip' }, /OTEL_EXPORTER_OTLP_TRACES_COMPRESSION is "zip"/],
      ])('%j', (env, message) => {
        Object.assign(process.env, env);
        expect(() => suite.node.setupTracing()).toThrow(message);
        expect(() => suite.node.setupTracing({ protocol: 'http/json' })).toThrow(message);
      });

      test('a bad header value is not echoed: it is often a credential', () => {
        process.env.OTEL_EXPORTER_OTLP_HEADERS = 'authorization=s3cr3t%0A';
        expect(() => suite.node.setupTracing()).toThrow(/authorization/);
        expect(() => suite.node.setupTracing()).not.toThrow(/s3cr3t/);
      });

      test('not checked when no OTLP exporter is chosen', () => {
        process.env.OTEL_EXPORTER_OTLP_TIMEOUT = 'soon';
        expect(() => suite.setup({ exporter: 'none' })).not.toThrow();
      });
    });
  },
);
