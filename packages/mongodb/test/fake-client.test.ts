// What no real server makes happen on demand, with a stand-in client that
// emits the driver's command events: end events that never come, more
// commands in flight than the bound, end events twice, the same request id on
// two connections, redacted commands, long commands, and events of odd
// shapes. Through the CJS and the ESM build. Unless a test says otherwise,
// commands are traced without a parent (requireParentSpan: false).
import { context, diag, ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing } from '../../../test/support/otel';
import { diagWarnings, FakeClient, type Pkg, wait } from './helpers';

const otel = memoryTracing();
afterAll(() => otel.close());

describe.each(BUILDS)('@tracewire/mongodb with a stand-in client (%s build)', (build) => {
  let pkg: Pkg;
  let warn: jest.Mock;
  beforeAll(async () => {
    pkg = await load<Pkg>('@tracewire/mongodb', build);
  });
  beforeEach(() => {
    warn = diagWarnings();
  });
  afterEach(() => {
    diag.disable();
    otel.reset();
  });

  function traced(options: object = {}) {
    const client = new FakeClient();
    const { untrace } = pkg.traceMongoClient(client, {
      tracerProvider: otel.provider,
      requireParentSpan: false,
      ...options,
    });
    return { client, untrace };
  }
  const inParent = <T>(work: () => T): T =>
    context.with(trace.setSpan(ROOT_CONTEXT, otel.provider.getTracer('test').startSpan('parent')), work);

  test('requireParentSpan defaults to true: a command outside any trace makes no span', () => {
    const client = new FakeClient();
    const { untrace } = pkg.traceMongoClient(client, { tracerProvider: otel.provider });
    client.succeeded(client.started('find'));
    expect(otel.spans()).toEqual([]);
    // Under an active span, a remote parent (extracted context) or a local one, the same command is traced.
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
    });
    context.with(remote, () => client.succeeded(client.started('find')));
    inParent(() => client.succeeded(client.started('insert')));
    expect(otel.spans().map((span) => [span.name, span.parentSpanContext?.spanId !== undefined])).toEqual([
      ['find messages', true],
      ['insert messages', true],
    ]);
    expect(otel.spans()[0]?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    untrace();
  });

  test('requireParentSpan: false traces a command outside any trace as a root span', () => {
    const { client, untrace } = traced();
    client.succeeded(client.started('find'));
    const [span] = otel.spans();
    expect(span?.name).toBe('find messages');
    expect(span?.parentSpanContext).toBeUndefined();
    untrace();
  });

  test('a command whose end event never comes is ended when the client closes, marked unfinished', async () => {
    const { client } = traced();
    const done = client.started('find');
    client.started('insert');
    client.succeeded(done);
    expect(otel.spans().map((span) => span.name)).toEqual(['find messages']);
    client.emit('topologyClosed', {});
    await wait(5);
    const [find, insert] = otel.spans();
    expect(find?.status.code).toBe(SpanStatusCode.UNSET);
    expect(insert?.name).toBe('insert messages');
    expect(insert?.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'the client closed before the command ended',
    });
    expect(insert?.attributes['error.type']).toBe('_OTHER');
  });

  test('a command started after the close (the client connected again) is not ended by it', async () => {
    const { client } = traced();
    client.started('find');
    client.emit('topologyClosed', {});
    const after = client.started('insert');
    await wait(5);
    expect(otel.spans().map((span) => span.name)).toEqual(['find messages']);
    client.succeeded(after);
    expect(otel.spans()[1]?.status.code).toBe(SpanStatusCode.UNSET);
  });

  test('at most MAX_IN_FLIGHT commands are traced at once: those beyond get no span, reported once', () => {
    expect(pkg.MAX_IN_FLIGHT).toBe(1024);
    const { client } = traced();
    const ids = Array.from({ length: pkg.MAX_IN_FLIGHT }, () => client.started('find'));
    const beyond = [client.started('insert'), client.started('update')];
    expect(otel.spans()).toHaveLength(0);
    // Their end events end nothing; the traced ones end as usual, none of them marked.
    for (const id of beyond) client.succeeded(id);
    expect(otel.spans()).toHaveLength(0);
    for (const id of ids) client.succeeded(id);
    expect(otel.spans()).toHaveLength(pkg.MAX_IN_FLIGHT);
    expect(otel.spans().filter((span) => span.name !== 'find messages')).toEqual([]);
    expect(otel.spans().filter((span) => span.status.code !== SpanStatusCode.UNSET)).toEqual([]);
    const reports = warn.mock.calls.filter(([message]) => /commands of one client in flight/.test(message));
    expect(reports).toHaveLength(1);
    // Room again: the next command is traced.
    client.succeeded(client.started('delete'));
    expect(otel.spans().map((span) => span.name)).toContain('delete messages');
  });

  test('end events are matched on address, connection id and request id', () => {
    const { client } = traced();
    // The same request id on two connections of one server, and on two servers.
    client.started('find', undefined, 'app', { connectionId: 1, requestId: 7 });
    client.started('insert', undefined, 'app', { connectionId: 2, requestId: 7 });
    client.started('update', undefined, 'app', { address: '10.0.0.2:27017', connectionId: 1, requestId: 7 });
    client.emit('commandFailed', {
      requestId: 7,
      connectionId: 2,
      address: '127.0.0.1:27017',
      commandName: 'insert',
      duration: 1,
      failure: { code: 11000, codeName: 'DuplicateKey' },
    });
    client.emit('commandSucceeded', {
      requestId: 7,
      connectionId: 1,
      address: '10.0.0.2:27017',
      commandName: 'update',
      duration: 1,
      reply: { ok: 1 },
    });
    client.emit('commandSucceeded', {
      requestId: 7,
      connectionId: 1,
      address: '127.0.0.1:27017',
      commandName: 'find',
      duration: 1,
      reply: { ok: 1 },
    });
    expect(otel.spans().map((span) => [span.name, span.status.code, span.attributes['server.address']])).toEqual([
      ['insert messages', SpanStatusCode.ERROR, '127.0.0.1'],
      ['update messages', SpanStatusCode.UNSET, '10.0.0.2'],
      ['find messages', SpanStatusCode.UNSET, '127.0.0.1'],
    ]);
  });

  test('an end event that comes twice ends the span once', () => {
    const { client } = traced();
    const id = client.started('find');
    client.succeeded(id);
    client.succeeded(id);
    client.failed(id, new Error('late'));
    expect(otel.spans()).toHaveLength(1);
    expect(otel.spans()[0]?.status.code).toBe(SpanStatusCode.UNSET);
  });

  test('untrace() stops new spans at once; the command in flight still ends at its own event, then the listeners go', () => {
    const { client, untrace } = traced();
    const id = client.started('find');
    untrace();
    expect(client.listenerCount('commandStarted')).toBe(0);
    expect(client.listenerCount('commandSucceeded')).toBe(1);
    client.succeeded(client.started('ping', { ping: 1 }));
    client.failed(id, { code: 50, codeName: 'MaxTimeMSExpired', message: 'operation exceeded time limit' });
    const spans = otel.spans();
    expect(spans.map((span) => span.name)).toEqual(['find messages']);
    expect(spans[0]?.attributes['error.type']).toBe('MaxTimeMSExpired');
    for (const event of ['commandStarted', 'commandSucceeded', 'commandFailed', 'topologyClosed']) {
      expect(client.listenerCount(event)).toBe(0);
    }
    untrace();
  });

  test('untrace() with nothing in flight removes the listeners at once; the client can then be traced again', () => {
    const { client, untrace } = traced();
    expect(() => pkg.traceMongoClient(client, { tracerProvider: otel.provider })).toThrow(/traced already/);
    untrace();
    expect(client.listenerCount('commandStarted')).toBe(0);
    const again = pkg.traceMongoClient(client, { tracerProvider: otel.provider, requireParentSpan: false });
    client.succeeded(client.started('find'));
    expect(otel.spans()).toHaveLength(1);
    again.untrace();
  });

  test('error.type: the code name, else a known name for the code, else the code; the driver error name without a code', () => {
    const { client } = traced();
    const cases: [unknown, string, string | undefined][] = [
      [{ code: 11000, codeName: 'DuplicateKey', message: 'E11000 dup key: { _id: 1 }' }, 'DuplicateKey', '11000'],
      [{ code: 121, message: 'Document failed validation' }, 'DocumentValidationFailure', '121'],
      [{ code: 99999, message: 'new server code' }, '99999', '99999'],
      [
        Object.assign(new Error('connection 4 to 127.0.0.1:27017 closed'), { name: 'MongoNetworkError' }),
        'MongoNetworkError',
        undefined,
      ],
      ['a string', '_OTHER', undefined],
    ];
    for (const [failure] of cases) client.failed(client.started('find'), failure);
    const spans = otel.spans();
    cases.forEach(([, type, code], i) => {
      expect(spans[i]?.status.code).toBe(SpanStatusCode.ERROR);
      expect(spans[i]?.attributes['error.type']).toBe(type);
      expect(spans[i]?.attributes['db.response.status_code']).toBe(code);
    });
    // Never the server's message (it can quote a document); the driver's own message is kept.
    expect(spans[0]?.status.message).toBeUndefined();
    expect(spans[3]?.status.message).toBe('connection 4 to 127.0.0.1:27017 closed');
  });

  test('a reply with write errors or a write concern error is a failure', () => {
    const { client } = traced();
    client.succeeded(client.started('insert'), {
      ok: 1,
      n: 0,
      writeErrors: [{ index: 0, code: 11000, errmsg: 'E11000 { _id: 1 }' }],
    });
    client.succeeded(client.started('update'), {
      ok: 1,
      writeConcernError: { code: 64, codeName: 'WriteConcernFailed', errmsg: 'timeout' },
    });
    client.succeeded(client.started('delete'), { ok: 1, n: 1, writeErrors: [] });
    const [insert, update, del] = otel.spans();
    expect(insert?.attributes).toMatchObject({ 'error.type': 'DuplicateKey', 'db.response.status_code': '11000' });
    expect(update?.attributes).toMatchObject({ 'error.type': 'WriteConcernFailed', 'db.response.status_code': '64' });
    expect(del?.status.code).toBe(SpanStatusCode.UNSET);
    expect(JSON.stringify(otel.spans().map((span) => [span.attributes, span.status, span.events]))).not.toContain(
      '_id',
    );
  });

  test('queryText is off by default: no db.query.text', () => {
    const { client } = traced();
    client.succeeded(client.started('find', { find: 'messages', filter: { userId: 'u-42' } }));
    expect(otel.spans()[0]?.attributes['db.query.text']).toBeUndefined();
  });

  test('db.query.text (queryText: true): every value a ?, keys and collection kept, the envelope left out', () => {
    const { client } = traced({ queryText: true });
    const objectId = { _bsontype: 'ObjectId', id: 'abc' };
    client.succeeded(
      client.started('find', {
        find: 'messages',
        filter: { userId: 'u-42', at: new Date(0), $or: [{ n: 1 }, { n: { $in: [2, 3] } }], ref: objectId },
        limit: 5,
        lsid: { id: 'session' },
        $db: 'app',
        $clusterTime: { clusterTime: 1 },
      }),
    );
    client.succeeded(client.started('getMore', { getMore: 12345, collection: 'messages', batchSize: 2 }));
    client.succeeded(client.started('ping', { ping: 1 }));
    client.succeeded(client.started('insert', { insert: 'messages', documents: [{ _id: 1, text: 'secret' }] }));
    const texts = otel.spans().map((span) => span.attributes['db.query.text']);
    expect(texts).toEqual([
      '{"find":"messages","filter":{"userId":"?","at":"?","$or":[{"n":"?"},{"n":{"$in":["?","?"]}}],"ref":"?"},"limit":"?"}',
      '{"getMore":"?","collection":"messages","batchSize":"?"}',
      '{"ping":"?"}',
      '{"insert":"messages","documents":[{"_id":"?","text":"?"}]}',
    ]);
  });

  test(`db.query.text is at most MAX_QUERY_TEXT characters: a longer one is cut and ends with …`, () => {
    expect(pkg.MAX_QUERY_TEXT).toBe(2048);
    const { client } = traced({ queryText: true });
    const documents = Array.from({ length: 10_000 }, (_, i) => ({ _id: i, text: 'secret', [`field${i}`]: i }));
    client.succeeded(client.started('insert', { insert: 'messages', documents, ordered: false }));
    client.succeeded(client.started('ping', { ping: 1 }));
    const [insert, ping] = otel.spans().map((span) => String(span.attributes['db.query.text']));
    expect(insert).toHaveLength(pkg.MAX_QUERY_TEXT);
    expect(insert?.startsWith('{"insert":"messages","documents":[{"_id":"?","text":"?","field0":"?"},')).toBe(true);
    expect(insert?.endsWith('…')).toBe(true);
    expect(insert).not.toMatch(/secret|ordered/);
    // A short one is whole.
    expect(ping).toBe('{"ping":"?"}');
  });

  test('redacted commands (authentication, user management) get a span but never a query text', () => {
    const { client } = traced({ queryText: true });
    client.succeeded(client.started('createUser', { createUser: 'alice', pwd: 'hunter2', roles: [] }, 'admin'));
    client.succeeded(client.started('saslStart', {}, 'admin'));
    client.succeeded(client.started('hello', { hello: 1, speculativeAuthenticate: { saslStart: 1 } }, 'admin'));
    const spans = otel.spans();
    expect(spans.map((span) => span.name)).toEqual(['createUser admin', 'saslStart admin', 'hello admin']);
    for (const span of spans) {
      expect(span.attributes['db.query.text']).toBeUndefined();
      expect(span.attributes['db.collection.name']).toBeUndefined();
    }
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toMatch(/alice|hunter2/);
  });

  test('server.address and server.port from host:port, [IPv6]:port and a socket path', () => {
    const { client } = traced();
    for (const address of ['db.internal:27018', '[::1]:27019', '/tmp/mongodb-27017.sock']) {
      client.succeeded(client.started('ping', { ping: 1 }, 'app', { address }));
    }
    expect(otel.spans().map((span) => [span.attributes['server.address'], span.attributes['server.port']])).toEqual([
      ['db.internal', 27018],
      ['::1', 27019],
      ['/tmp/mongodb-27017.sock', undefined],
    ]);
  });

  test("responseHook gets the driver's end event itself, before the span ends", () => {
    const events: unknown[] = [];
    const { client } = traced({ responseHook: (_span: unknown, event: unknown) => events.push(event) });
    const listened: unknown[] = [];
    client.on('commandSucceeded', (event) => listened.push(event));
    client.on('commandFailed', (event) => listened.push(event));
    client.succeeded(client.started('find'), { ok: 1, cursor: {} });
    client.failed(client.started('insert'), { code: 11000 }, 'insert');
    expect(events).toHaveLength(2);
    expect(events[0]).toBe(listened[0]);
    expect(events[1]).toBe(listened[1]);
    expect(events[0]).toMatchObject({ commandName: 'find', reply: { ok: 1 }, duration: 1 });
    expect(events[1]).toMatchObject({ commandName: 'insert', failure: { code: 11000 } });
  });

  test('events of odd shapes never throw into the driver', () => {
    const { client } = traced({ queryText: true });
    const odd = [null, undefined, 42, {}, { requestId: 1 }, { requestId: 2, commandName: 'find', command: null }];
    for (const event of odd) {
      expect(() => client.emit('commandStarted', event)).not.toThrow();
      expect(() => client.emit('commandSucceeded', event)).not.toThrow();
      expect(() => client.emit('commandFailed', event)).not.toThrow();
    }
  });

  test('without tracerProvider, the global provider is used once an SDK registers it, even after traceMongoClient', () => {
    const client = new FakeClient();
    const { untrace } = pkg.traceMongoClient(client, { requireParentSpan: false });
    client.succeeded(client.started('ping', { ping: 1 }));
    expect(otel.spans()).toEqual([]);
    trace.setGlobalTracerProvider(otel.provider);
    try {
      client.succeeded(client.started('find'));
      expect(otel.spans().map((span) => [span.name, span.instrumentationScope.name])).toEqual([
        ['find messages', '@tracewire/mongodb'],
      ]);
    } finally {
      trace.disable();
      untrace();
    }
  });

  test('with no SDK registered and no tracerProvider, nothing is tracked', () => {
    const client = new FakeClient();
    const { untrace } = pkg.traceMongoClient(client, { requireParentSpan: false });
    client.started('find');
    untrace();
    // Nothing was in flight: untrace() removed the listeners at once.
    expect(client.listenerCount('commandSucceeded')).toBe(0);
    expect(otel.spans()).toEqual([]);
  });
});
