// End to end against a real Jaeger v2 process on loopback (built by
// scripts/jaeger.sh): what the pack exports is what Jaeger shows.
// One file on purpose: Jaeger binds fixed ports, so one instance serves every test.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { JAEGER, Jaeger, type JaegerSpan, type JaegerTag, type JaegerTrace, locateJaeger, tag } from './jaeger';
import { jaegerTurn } from './jaeger-turn';
import { Service } from './services';

type FerretModule = typeof import('../../scripts/ferretdb.cjs');
type FerretDB = Awaited<ReturnType<FerretModule['startFerretDB']>>;
const { locateFerretDB, startFerretDB } = require('../../scripts/ferretdb.cjs') as FerretModule;
// FERRETDB_BIN set (CI) and missing: this throws, and the run fails.
const ferretdb = locateFerretDB();
if (!ferretdb.found) console.warn(`end-to-end MongoDB test skipped: ${ferretdb.reason}`);

const located = locateJaeger();
if (!located.found) {
  console.warn(`end-to-end tests against Jaeger skipped: ${located.reason}`);
}
const describeJaeger = located.found ? describe : describe.skip;

// The SDK packages @tracewire/node depends on, resolved from its folder.
const fromNode = createRequire(join(resolve(__dirname, '../..'), 'packages/node/package.json'));

/**
 * What each exporter carries into Jaeger. OTLP and Jaeger Thrift carry
 * everything. Zipkin v2 JSON loses some of it on the way:
 * - its tags are strings, so numbers arrive as strings;
 * - the JS Zipkin exporter sends only an event's name (the annotation), so an
 *   exception arrives without type, message or stack (error.type still names it);
 * - the status description travels as the `error` tag: the receiver makes the
 *   span ERROR and keeps the text as a string `error` tag, not as
 *   `otel.status_description`;
 * - a span that is ERROR without a description (the fetch CLIENT span of a
 *   5xx) gets no `error` tag from the JS exporter, and the receiver does not
 *   read its `otel.status_code: ERROR` (it knows `STATUS_CODE_ERROR` and
 *   `Error` only), so in Jaeger that span is not an error.
 */
interface Exporter {
  name: string;
  env: Record<string, string>;
  scopeTag: string | undefined;
  /** How Jaeger shows a span the SDK ended with status ERROR and this description. */
  errorStatus: (description?: string) => Status;
  exceptionAttributes: boolean;
  number: (n: number) => number | string;
}

const EXPORTERS: Exporter[] = [
  {
    name: 'OTLP/HTTP',
    env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: JAEGER.otlpHttp },
    scopeTag: 'otel.scope.name',
    errorStatus: (description) => ({ code: 'ERROR', description, error: [true] }),
    exceptionAttributes: true,
    number: (n) => n,
  },
  {
    name: 'Jaeger Thrift',
    env: { OTEL_TRACES_EXPORTER: 'jaeger', OTEL_EXPORTER_JAEGER_ENDPOINT: JAEGER.jaegerThrift },
    scopeTag: 'otel.library.name',
    errorStatus: (description) => ({ code: 'ERROR', description, error: [true] }),
    exceptionAttributes: true,
    number: (n) => n,
  },
  {
    name: 'Zipkin',
    env: { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: JAEGER.zipkin },
    scopeTag: undefined,
    errorStatus: (description) =>
      description === undefined ? UNSET : { code: 'ERROR', description: undefined, error: [true, description] },
    exceptionAttributes: false,
    number: (n) => String(n),
  },
];

/** Starts the message service (with `messageEnv` on top) and the user service calling it; resolves with the user service's URL. */
async function startBoth(services: Service[], exporterEnv: Record<string, string>, messageEnv = {}): Promise<string> {
  // A short batch delay so spans reach Jaeger within the test, not after 5 s.
  const env = { ...exporterEnv, OTEL_BSP_SCHEDULE_DELAY: '100' };
  const message = await Service.start('message-service', { ...env, ...messageEnv });
  services.push(message.service);
  const user = await Service.start('user-service', {
    ...env,
    MESSAGE_SERVICE_URL: message.url,
    MESSAGE_SERVICE_GRPC: message.grpc!,
  });
  services.push(user.service);
  return user.url;
}

