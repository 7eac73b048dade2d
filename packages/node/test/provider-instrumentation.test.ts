// An OTel instrumentation that knows only the OTel API, on our provider:
// @opentelemetry/instrumentation-http, a real request to a real server. It
// runs in a child process (fixtures/http-instrumentation.mjs): the
// instrumentation patches node:http through require hooks, which see only
// real require() calls (jest's module registry bypasses them), and its patch
// must not reach any other test.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { BUILDS } from '../../../test/support/builds';

interface SpanView {
  name: string;
  kind: SpanKind;
  attributes: Record<string, unknown>;
  traceId: string;
  spanId: string;
  parent?: { spanId: string; isRemote?: boolean };
  scope: string;
}

interface Result {
  port: number;
  body: string;
  request: SpanView[];
  job: string;
  active: SpanView[];
  exported: number;
  traceparents: (string | null)[];
  afterExport: SpanView[];
}

function run(build: string): Promise<Result> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(__dirname, 'fixtures', 'http-instrumentation.mjs'), build],
      { env: { ...clean, NODE_OPTIONS: '' }, timeout: 20_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as Result);
      },
    );
  });
}

describe.each(BUILDS)('@opentelemetry/instrumentation-http on TracewireTracerProvider (%s build)', (build) => {
  let result: Result;
  beforeAll(async () => {
    result = await run(build);
  });

  const byKind = (spans: SpanView[], kind: SpanKind) => spans.find((span) => span.kind === kind) as SpanView;

  test('a request makes a client and a server span with their standard attributes, the server a child of the client', () => {
    expect(result.body).toBe('ok');
    expect(result.request).toHaveLength(2);
    const client = byKind(result.request, SpanKind.CLIENT);
    const server = byKind(result.request, SpanKind.SERVER);
    expect(client.name).toBe('GET');
    expect(client.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': result.port,
      'url.full': `http://127.0.0.1:${result.port}/users/42?page=2`,
      'http.response.status_code': 200,
    });
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/users/42',
      'url.query': 'page=2',
      'url.scheme': 'http',
      'http.response.status_code': 200,
    });
    // The server's parent came over the wire, in traceparent.
    expect(server.traceId).toBe(client.traceId);
    expect(server.parent).toStrictEqual({ spanId: client.spanId, isRemote: true });
    expect(client.parent).toBeUndefined();
    expect(client.scope).toBe('@opentelemetry/instrumentation-http');
  });

  test('under an active span of user code, the client span is its child', () => {
    const client = byKind(result.active, SpanKind.CLIENT);
    const job = result.active.find((span) => span.name === 'job') as SpanView;
    expect(job.spanId).toBe(result.job);
    expect(client.parent?.spanId).toBe(job.spanId);
    expect(client.traceId).toBe(job.traceId);
  });

  test("our batch exporter's own HTTP requests make no spans and send no trace header", () => {
    expect(result.exported).toBe(5);
    expect(result.traceparents).toStrictEqual([null]);
    expect(result.afterExport).toStrictEqual([]);
  });
});
