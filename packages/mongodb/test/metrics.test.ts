// db.client.operation.duration against a real server (FerretDB) for the 6.x
// and 7.x drivers, through the CJS and the ESM build; what no server does on
// demand (1,000 commands in flight, end events that never come) with the
// stand-in client.
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOffSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { BUILDS, load } from '../../../test/support/builds';
import { contextSpy, memoryMetrics, noopMeterSpies } from '../../../test/support/metrics';
import {
  type Client,
  clientOf,
  DRIVER_BUILDS,
  FakeClient,
  type FerretDB,
  ferretdbOrSkip,
  type Pkg,
  startFerretDB,
  wait,
} from './helpers';

const DURATION = 'db.client.operation.duration';
const BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];
const { describe: describeFerret, bin } = ferretdbOrSkip('MongoDB metrics tests against FerretDB');

let mp: ReturnType<typeof memoryMetrics>;
beforeEach(() => {
  mp = memoryMetrics();
});
afterEach(() => mp.close());

/** The points of the duration metric for one operation. */
const pointsOf = async (operation: string) =>
  (await mp.points(DURATION)).filter((point) => point.attributes['db.operation.name'] === operation);

describeFerret.each(DRIVER_BUILDS)(
  '@tracewire/mongodb metrics, driver $driver.major ($build build)',
  ({ driver, build }) => {
    let pkg: Pkg;
    let server: FerretDB;
    const clients: Client[] = [];
    beforeAll(async () => {
      pkg = await load<Pkg>('@tracewire/mongodb', build);
      server = await startFerretDB(bin);
    });
    afterAll(() => server?.stop());
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.close()));
    });
    function traced(options: Parameters<Pkg['traceMongoClient']>[1] = {}): Client {
      const made = clientOf(driver, server.url);
      clients.push(made);
      pkg.traceMongoClient(made, { meterProvider: mp.provider, ...options });
      return made;
    }
    const messages = (made: Client) => made.db('app').collection(`metrics${driver.major}${build}`);

    test('db.client.operation.duration: unit s, the advised buckets, the db.* and server.* attributes', async () => {
      await messages(traced()).find({}).toArray();
      const metric = await mp.metric(DURATION);
      expect(metric?.descriptor).toMatchObject({ name: DURATION, unit: 's' });
      const [point, ...others] = await pointsOf('find');
      expect(others).toEqual([]);
      expect(point?.attributes).toEqual({
        'db.system.name': 'mongodb',
        'db.namespace': 'app',
        'db.collection.name': `metrics${driver.major}${build}`,
        'db.operation.name': 'find',
        'server.address': '127.0.0.1',
        'server.port': server.port,
      });
      expect(point?.value).toBe(1);
      const data = metric?.dataPoints.find((p) => p.attributes['db.operation.name'] === 'find');
      expect((data?.value as { buckets?: { boundaries: number[] } } | undefined)?.buckets?.boundaries).toEqual(BUCKETS);
    });

    test("a failed command: error.type and db.response.status_code by the span's rule", async () => {
      const collection = messages(traced());
      await collection.deleteMany({});
      await collection.insertOne({ _id: 1 });
      await expect(collection.insertOne({ _id: 1 })).rejects.toThrow();
      const failed = (await pointsOf('insert')).filter((point) => point.attributes['error.type'] !== undefined);
      expect(failed).toEqual([
        expect.objectContaining({
          value: 1,
          attributes: expect.objectContaining({ 'error.type': 'DuplicateKey', 'db.response.status_code': '11000' }),
        }),
      ]);
    });

    test('measured whether traced or not: unsampled, outside any trace (requireParentSpan); ignored: not', async () => {
      await messages(traced({ tracerProvider: new TracerProvider({ sampler: new AlwaysOffSampler() }) }))
        .find({})
        .toArray();
      await messages(traced()).find({}).toArray();
      await messages(traced({ ignore: () => true }))
        .find({})
        .toArray();
      expect((await pointsOf('find'))[0]?.value).toBe(2);
    });

    test('no meter provider registered: no instrument is made; metrics: false records nothing', async () => {
      const spies = await noopMeterSpies();
      try {
        const made = clientOf(driver, server.url);
        clients.push(made);
        pkg.traceMongoClient(made, { requireParentSpan: false });
        await messages(made).find({}).toArray();
        expect(spies.called()).toBe(false);
        mp.register();
        await messages(traced({ metrics: false }))
          .find({})
          .toArray();
        expect(await mp.collect()).toEqual([]);
      } finally {
        spies.restore();
      }
    });
  },
);

describe.each(BUILDS)('@tracewire/mongodb metrics with a stand-in client (%s build)', (build) => {
  let pkg: Pkg;
  beforeAll(async () => {
    pkg = await load<Pkg>('@tracewire/mongodb', build);
  });

  test('1,000 commands in flight at once: the counts add up exactly', async () => {
    const client = new FakeClient();
    pkg.traceMongoClient(client, { meterProvider: mp.provider });
    const ids = Array.from({ length: 1000 }, (_, i) => client.started('find', {}, 'app', { connectionId: i }));
    ids.forEach((id, i) => {
      if (i % 2 === 0) client.succeeded(id);
      else client.failed(id, { code: 11000 });
    });
    const byType = Object.fromEntries(
      (await mp.points(DURATION)).map((point) => [String(point.attributes['error.type']), point.value]),
    );
    expect(byType).toEqual({ undefined: 500, DuplicateKey: 500 });
  });

  test('a command whose end event never comes is counted once, when the client closes', async () => {
    const client = new FakeClient();
    pkg.traceMongoClient(client, { meterProvider: mp.provider });
    client.started('find');
    client.emit('topologyClosed');
    await wait(10);
    client.emit('topologyClosed');
    await wait(10);
    expect(await mp.points(DURATION)).toEqual([
      expect.objectContaining({ value: 1, attributes: expect.objectContaining({ 'error.type': '_OTHER' }) }),
    ]);
  });

  test("recorded in the command's context: its span's", () => {
    const spy = contextSpy();
    const client = new FakeClient();
    const provider = new TracerProvider();
    pkg.traceMongoClient(client, { meterProvider: spy.provider, tracerProvider: provider });
    const parent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
    });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    try {
      client.succeeded(context.with(parent, () => client.started('find')));
    } finally {
      context.disable();
    }
    expect(spy.contexts).toHaveLength(1);
    const span = trace.getSpan(spy.contexts[0]!)?.spanContext();
    expect(span?.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(span?.spanId).not.toBe('b7ad6b7169203331');
  });
});
