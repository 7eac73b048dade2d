import type * as grpc from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import { AlwaysOffSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { BUILDS, load } from '../../../test/support/builds';
import { contextSpy, memoryMetrics, noopMeterSpies, until } from '../../../test/support/metrics';
import { type Pkg, type Running, startServer, stream, unary } from './helpers';

const SERVER = 'rpc.server.call.duration';
const CLIENT = 'rpc.client.call.duration';
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const UNARY = { 'rpc.system': 'grpc', 'rpc.service': 'tracewire.test.Echo', 'rpc.method': 'Unary' };

describe.each(BUILDS)('@tracewire/grpc metrics (%s build)', (build) => {
  let pkg: Pkg;
  let running: Running | undefined;
  let mp: ReturnType<typeof memoryMetrics>;
  beforeAll(async () => {
    pkg = await load<Pkg>('@tracewire/grpc', build);
  });
  beforeEach(() => {
    mp = memoryMetrics();
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
    await mp.close();
  });

  /** A server and a client, both traced with `options` (and the test's meter provider unless it names one). */
  async function serve(options: Parameters<Pkg['serverInterceptor']>[0] = {}) {
    const all = { meterProvider: mp.provider, ...options };
    running = await startServer([pkg.serverInterceptor(all)]);
    return running.client([pkg.clientInterceptor(all)]);
  }
  // The server records once it sent the status, just before the client sees it.
  const both = (count: number) =>
    until(async () => (await mp.total(SERVER)) >= count && (await mp.total(CLIENT)) >= count);

  test('rpc.server.call.duration and rpc.client.call.duration: unit s, the buckets, rpc.* and the status code', async () => {
    const client = await serve();
    expect((await unary(client, {})).error).toBeUndefined();
    await both(1);
    for (const name of [SERVER, CLIENT]) {
      const metric = await mp.metric(name);
      expect(metric?.descriptor).toMatchObject({ name, unit: 's' });
      expect(metric?.dataPoints).toHaveLength(1);
      const point = metric?.dataPoints[0];
      expect(point?.attributes).toEqual({ ...UNARY, 'rpc.grpc.status_code': 0 });
      const value = point?.value as { count: number; buckets: { boundaries: number[] } };
      expect(value.count).toBe(1);
      expect(value.buckets.boundaries).toEqual(BUCKETS);
    }
  });

  test('a failed call: the status code it ended with, on both sides', async () => {
    const client = await serve();
    expect((await unary(client, { code: 5, details: 'none' })).error?.code).toBe(5);
    await both(1);
    expect((await mp.points(SERVER))[0]?.attributes).toEqual({ ...UNARY, 'rpc.grpc.status_code': 5 });
    expect((await mp.points(CLIENT))[0]?.attributes).toEqual({ ...UNARY, 'rpc.grpc.status_code': 5 });
  });

  test('a stream the client cancels is counted once on each side, CANCELLED', async () => {
    const client = await serve();
    await stream(client, { count: 50, intervalMs: 20 }, (call: grpc.ClientReadableStream<unknown>, index: number) => {
      if (index === 1) call.cancel();
    });
    await both(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const name of [SERVER, CLIENT]) {
      expect(await mp.points(name)).toEqual([
        expect.objectContaining({ value: 1, attributes: expect.objectContaining({ 'rpc.grpc.status_code': 1 }) }),
      ]);
    }
  });

  test('unsampled calls are measured; ignored ones are not', async () => {
    const client = await serve({ tracerProvider: new TracerProvider({ sampler: new AlwaysOffSampler() }) });
    await unary(client, {});
    await both(1);
    await running?.close();
    const ignoring = await serve({ ignore: () => true });
    await unary(ignoring, {});
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await mp.total(SERVER)).toBe(1);
    expect(await mp.total(CLIENT)).toBe(1);
  });

  test('1,000 concurrent calls: the counts add up exactly', async () => {
    const client = await serve();
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => unary(client, i % 2 ? { code: 5 } : {})));
    expect(results.filter((result) => result.error === undefined)).toHaveLength(500);
    await both(1000);
    for (const name of [SERVER, CLIENT]) {
      const byCode = Object.fromEntries(
        (await mp.points(name)).map((point) => [point.attributes['rpc.grpc.status_code'], point.value]),
      );
      expect(byCode).toEqual({ 0: 500, 5: 500 });
    }
  });

  test("recorded in the call's context: both sides' measurements belong to the call's trace", async () => {
    const spy = contextSpy();
    const client = await serve({ meterProvider: spy.provider, tracerProvider: new TracerProvider() });
    await unary(client, {});
    await until(async () => spy.contexts.length === 2);
    const [first, second] = spy.contexts.map((ctx) => trace.getSpan(ctx)?.spanContext());
    expect(first?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(second?.traceId).toBe(first?.traceId);
    expect(second?.spanId).not.toBe(first?.spanId);
  });

  test('no meter provider registered: no instrument is made; a later one is followed; metrics: false', async () => {
    const spies = await noopMeterSpies();
    try {
      running = await startServer([pkg.serverInterceptor()]);
      const client = running.client([pkg.clientInterceptor()]);
      await unary(client, {});
      expect(spies.called()).toBe(false);
      mp.register();
      await unary(client, {});
      await both(1);
      expect(spies.called()).toBe(false);
      await running.close();
      running = await startServer([pkg.serverInterceptor({ metrics: false })]);
      await unary(running.client([pkg.clientInterceptor({ metrics: false })]), {});
      expect(await mp.total(SERVER)).toBe(1);
      expect(await mp.total(CLIENT)).toBe(1);
    } finally {
      spies.restore();
    }
  });
});
