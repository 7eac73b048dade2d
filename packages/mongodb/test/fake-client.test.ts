// What no real server makes happen on demand, with a stand-in client that
// emits the driver's command events: end events that never come, more
// commands in flight than the bound, end events twice, redacted commands,
// and events of odd shapes. Through the CJS and the ESM build.
import { diag, SpanStatusCode, trace } from '@opentelemetry/api';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing } from '../../../test/support/otel';
import { FakeClient, type Pkg, wait } from './helpers';

const otel = memoryTracing();
afterAll(() => otel.close());

describe.each(BUILDS)('@tracewire/mongodb with a stand-in client (%s build)', (build) => {
  let pkg: Pkg;
  let warn: jest.SpyInstance;
  beforeAll(async () => {
    pkg = await load<Pkg>('@tracewire/mongodb', build);
  });
  beforeEach(() => {
    warn = jest.spyOn(diag, 'warn').mockImplementation(() => {});
  });
  afterEach(() => {
    warn.mockRestore();
    otel.reset();
  });

  function traced(options: object = {}) {
    const client = new FakeClient();
    const untrace = pkg.traceMongoClient(client, { tracerProvider: otel.provider, ...options });
    return { client, untrace };
  }

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

  test(`at most MAX_IN_FLIGHT commands are in flight: the oldest is ended to make room, once`, () => {
    expect(pkg.MAX_IN_FLIGHT).toBe(1024);
    const { client } = traced();
    const ids = Array.from({ length: pkg.MAX_IN_FLIGHT }, () => client.started('find'));
    expect(otel.spans()).toHaveLength(0);
    const newest = client.started('insert');
    const [oldest] = otel.spans();
    expect(otel.spans()).toHaveLength(1);
    expect(oldest?.attributes['error.type']).toBe('_OTHER');
    expect(oldest?.status.message).toMatch(/more than 1024 commands in flight/);
    // Its late end event ends nothing a second time; the others end as usual.
    client.succeeded(ids[0] as number);
    expect(otel.spans()).toHaveLength(1);
    for (const id of [...ids.slice(1), newest]) client.succeeded(id);
    expect(otel.spans()).toHaveLength(pkg.MAX_IN_FLIGHT + 1);
    expect(otel.spans().filter((span) => span.status.code === SpanStatusCode.ERROR)).toHaveLength(1);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/commands in flight/), undefined);
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
    const again = pkg.traceMongoClient(client, { tracerProvider: otel.provider });
    client.succeeded(client.started('find'));
    expect(otel.spans()).toHaveLength(1);
    again();
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

  test('db.query.text (opted in): every value a ?, keys and collection kept, the envelope left out', () => {
    const { client } = traced({ dbQueryText: true });
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

  test('redacted commands (authentication, user management) get a span but never a query text', () => {
    const { client } = traced({ dbQueryText: true });
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
      client.emit('commandStarted', {
        requestId: 900,
        commandName: 'ping',
        databaseName: 'app',
        command: { ping: 1 },
        address,
      });
      client.succeeded(900);
    }
    expect(otel.spans().map((span) => [span.attributes['server.address'], span.attributes['server.port']])).toEqual([
      ['db.internal', 27018],
      ['::1', 27019],
      ['/tmp/mongodb-27017.sock', undefined],
    ]);
  });

  test('events of odd shapes never throw into the driver', () => {
    const { client } = traced({ dbQueryText: true });
    const odd = [null, undefined, 42, {}, { requestId: 1 }, { requestId: 2, commandName: 'find', command: null }];
    for (const event of odd) {
      expect(() => client.emit('commandStarted', event)).not.toThrow();
      expect(() => client.emit('commandSucceeded', event)).not.toThrow();
      expect(() => client.emit('commandFailed', event)).not.toThrow();
    }
  });

  test('without tracerProvider, the global provider is used once an SDK registers it, even after traceMongoClient', () => {
    const client = new FakeClient();
    const untrace = pkg.traceMongoClient(client);
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
    const untrace = pkg.traceMongoClient(client);
    client.started('find');
    untrace();
    // Nothing was in flight: untrace() removed the listeners at once.
    expect(client.listenerCount('commandSucceeded')).toBe(0);
    expect(otel.spans()).toEqual([]);
  });
});