describeJaeger('Jaeger v2 on loopback', () => {
  let jaeger: Jaeger;
  // Jest names each test only when it runs a single file; a full run prints
  // file names alone. This list puts these tests' names in every run's output.
  const ran: string[] = [];
  beforeEach(() => {
    ran.push(expect.getState().currentTestName ?? '(unnamed)');
  });

  let release: (() => void) | undefined;
  beforeAll(async () => {
    // jaeger-outage.test.ts, maybe running in parallel, needs the same ports.
    release = await jaegerTurn(240_000);
    jaeger = await Jaeger.start(located.bin);
  }, 300_000);

  afterAll(async () => {
    await jaeger?.stop();
    release?.();
    console.info(`ran ${ran.length} end-to-end tests against Jaeger (${located.bin}):\n${ran.join('\n')}`);
  }, 15_000);

  // Read from /proc, so Linux only.
  (process.platform === 'linux' ? test : test.skip)('listens on 127.0.0.1 only', () => {
    const addresses = jaeger.listeningAddresses();
    expect(addresses).toEqual(expect.arrayContaining(['tcp 127.0.0.1:4318', 'tcp 127.0.0.1:16686']));
    expect(addresses.filter((address) => !/ 127\.0\.0\.1:\d+$/.test(address))).toEqual([]);
  });

  test('a span sent by the SDK OTLP/HTTP exporter reads back from the query API', async () => {
    const { OTLPTraceExporter } = fromNode('@opentelemetry/exporter-trace-otlp-http');
    const { resourceFromAttributes } = fromNode('@opentelemetry/resources');
    const { TracerProvider, SimpleSpanProcessor } = fromNode('@opentelemetry/sdk-trace');
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'e2e-probe' }),
      spanProcessors: [
        new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: 'http://127.0.0.1:4318/v1/traces' }) }),
      ],
    });
    const span = provider.getTracer('e2e').startSpan('probe', { attributes: { component: 'HTTP' } });
    span.end();
    await provider.shutdown();

    const { traceId, spanId } = span.spanContext();
    const trace = await jaeger.trace(traceId, 1);
    expect(trace.traceID).toBe(traceId);
    expect(trace.spans).toHaveLength(1);
    const [read] = trace.spans;
    expect(read).toMatchObject({ spanID: spanId, operationName: 'probe', references: [] });
    expect(tag(read!.tags, 'component')).toBe('HTTP');
    expect(tag(read!.tags, 'otel.scope.name')).toBe('e2e');
    expect(trace.processes[read!.processID]?.serviceName).toBe('e2e-probe');
  });

  describe.each(EXPORTERS)('example services exporting with $name', (exporter) => {
    const services: Service[] = [];
    let userService: string;

    beforeAll(async () => {
      userService = await startBoth(services, exporter.env);
    }, 40_000);

    afterAll(async () => {
      await Promise.all(services.map((service) => service.stop()));
    }, 30_000);

    test('a request through both services is one trace of three spans', async () => {
      const response = await fetch(`${userService}/users/42/messages?count=2`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { messages: unknown[] }).messages).toHaveLength(2);
      const trace = await jaeger.trace(response.headers.get('x-trace-id')!, 3);
      const { userServer, userClient, messageServer } = threeSpans(trace, exporter);
      expect(userServer.operationName).toBe('GET /users/:id/messages');
      expect(userServer.references).toEqual([]);
      expect(userClient.operationName).toBe('GET /messages/42');
      expect(messageServer.operationName).toBe('GET /messages/:userId');
      for (const span of [userServer, userClient, messageServer]) {
        expect(tags(span)).toMatchObject({ 'http.response.status_code': exporter.number(200) });
        expect(status(span)).toEqual(UNSET);
        expect(span.logs).toEqual([]);
      }
    });

    test('the error request shows ERROR status and the recorded exceptions', async () => {
      const response = await fetch(`${userService}/users/0/messages`);
      expect(response.status).toBe(502);
      const trace = await jaeger.trace(response.headers.get('x-trace-id')!, 3);
      const { userServer, userClient, messageServer } = threeSpans(trace, exporter);

      // The message service threw: its SERVER span holds the exception.
      expect(tags(messageServer)).toMatchObject({
        'error.type': 'MailboxUnavailableError',
        'http.response.status_code': exporter.number(500),
      });
      expect(status(messageServer)).toEqual(exporter.errorStatus('the mailbox of user 0 is unavailable'));
      expectException(messageServer, exporter, 'MailboxUnavailableError', 'the mailbox of user 0 is unavailable');

      // The fetch saw a 500: ERROR, error.type = the status code, no exception.
      expect(tags(userClient)).toMatchObject({
        'error.type': '500',
        'http.response.status_code': exporter.number(500),
      });
      expect(status(userClient)).toEqual(exporter.errorStatus(undefined));
      expect(userClient.logs).toEqual([]);

      // The user service turned it into an UpstreamError (502).
      expect(tags(userServer)).toMatchObject({
        'error.type': 'UpstreamError',
        'http.response.status_code': exporter.number(502),
      });
      expect(status(userServer)).toEqual(exporter.errorStatus('message-service answered 500'));
      expectException(userServer, exporter, 'UpstreamError', 'message-service answered 500');
    });

    test('a request over gRPC is one trace of three spans: user SERVER -> user CLIENT gRPC -> message SERVER gRPC', async () => {
      const response = await fetch(`${userService}/users/42/messages-grpc?count=2`);
      expect(response.status).toBe(200);
      const trace = await jaeger.trace(response.headers.get('x-trace-id')!, 3);
      const { userServer, userClient, messageServer } = threeSpans(trace, exporter, GRPC_LEGS);
      expect(userServer.operationName).toBe('GET /users/:id/messages-grpc');
      for (const span of [userClient, messageServer]) {
        expect(span.operationName).toBe(LIST_MESSAGES);
        expect(tags(span)).toMatchObject({
          'rpc.system': 'grpc',
          'rpc.service': 'tracewire.example.MessageService',
          'rpc.method': 'ListMessages',
          'rpc.grpc.status_code': exporter.number(0),
        });
        expect(status(span)).toEqual(UNSET);
        expect(span.logs).toEqual([]);
      }
      expect(tags(userClient)).toMatchObject({ 'server.address': '127.0.0.1' });
      expect(tags(messageServer)).toMatchObject({ 'network.peer.address': '127.0.0.1' });
    });

    test('a gRPC call that fails: UNAVAILABLE is ERROR on both gRPC spans, with error.type and the exception', async () => {
      const response = await fetch(`${userService}/users/0/messages-grpc`);
      expect(response.status).toBe(502);
      const trace = await jaeger.trace(response.headers.get('x-trace-id')!, 3);
      const { userServer, userClient, messageServer } = threeSpans(trace, exporter, GRPC_LEGS);
      const details = 'the mailbox of user 0 is unavailable';
      for (const span of [userClient, messageServer]) {
        expect(tags(span)).toMatchObject({ 'rpc.grpc.status_code': exporter.number(14), 'error.type': 'UNAVAILABLE' });
        expect(status(span)).toEqual(exporter.errorStatus(details));
        const events = span.logs.map((log) => Object.fromEntries(log.fields.map((f) => [f.key, f.value])));
        expect(events).toEqual([
          exporter.exceptionAttributes
            ? { event: 'exception', 'exception.type': 'UNAVAILABLE', 'exception.message': details }
            : { event: 'exception' },
        ]);
      }
      expect(tags(userServer)).toMatchObject({ 'error.type': 'UpstreamError' });
      expect(status(userServer)).toEqual(exporter.errorStatus(`message-service answered UNAVAILABLE: ${details}`));
    });

    test('a trace started outside keeps its trace id in Jaeger', async () => {
      const traceId = randomHex(16);
      const parentId = randomHex(8);
      const response = await fetch(`${userService}/users/7/messages?count=1`, {
        headers: { traceparent: `00-${traceId}-${parentId}-01` },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-trace-id')).toBe(traceId);
      const trace = await jaeger.trace(traceId, 3);
      expect(trace.traceID).toBe(traceId);
      const { userServer } = threeSpans(trace, exporter);
      expect(userServer.references).toEqual([{ refType: 'CHILD_OF', traceID: traceId, spanID: parentId }]);
    });
  });

  describe('the message service with its messages in MongoDB (FerretDB), exporting OTLP/HTTP', () => {
    const services: Service[] = [];
    let database: FerretDB | undefined;
    let userService: string;

    beforeAll(async () => {
      if (!ferretdb.found) return;
      database = await startFerretDB(ferretdb.bin);
      userService = await startBoth(services, EXPORTERS[0]!.env, { MONGODB_URL: database.url });
    }, 40_000);

    afterAll(async () => {
      await Promise.all(services.map((service) => service.stop()));
      await database?.stop();
    }, 30_000);

    const testWithFerretDB = ferretdb.found ? test : test.skip;

    /** The MongoDB command spans of a trace, in the order they started. */
    const commandsOf = (trace: JaegerTrace) =>
      trace.spans.filter((span) => tag(span.tags, 'component') === 'mongodb').sort((a, b) => a.startTime - b.startTime);

    testWithFerretDB(
      "the demo's request: user SERVER -> fetch CLIENT -> message SERVER -> find messages, a CLIENT span with the database tags",
      async () => {
        const response = await fetch(`${userService}/users/42/messages?count=2`);
        expect(response.status).toBe(200);
        expect(((await response.json()) as { messages: unknown[] }).messages).toHaveLength(2);
        const trace = await jaeger.trace(response.headers.get('x-trace-id')!, 4);
        const serviceOf = (span: JaegerSpan) => trace.processes[span.processID]?.serviceName;
        expect(trace.spans).toHaveLength(4);
        const userServer = trace.spans.find((span) => span.operationName === 'GET /users/:id/messages')!;
        const userClient = trace.spans.find((span) => span.operationName === 'GET /messages/42')!;
        const messageServer = trace.spans.find((span) => span.operationName === 'GET /messages/:userId')!;
        const childOf = (parent: JaegerSpan) => [
          { refType: 'CHILD_OF', traceID: trace.traceID, spanID: parent.spanID },
        ];
        expect(userClient.references).toEqual(childOf(userServer));
        expect(messageServer.references).toEqual(childOf(userClient));
        const commands = commandsOf(trace);
        expect(commands.map((span) => span.operationName)).toEqual(['find messages']);
        const [find] = commands;
        expect(serviceOf(find!)).toBe('message-service');
        expect(find!.references).toEqual(childOf(messageServer));
        expect(tags(find!)).toMatchObject({
          'span.kind': 'client',
          'otel.scope.name': '@tracewire/mongodb',
          component: 'mongodb',
          'db.system.name': 'mongodb',
          'db.namespace': 'messages',
          'db.collection.name': 'messages',
          'db.operation.name': 'find',
          'server.address': '127.0.0.1',
          'server.port': database!.port,
        });
        expect(tag(find!.tags, 'db.query.text')).toBeUndefined();
        expect(status(find!)).toEqual(UNSET);
        // A real duration, inside the server span's.
        expect(find!.duration).toBeGreaterThan(0);
        expect(find!.startTime).toBeGreaterThanOrEqual(messageServer.startTime);
        expect(find!.startTime + find!.duration).toBeLessThanOrEqual(messageServer.startTime + messageServer.duration);
      },
    );

    testWithFerretDB("over gRPC: the find is a CLIENT span of the message service's gRPC SERVER span", async () => {
      const response = await fetch(`${userService}/users/42/messages-grpc?count=2`);
      expect(response.status).toBe(200);
      const trace = await jaeger.trace(response.headers.get('x-trace-id')!, 4);
      const messageServer = trace.spans.find(
        (span) => span.operationName === LIST_MESSAGES && tag(span.tags, 'span.kind') === 'server',
      )!;
      const commands = commandsOf(trace);
      expect(commands.map((span) => span.operationName)).toEqual(['find messages']);
      expect(commands[0]!.references).toEqual([
        { refType: 'CHILD_OF', traceID: trace.traceID, spanID: messageServer.spanID },
      ]);
    });

    testWithFerretDB(
      "user 0: the server refuses the mailbox's find, which is ERROR under the message service's span",
      async () => {
        const response = await fetch(`${userService}/users/0/messages`);
        expect(response.status).toBe(502);
        const trace = await jaeger.trace(response.headers.get('x-trace-id')!, 4);
        const messageServer = trace.spans.find((span) => span.operationName === 'GET /messages/:userId')!;
        expect(tags(messageServer)).toMatchObject({ 'error.type': 'MailboxUnavailableError' });
        const [find] = commandsOf(trace);
        expect(find?.operationName).toBe('find messages');
        expect(find?.references).toEqual([
          { refType: 'CHILD_OF', traceID: trace.traceID, spanID: messageServer.spanID },
        ]);
        expect(tag(find!.tags, 'otel.status_code')).toBe('ERROR');
        expect(tag(find!.tags, 'error.type')).toEqual(expect.any(String));
        expect(tag(find!.tags, 'db.response.status_code')).toMatch(/^\d+$/);
      },
    );
  });
});

