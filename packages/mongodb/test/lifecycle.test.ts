// Options, hooks, setup and the end of a span against a real server
// (FerretDB), for the 6.x and 7.x drivers, through the CJS and the ESM build:
// what is validated at setup, monitorCommands, requireParentSpan, queryText,
// a command in flight when the client closes or untrace() is called, the
// server killed mid-operation, driver errors, and that tracing never breaks
// the app. Unless a test says otherwise, commands run outside any trace with
// requireParentSpan: false.
import { context, diag, ROOT_CONTEXT, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { throwingProvider } from '../../../test/support/broken-otel';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing, waitForSpans } from '../../../test/support/otel';
import {
  type Client,
  clientOf,
  DRIVERS,
  diagWarnings,
  type FerretDB,
  ferretdbOrSkip,
  type Pkg,
  startFerretDB,
  startProxy,
  type Proxy as TcpProxy,
  wait,
} from './helpers';

const otel = memoryTracing();
afterAll(() => otel.close());
const { describe: describeFerret, bin } = ferretdbOrSkip('MongoDB lifecycle tests against FerretDB');

describeFerret.each(DRIVERS.flatMap((driver) => BUILDS.map((build) => ({ driver, build }))))(
  '@tracewire/mongodb lifecycle, driver $driver.major ($build build)',
  ({ driver, build }) => {
    let pkg: Pkg;
    let server: FerretDB;
    const clients: Client[] = [];
    const proxies: TcpProxy[] = [];

    beforeAll(async () => {
      pkg = await load<Pkg>('@tracewire/mongodb', build);
      server = await startFerretDB(bin);
      const seed = clientOf(driver, server.url);
      await seed
        .db('app')
        .collection('messages')
        .insertMany([{ _id: 1, userId: 'u-42' }, { _id: 2 }]);
      await seed.close();
    });
    afterAll(() => server?.stop());
    afterEach(async () => {
      // Proxies first: a client closing behind a held proxy would wait for ever on its endSessions.
      await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
      await Promise.all(clients.splice(0).map((client) => client.close()));
      otel.reset();
    });

    function client(options: object = {}, url = server.url): Client {
      const made = clientOf(driver, url, options);
      clients.push(made);
      return made;
    }
    const TRACE = { tracerProvider: otel.provider, requireParentSpan: false };
    const traced = (options: object = {}, clientOptions: object = {}) => {
      const made = client(clientOptions);
      const { untrace } = pkg.traceMongoClient(made, { ...TRACE, ...options });
      return { client: made, untrace };
    };
    const find = (made: Client) => made.db('app').collection('messages').find({ userId: 'u-42' }).toArray();
    const warm = async (made: Client) => {
      await made.db('app').command({ ping: 1 });
      await waitForSpans(otel.spans, 1);
      otel.reset();
    };

    test.each([
      [{ spanName: 'x' }, /option "spanName" must be a function, got string x/],
      [{ ignore: {} }, /option "ignore" must be a function/],
      [{ tracerProvider: {} }, /option "tracerProvider" must be a TracerProvider/],
      [{ queryText: 'yes' }, /option "queryText" must be a boolean, got string yes/],
      [{ requireParentSpan: 1 }, /option "requireParentSpan" must be a boolean, got number 1/],
      [{ dbQueryText: true }, /unknown option "dbQueryText"/],
      [{ propagator: {} }, /option "propagator" does not apply to MongoDB commands/],
      [{ captureHeaders: { request: ['x'] } }, /option "captureHeaders" does not apply to MongoDB commands/],
      [{ propagateTo: () => true }, /unknown option "propagateTo"/],
      ['nope', /option "options" must be an object/],
    ])('bad options throw at setup, naming the option: %p', (options, message) => {
      expect(() => pkg.traceMongoClient(client(), options as never)).toThrow(message);
    });

    test('a value that is not a client throws at setup', () => {
      expect(() => pkg.traceMongoClient({} as never)).toThrow(
        /the MongoClient to trace must be an event emitter, got an object/,
      );
      expect(() => pkg.traceMongoClient(null as never)).toThrow(/got null/);
    });

    test('a client made without monitorCommands is switched on before it connects; no span is lost', async () => {
      const { client: made } = traced();
      expect(made.monitorCommands).toBe(true);
      expect(await find(made)).toHaveLength(1);
      const [span] = await waitForSpans(otel.spans, 1);
      expect(span?.name).toBe('find messages');
    });

    test('a connected client made without monitorCommands is refused, naming the option', async () => {
      const made = client();
      await made.connect();
      expect(() => pkg.traceMongoClient(made, { tracerProvider: otel.provider })).toThrow(
        /connected already and was created without \{ monitorCommands: true \}, so the driver reports none of its commands and it cannot be traced/,
      );
      expect(made.listenerCount('commandStarted')).toBe(0);
    });

    test('a connected client made with monitorCommands: true is traced from then on', async () => {
      const made = client({ monitorCommands: true });
      await made.connect();
      await find(made);
      pkg.traceMongoClient(made, TRACE);
      await find(made);
      expect((await waitForSpans(otel.spans, 1)).map((span) => span.name)).toEqual(['find messages']);
    });

    test('spanName gets kind, operation, database and collection; a throwing or empty one falls back', async () => {
      const seen: unknown[] = [];
      const { client: made } = traced({
        spanName: (info: object) => {
          seen.push(info);
          return 'custom';
        },
      });
      await find(made);
      await made.db('app').command({ ping: 1 });
      expect((await waitForSpans(otel.spans, 2)).map((span) => span.name)).toEqual(['custom', 'custom']);
      expect(seen).toEqual([
        { kind: 'client', operation: 'find', database: 'app', collection: 'messages' },
        { kind: 'client', operation: 'ping', database: 'app', collection: undefined },
      ]);
      otel.reset();
      diagWarnings();
      const { client: empty } = traced({ spanName: () => '' });
      const { client: throws } = traced({
        spanName: () => {
          throw new Error('no name');
        },
      });
      await find(empty);
      await find(throws);
      expect((await waitForSpans(otel.spans, 2)).map((span) => span.name)).toEqual(['find messages', 'find messages']);
      diag.disable();
    });

    test('ignore: no span for the commands it picks; they still run', async () => {
      const { client: made } = traced({ ignore: (info: { operation: string }) => info.operation === 'find' });
      expect(await find(made)).toHaveLength(1);
      await made.db('app').command({ ping: 1 });
      expect((await waitForSpans(otel.spans, 1)).map((span) => span.name)).toEqual(['ping app']);
      await wait(20);
      expect(otel.spans()).toHaveLength(1);
    });

    test("requestHook gets the command, responseHook the driver's succeeded or failed event", async () => {
      const calls: string[] = [];
      const { client: made } = traced({
        requestHook: (span: Span, info: { operation: string; collection?: string; command: { filter?: object } }) => {
          calls.push(`request ${info.operation} ${info.collection} ${JSON.stringify(info.command.filter)}`);
          span.setAttribute('app.request', true);
        },
        responseHook: (
          span: Span,
          event: { commandName: string; reply?: { ok: number }; failure?: { code: number }; duration: number },
        ) => {
          calls.push(
            `response ${event.commandName} ${event.reply?.ok ?? event.failure?.code} ${typeof event.duration}`,
          );
          span.setAttribute('app.response', true);
        },
      });
      await find(made);
      await made
        .db('app')
        .collection('messages')
        .aggregate([{ $noSuchStage: 1 }])
        .toArray()
        .catch(() => {});
      const spans = await waitForSpans(otel.spans, 2);
      expect(calls[0]).toBe('request find messages {"userId":"u-42"}');
      expect(calls[1]).toBe('response find 1 number');
      expect(calls[2]).toBe('request aggregate messages undefined');
      expect(calls[3]).toMatch(/^response aggregate \d+ number$/);
      for (const span of spans) expect(span.attributes).toMatchObject({ 'app.request': true, 'app.response': true });
    });

    test('requireParentSpan (default true): no span for a command outside any trace; under a span, a child', async () => {
      const made = client();
      pkg.traceMongoClient(made, { tracerProvider: otel.provider });
      expect(await find(made)).toHaveLength(1);
      await made.db('app').command({ ping: 1 });
      await wait(20);
      expect(otel.spans()).toEqual([]);
      const parent = otel.provider.getTracer('test').startSpan('GET /users/:id/messages');
      await context.with(trace.setSpan(ROOT_CONTEXT, parent), () => find(made));
      parent.end();
      const [span] = (await waitForSpans(otel.spans, 2)).filter((s) => s.name === 'find messages');
      expect(span?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    });

    test('requireParentSpan: false: a command outside any trace is a root span', async () => {
      const { client: made } = traced({ requireParentSpan: false });
      await find(made);
      const [span] = await waitForSpans(otel.spans, 1);
      expect(span?.name).toBe('find messages');
      expect(span?.parentSpanContext).toBeUndefined();
    });

    test('queryText off by default: no db.query.text on a real find, insert or update', async () => {
      const { client: made } = traced();
      const messages = made.db('app').collection('messages');
      await messages.find({ userId: 'u-42' }).limit(3).toArray();
      await messages.insertOne({ _id: `q${driver.major}${build}`, text: 'secret' });
      await messages.updateOne({ _id: `q${driver.major}${build}` }, { $set: { text: 'secret 2' } });
      const spans = await waitForSpans(otel.spans, 3);
      for (const span of spans) expect(span.attributes['db.query.text']).toBeUndefined();
      expect(JSON.stringify(spans.map((span) => span.attributes))).not.toMatch(/secret|u-42/);
    });

    test('queryText: true, on a real find, insert and update: every value replaced by ?', async () => {
      const { client: made } = traced({ queryText: true });
      const messages = made.db('app').collection('messages');
      const id = `t${driver.major}${build}`;
      await messages.find({ userId: 'u-42' }).limit(3).toArray();
      await messages.insertOne({ _id: id, text: 'secret' });
      await messages.updateOne({ _id: id }, { $set: { text: 'secret 2' } });
      const spans = await waitForSpans(otel.spans, 3);
      const texts = spans.map((span) => String(span.attributes['db.query.text']));
      expect(JSON.parse(texts[0]!)).toMatchObject({ find: 'messages', filter: { userId: '?' }, limit: '?' });
      expect(JSON.parse(texts[1]!)).toMatchObject({ insert: 'messages', documents: [{ _id: '?', text: '?' }] });
      expect(JSON.parse(texts[2]!)).toMatchObject({
        update: 'messages',
        updates: [{ q: { _id: '?' }, u: { $set: { text: '?' } } }],
      });
      for (const text of texts) {
        expect(text).not.toMatch(/u-42|secret|lsid|\$db|\$clusterTime/);
        expect(text.length).toBeLessThanOrEqual(pkg.MAX_QUERY_TEXT);
      }
    });

    test('a command in flight when untrace() is called ends at its own end event; later ones are not traced', async () => {
      const proxy = await startProxy(server.port);
      proxies.push(proxy);
      const made = client({}, proxy.url);
      const { untrace } = pkg.traceMongoClient(made, TRACE);
      // A command first: the pool opens its connection on the first one, and the hold must find it open.
      await warm(made);
      proxy.hold();
      const pending = find(made);
      await wait(50);
      untrace();
      proxy.release();
      expect(await pending).toHaveLength(1);
      await find(made);
      const spans = await waitForSpans(otel.spans, 1);
      await wait(20);
      expect(otel.spans()).toHaveLength(1);
      expect(spans[0]?.name).toBe('find messages');
      expect(spans[0]?.status.code).toBe(SpanStatusCode.UNSET);
      expect(made.listenerCount('commandStarted')).toBe(0);
    });

    test('a command in flight when the client closes and the server goes: its span ends exactly once', async () => {
      const proxy = await startProxy(server.port);
      proxies.push(proxy);
      const made = clientOf(driver, proxy.url, { retryReads: false });
      pkg.traceMongoClient(made, TRACE);
      await warm(made);
      proxy.hold();
      const pending = find(made).catch((error: unknown) => error);
      await wait(50);
      const closing = made.close();
      await wait(20);
      await proxy.close();
      const [error] = await Promise.all([pending, closing]);
      expect((error as Error).name).toMatch(/^Mongo.*Error$/);
      await wait(50);
      const finds = otel.spans().filter((span) => span.name === 'find messages');
      expect(finds).toHaveLength(1);
      expect(finds[0]?.status.code).toBe(SpanStatusCode.ERROR);
      expect(finds[0]?.attributes['error.type']).toBe((error as Error).name);
    });

    test('a driver error (socket timeout): ERROR with error.type = its name, no status code', async () => {
      const proxy = await startProxy(server.port);
      proxies.push(proxy);
      const made = clientOf(driver, proxy.url, { socketTimeoutMS: 300, retryReads: false });
      clients.push(made);
      pkg.traceMongoClient(made, TRACE);
      // A command first: the pool opens its connection on the first one, and the hold must find it open.
      await warm(made);
      proxy.hold();
      const error = (await find(made).catch((failure: unknown) => failure)) as Error;
      expect(error.name).toMatch(/^Mongo.*Error$/);
      const [span] = (await waitForSpans(otel.spans, 1)).filter((s) => s.name === 'find messages');
      expect(span?.status.code).toBe(SpanStatusCode.ERROR);
      expect(span?.attributes['error.type']).toBe(error.name);
      expect(span?.attributes['db.response.status_code']).toBeUndefined();
      expect(span?.status.message).toBe(error.message);
    });

    test("the server killed mid-operation: the span ends ERROR, and the app gets the driver's error unchanged", async () => {
      // A server of its own, killed with SIGKILL while a find waits for its answer (held by a proxy),
      // next to an untraced client in the same state: both see the same error.
      const doomed = await startFerretDB(bin);
      try {
        const [tracedProxy, plainProxy] = await Promise.all([startProxy(doomed.port), startProxy(doomed.port)]);
        proxies.push(tracedProxy, plainProxy);
        const made = client({ retryReads: false }, tracedProxy.url);
        const plain = client({ retryReads: false }, plainProxy.url);
        const reported: unknown[] = [];
        pkg.traceMongoClient(made, {
          ...TRACE,
          responseHook: (_span: Span, event: { failure?: unknown }) => reported.push(event.failure),
        });
        await warm(made);
        await plain.db('app').command({ ping: 1 });
        tracedProxy.hold();
        plainProxy.hold();
        const request = otel.provider.getTracer('test').startSpan('GET /users/:id/messages');
        const tracedFind = context
          .with(trace.setSpan(ROOT_CONTEXT, request), () => find(made))
          .then(
            () => undefined,
            (error: unknown) => error as Error,
          );
        const plainFind = find(plain).then(
          () => undefined,
          (error: unknown) => error as Error,
        );
        await wait(50);
        process.kill(doomed.pid as number, 'SIGKILL');
        const [error, plainError] = await Promise.all([tracedFind, plainFind]);
        request.end();
        // What the app sees: the very error the driver reported, of the same class, name, message and labels as untraced.
        expect(error).toBeInstanceOf(Error);
        expect(reported).toContain(error);
        const seen = (e: Error | undefined) => ({
          class: e?.constructor.name,
          name: e?.name,
          message: e?.message.replace(/\d+/g, 'N'),
          keys: Object.keys(e ?? {}).sort(),
          labels: (e as { errorLabels?: unknown } | undefined)?.errorLabels,
        });
        expect(seen(error)).toEqual(seen(plainError));
        const [span] = (await waitForSpans(otel.spans, 2)).filter((s) => s.name === 'find messages');
        expect(span?.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
        expect(span?.status.code).toBe(SpanStatusCode.ERROR);
        expect(span?.attributes['error.type']).toBe(error?.name);
        expect(span?.attributes['error.type']).toMatch(/^Mongo\w*Error$/);
      } finally {
        await doomed.stop();
      }
    });

    describe('never breaks the app', () => {
      let warn: jest.Mock;
      beforeEach(() => {
        warn = diagWarnings();
      });
      afterEach(() => diag.disable());
      const thrower = () => {
        throw new Error('hook failed');
      };
      const rejecter = () => Promise.reject(new Error('async hook failed'));

      test.each([
        ['hooks that throw', { ignore: thrower, spanName: thrower, requestHook: thrower, responseHook: thrower }],
        ['hooks that reject', { ignore: rejecter, spanName: rejecter, requestHook: rejecter, responseHook: rejecter }],
        ['spans whose methods throw', { tracerProvider: throwingProvider(), queryText: true }],
        [
          'a provider that cannot start spans',
          {
            tracerProvider: {
              getTracer: () => ({ startSpan: thrower }) as unknown as Tracer,
            },
          },
        ],
      ])('%s: every operation gives what it gives untraced', async (_name, options) => {
        const plain = client();
        const { client: made } = traced(options);
        const run = async (c: Client) => {
          const messages = c.db('app').collection('messages');
          const out: unknown[] = [];
          out.push(await messages.find({}).sort({ _id: 1 }).toArray());
          out.push(await messages.insertOne({ _id: 1 }).catch((e: { code: number; name: string }) => [e.name, e.code]));
          out.push(
            await messages
              .aggregate([{ $nope: 1 }])
              .toArray()
              .catch((e: { code: number; name: string }) => [e.name, e.code]),
          );
          out.push(await c.db('app').command({ ping: 1 }));
          return out;
        };
        const parent = trace.setSpan(ROOT_CONTEXT, otel.provider.getTracer('test').startSpan('parent'));
        expect(await context.with(parent, () => run(made))).toEqual(await run(plain));
        await wait(10);
        expect(warn).toHaveBeenCalled();
      });
    });
  },
);
