import { trace } from '@opentelemetry/api';
import { AlwaysOffSampler, InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import * as undici from 'undici';
import { BUILDS, load } from '../../../test/support/builds';
import { contextSpy, memoryMetrics, noopMeterSpies } from '../../../test/support/metrics';
import { closedPort, type Downstream, startDownstream } from './server';

type Pkg = typeof import('@tracewire/fetch');
// biome-ignore lint/suspicious/noExplicitAny: the two fetch implementations have different argument types
type AnyFetch = (input: any, init?: any) => Promise<Response>;

const DURATION = 'http.client.request.duration';
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const FETCHES: [string, AnyFetch][] = [
  ["Node's global fetch", globalThis.fetch],
  ["undici's fetch", undici.fetch as unknown as AnyFetch],
];

let downstream: Downstream;
beforeAll(async () => {
  downstream = await startDownstream();
});
afterAll(() => downstream.close());

describe.each(BUILDS)('@tracewire/fetch metrics (%s build)', (build) => {
  let tw: Pkg;
  beforeAll(async () => {
    tw = await load<Pkg>('@tracewire/fetch', build);
  });
  let mp: ReturnType<typeof memoryMetrics>;
  beforeEach(() => {
    mp = memoryMetrics();
  });
  afterEach(() => mp.close());

  describe.each(FETCHES)('%s', (_name, impl) => {
    const traced = (options: Parameters<Pkg['traceFetch']>[1] = {}) =>
      tw.traceFetch(impl, { meterProvider: mp.provider, ...options });
    const server = () => ({ 'server.address': '127.0.0.1', 'server.port': downstream.port, 'url.scheme': 'http' });

    test('http.client.request.duration: unit s, the advised buckets, method, server, scheme and status', async () => {
      await (await traced()(`${downstream.url}/ok?q=1`)).text();
      const metric = await mp.metric(DURATION);
      expect(metric?.descriptor).toMatchObject({ name: DURATION, unit: 's' });
      expect(metric?.dataPoints).toHaveLength(1);
      const point = metric?.dataPoints[0];
      expect(point?.attributes).toEqual({
        'http.request.method': 'GET',
        ...server(),
        'http.response.status_code': 200,
      });
      const value = point?.value as { count: number; buckets: { boundaries: number[] } };
      expect(value.count).toBe(1);
      expect(value.buckets.boundaries).toEqual(BUCKETS);
    });

    test('error.type by the span rule: the status for a 4xx or 5xx, the error name for a failed request', async () => {
      const fetch = traced();
      await (await fetch(`${downstream.url}/status/404`)).text();
      await (await fetch(`${downstream.url}/status/503`, { method: 'POST' })).text();
      await expect(fetch(`http://127.0.0.1:${await closedPort()}/`)).rejects.toThrow();
      const aborted = new AbortController();
      aborted.abort();
      await expect(fetch(`${downstream.url}/ok`, { signal: aborted.signal })).rejects.toThrow();
      const points = (await mp.points(DURATION)).map((point) => point.attributes);
      expect(points).toEqual(
        expect.arrayContaining([
          { 'http.request.method': 'GET', ...server(), 'http.response.status_code': 404, 'error.type': '404' },
          { 'http.request.method': 'POST', ...server(), 'http.response.status_code': 503, 'error.type': '503' },
          expect.objectContaining({ 'http.request.method': 'GET', 'error.type': 'TypeError' }),
          { 'http.request.method': 'GET', ...server(), 'error.type': 'AbortError' },
        ]),
      );
      expect(points).toHaveLength(4);
    });

    test('unsampled calls are measured; ignored ones are not', async () => {
      const unsampled = traced({ tracerProvider: new TracerProvider({ sampler: new AlwaysOffSampler() }) });
      await (await unsampled(`${downstream.url}/a`)).text();
      await (await traced()(`${downstream.url}/b`)).text();
      await (await traced({ ignore: () => true })(`${downstream.url}/c`)).text();
      expect(await mp.total(DURATION)).toBe(2);
    });

    test('a method outside the known set is recorded as _OTHER', async () => {
      await (await traced()(`${downstream.url}/ok`, { method: 'PROPFIND' })).text();
      const [point] = await mp.points(DURATION);
      expect(point?.attributes['http.request.method']).toBe('_OTHER');
    });

    test('1,000 concurrent calls: the counts add up exactly', async () => {
      const fetch = traced();
      const replies = await Promise.all(
        Array.from({ length: 1000 }, async (_, i) => {
          const response = await fetch(`${downstream.url}/${i % 2 === 0 ? 'ok' : 'status/500'}`);
          await response.text();
          return response.status;
        }),
      );
      expect(replies.filter((status) => status === 200)).toHaveLength(500);
      const byStatus = Object.fromEntries(
        (await mp.points(DURATION)).map((point) => [point.attributes['http.response.status_code'], point.value]),
      );
      expect(byStatus).toEqual({ 200: 500, 500: 500 });
    });

    test("recorded in the call's context: the client span's", async () => {
      const spy = contextSpy();
      const exporter = new InMemorySpanExporter();
      const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
      await (
        await tw.traceFetch(impl, { meterProvider: spy.provider, tracerProvider: provider })(downstream.url)
      ).text();
      const [span] = exporter.getFinishedSpans();
      expect(spy.contexts).toHaveLength(1);
      expect(trace.getSpan(spy.contexts[0]!)?.spanContext()).toEqual(span?.spanContext());
    });

    test('metrics: false, or no meter provider registered: no instrument is made, nothing recorded', async () => {
      const spies = await noopMeterSpies();
      try {
        await (await tw.traceFetch(impl)(downstream.url)).text();
        expect(spies.called()).toBe(false);
        mp.register();
        await (await tw.traceFetch(impl, { metrics: false })(downstream.url)).text();
        expect(await mp.collect()).toEqual([]);
        await (await tw.traceFetch(impl)(downstream.url)).text();
        expect(await mp.total(DURATION)).toBe(1);
        expect(spies.called()).toBe(false);
      } finally {
        spies.restore();
      }
      expect(() => tw.traceFetch(impl, { meterProvider: 1 as never })).toThrow('option "meterProvider" must be');
    });
  });
});