function tags(span: JaegerSpan): Record<string, JaegerSpan['tags'][number]['value']> {
  return Object.fromEntries(span.tags.map((t) => [t.key, t.value]));
}

interface Status {
  code: JaegerTag['value'] | undefined;
  description: JaegerTag['value'] | undefined;
  /** Every `error` tag: Jaeger's `true`, and with Zipkin also the description. */
  error: JaegerTag['value'][];
}

const UNSET: Status = { code: undefined, description: undefined, error: [] };

function status(span: JaegerSpan): Status {
  return {
    code: tag(span.tags, 'otel.status_code'),
    description: tag(span.tags, 'otel.status_description'),
    error: span.tags
      .filter((t) => t.key === 'error')
      .map((t) => t.value)
      .sort((a, b) => (typeof a).localeCompare(typeof b)),
  };
}

const LIST_MESSAGES = '/tracewire.example.MessageService/ListMessages';

/** Component and scope of the user SERVER, user CLIENT and message SERVER spans. */
type Legs = [string, string][];
const HTTP_LEGS: Legs = [
  ['HTTP', '@tracewire/express'],
  ['HTTP', '@tracewire/fetch'],
  ['HTTP', '@tracewire/koa'],
];
const GRPC_LEGS: Legs = [
  ['HTTP', '@tracewire/express'],
  ['gRPC', '@tracewire/grpc'],
  ['gRPC', '@tracewire/grpc'],
];

