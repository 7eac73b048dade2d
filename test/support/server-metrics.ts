// The request metrics of an HTTP server adapter (Express, Koa): one suite,
// run by each adapter's tests against its real framework and server.
import http from 'node:http';
import { trace } from '@opentelemetry/api';
import { AlwaysOffSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import type { TracingOptions } from '@tracewire/core';
import { send } from './http';
import { contextSpy, memoryMetrics, noopMeterSpies, until } from './metrics';

const DURATION = 'http.server.request.duration';
const ACTIVE = 'http.server.active_requests';
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Thrown by the app's `/fail` route: its class name is the `error.type`. */
export class BoomError extends Error {}

/**
 * What the suite needs of an adapter: an app traced with `options`, served on
 * 127.0.0.1, with the routes `GET /users/:id` (200), `GET /fail` (throws a
 * BoomError), `GET /slow` (answers once `hold()` resolves), and nothing else
 * (404). `closeAll` closes every server it started.
 */
export interface MetricsApp {
  serve(options: TracingOptions<never, never>, hold: () => Promise<void>): Promise<number>;
  closeAll(): Promise<void>;
}

function defer(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const open = () => Promise.resolve();

export function describeServerMetrics(app: MetricsApp): void {
  // A new provider per test: cumulative counts start at zero.
  let mp: ReturnType<typeof memoryMetrics>;
  beforeEach(() => {
    mp = memoryMetrics();
  });
  afterEach(async () => {
    await app.closeAll();
    await mp.close();
  });
  const serve = (options: TracingOptions<never, never> = {}, hold = open) =>
    app.serve({ meterProvider: mp.provider, ...options }, hold);
  /** A server whose `/slow` waits for `release`; `entered` resolves once a request is in the handler. */
  async function gatedServer() {
    const entered = defer();
    const release = defer();
    const port = await serve({}, () => {
      entered.resolve();
      return release.promise;
    });
    return { entered, release, port };
  }
  const recorded = (count: number) => until(async () => (await mp.total(DURATION)) >= count);

  test('http.server.request.duration: unit s, the advised buckets, the stable attributes, the route template', async () => {
    const port = await serve();
    expect((await send(port, '/users/42?q=1')).status).toBe(200);
    await recorded(1);
    const metric = await mp.metric(DURATION);
    expect(metric?.descriptor).toMatchObject({ name: DURATION, unit: 's' });
    const [point, ...others] = metric?.dataPoints ?? [];
    expect(others).toEqual([]);
    expect(point?.attributes).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'network.protocol.version': '1.1',
      'http.route': '/users/:id',
      'http.response.status_code': 200,
    });
    const value = point?.value as { count: number; sum: number; buckets: { boundaries: number[] } };
    expect(value.count).toBe(1);
    expect(value.buckets.boundaries).toEqual(BUCKETS);
    expect(value.sum).toBeGreaterThan(0);
    expect(value.sum).toBeLessThan(5);
    expect(await mp.points(ACTIVE)).toEqual([
      { attributes: { 'http.request.method': 'GET', 'url.scheme': 'http' }, value: 0 },
    ]);
    expect((await mp.metric(ACTIVE))?.descriptor).toMatchObject({ name: ACTIVE, unit: '{request}' });
  });

  test('no route matched: no http.route, never the raw path', async () => {
    const port = await serve();
    expect((await send(port, '/nothing/here')).status).toBe(404);
    await recorded(1);
    const [point] = await mp.points(DURATION);
    expect(point?.attributes).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'network.protocol.version': '1.1',
      'http.response.status_code': 404,
    });
  });

  test('a thrown error: error.type is its class name, as on the span', async () => {
    const port = await serve();
    expect((await send(port, '/fail')).status).toBe(500);
    await recorded(1);
    const [point] = await mp.points(DURATION);
    expect(point?.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': 'BoomError' });
  });

  test('active requests: 1 while a request runs, 0 after', async () => {
    const { entered, release, port } = await gatedServer();
    const reply = send(port, '/slow');
    await entered.promise;
    expect(await mp.points(ACTIVE)).toEqual([
      { attributes: { 'http.request.method': 'GET', 'url.scheme': 'http' }, value: 1 },
    ]);
    release.resolve();
    expect((await reply).status).toBe(200);
    await recorded(1);
    expect(await mp.total(ACTIVE)).toBe(0);
  });

  test('an unsampled request is measured; so is one with no tracer provider at all', async () => {
    const unsampled = new TracerProvider({ sampler: new AlwaysOffSampler() });
    const port = await serve({ tracerProvider: unsampled });
    await send(port, '/users/1');
    const bare = await serve();
    await send(bare, '/users/2');
    await recorded(2);
    const [point] = await mp.points(DURATION);
    expect(point).toMatchObject({ value: 2, attributes: { 'http.route': '/users/:id' } });
  });

  test('an ignored request is neither counted nor active', async () => {
    const port = await serve({ ignore: () => true });
    expect((await send(port, '/users/1')).status).toBe(200);
    const counted = await serve();
    await send(counted, '/users/2');
    await recorded(1);
    expect(await mp.total(DURATION)).toBe(1);
    expect(await mp.points(ACTIVE)).toEqual([
      { attributes: { 'http.request.method': 'GET', 'url.scheme': 'http' }, value: 0 },
    ]);
  });

  test('a request the client aborts is counted once, with error.type aborted', async () => {
    const { entered, release, port } = await gatedServer();
    const client = http.request({ host: '127.0.0.1', port, path: '/slow', agent: false });
    client.on('error', () => undefined);
    client.end();
    await entered.promise;
    client.destroy();
    await recorded(1);
    // The handler answers into the closed connection: nothing more is counted.
    release.resolve();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const points = await mp.points(DURATION);
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({ value: 1, attributes: { 'error.type': 'aborted', 'http.route': '/slow' } });
    expect(points[0]?.attributes['http.response.status_code']).toBeUndefined();
    expect(await mp.total(ACTIVE)).toBe(0);
  });

  test('a method outside the known set is recorded as _OTHER', async () => {
    const port = await serve();
    await send(port, '/users/1', { method: 'PROPFIND' });
    await recorded(1);
    const [point] = await mp.points(DURATION);
    expect(point?.attributes['http.request.method']).toBe('_OTHER');
    expect((await mp.points(ACTIVE))[0]?.attributes['http.request.method']).toBe('_OTHER');
  });

  test('1,000 concurrent requests: the counts add up exactly', async () => {
    const port = await serve();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    try {
      const replies = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => send(port, i % 2 === 0 ? `/users/${i}` : '/fail', { agent })),
      );
      expect(replies.filter((reply) => reply.status === 200)).toHaveLength(500);
    } finally {
      agent.destroy();
    }
    await recorded(1000);
    const points = await mp.points(DURATION);
    const byRoute = Object.fromEntries(points.map((point) => [String(point.attributes['http.route']), point.value]));
    expect(byRoute).toEqual({ '/users/:id': 500, '/fail': 500 });
    expect(await mp.total(ACTIVE)).toBe(0);
  });

  test("recorded in the request's context: an SDK with exemplars links the measurement to the trace", async () => {
    const spy = contextSpy();
    const tracing = new TracerProvider();
    const port = await app.serve({ meterProvider: spy.provider, tracerProvider: tracing }, open);
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    await send(port, '/users/1', { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
    await until(async () => spy.contexts.length === 3);
    for (const ctx of spy.contexts) expect(trace.getSpan(ctx)?.spanContext().traceId).toBe(traceId);
  });

  test('metrics: false records nothing, whatever provider is registered; a bad option fails at setup', async () => {
    mp.register();
    const port = await app.serve({ metrics: false }, open);
    await send(port, '/users/1');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await mp.collect()).toEqual([]);
    await expect(app.serve({ meterProvider: {} as never }, open)).rejects.toThrow(
      'option "meterProvider" must be a MeterProvider',
    );
    await expect(app.serve({ metrics: 'no' as never }, open)).rejects.toThrow('option "metrics" must be a boolean');
  });

  test('no meter provider registered: no instrument is made, nothing recorded; a later one is followed', async () => {
    const spies = await noopMeterSpies();
    try {
      const port = await app.serve({}, open);
      await send(port, '/users/1');
      expect(spies.called()).toBe(false);
      mp.register();
      await send(port, '/users/2');
      await recorded(1);
      expect(await mp.total(DURATION)).toBe(1);
      expect(spies.called()).toBe(false);
    } finally {
      spies.restore();
    }
  });
}