/**
 * The user SERVER, user CLIENT and message SERVER spans of one request, after
 * checking what every one of them must show: both services as processes, the
 * parent/child chain, kind, the component tag and the instrumentation scope.
 */
function threeSpans(trace: JaegerTrace, exporter: Exporter, legs: Legs = HTTP_LEGS) {
  const serviceOf = (span: JaegerSpan) => trace.processes[span.processID]?.serviceName;
  expect(
    Object.values(trace.processes)
      .map((p) => p.serviceName)
      .sort(),
  ).toEqual(['message-service', 'user-service']);
  expect(trace.spans).toHaveLength(3);
  const find = (service: string, kind: string) => {
    const found = trace.spans.filter((span) => serviceOf(span) === service && tag(span.tags, 'span.kind') === kind);
    expect(found.map((span) => `${service} ${kind} ${span.operationName}`)).toHaveLength(1);
    return found[0]!;
  };
  const userServer = find('user-service', 'server');
  const userClient = find('user-service', 'client');
  const messageServer = find('message-service', 'server');
  const childOf = (parent: JaegerSpan) => [{ refType: 'CHILD_OF', traceID: trace.traceID, spanID: parent.spanID }];
  expect(userClient.references).toEqual(childOf(userServer));
  expect(messageServer.references).toEqual(childOf(userClient));
  [userServer, userClient, messageServer].forEach((span, i) => {
    const [component, scope] = legs[i]!;
    expect(span.traceID).toBe(trace.traceID);
    expect(tag(span.tags, 'component')).toBe(component);
    if (exporter.scopeTag) expect(tag(span.tags, exporter.scopeTag)).toBe(scope);
  });
  return { userServer, userClient, messageServer };
}

function expectException(span: JaegerSpan, exporter: Exporter, type: string, message: string) {
  const events = span.logs.map((log) => Object.fromEntries(log.fields.map((f) => [f.key, f.value])));
  if (exporter.exceptionAttributes) {
    expect(events).toEqual([
      {
        event: 'exception',
        'exception.type': type,
        'exception.message': message,
        'exception.stacktrace': expect.stringContaining(`${type}: ${message}\n    at `),
      },
    ]);
  } else {
    expect(events).toEqual([{ event: 'exception' }]);
  }
}

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
