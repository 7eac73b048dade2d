import { type Attributes, type Context, metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  type MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics';

/** A reader that exports nothing: the test collects from it when it wants the numbers. */
class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** One metric as the SDK collected it, with its instrumentation scope. */
export interface Collected {
  scope: string;
  metric: MetricData;
}

/**
 * A real SDK MeterProvider with an in-memory reader. `collect()` returns
 * every metric recorded so far (cumulative); `register()` makes it the global one.
 */
export function memoryMetrics() {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  async function collect(): Promise<Collected[]> {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw errors[0];
    return resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.map((metric) => ({ scope: scope.scope.name, metric })),
    );
  }
  async function metric(name: string): Promise<MetricData | undefined> {
    return (await collect()).find((item) => item.metric.descriptor.name === name)?.metric;
  }
  /** The data points of a metric, as [attributes, value] pairs (a histogram's value is its count). */
  async function points(name: string): Promise<{ attributes: Attributes; value: number; sum?: number }[]> {
    const found = await metric(name);
    return ((found?.dataPoints ?? []) as DataPoint<number | Histogram>[]).map((point) =>
      typeof point.value === 'number'
        ? { attributes: point.attributes, value: point.value }
        : { attributes: point.attributes, value: point.value.count, sum: point.value.sum },
    );
  }
  /** The sum of a metric's values over its points (a histogram's: its counts). */
  async function total(name: string): Promise<number> {
    return (await points(name)).reduce((sum, point) => sum + point.value, 0);
  }
  return {
    provider,
    reader,
    collect,
    metric,
    points,
    total,
    register: () => metrics.setGlobalMeterProvider(provider),
    close: async () => {
      await provider.shutdown();
      metrics.disable();
    },
  };
}

/** Waits until `check()` is true (a metric is recorded when the response closes, just after the client saw it). */
export async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for metrics');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A meter provider that keeps the context each measurement was given
 * (histogram `record`, counter `add`), to check that it is the request's.
 */
export function contextSpy() {
  const contexts: Context[] = [];
  const keep = (_value: number, _attributes: Attributes, ctx: Context) => {
    contexts.push(ctx);
  };
  const instrument = { record: keep, add: keep };
  const meter = { createHistogram: () => instrument, createUpDownCounter: () => instrument };
  return { provider: { getMeter: () => meter } as never, contexts };
}

/**
 * Spies on the instrument factories of the API's no-op meter, in both of the
 * API's builds (two module instances since API 1.10: an adapter's ES build
 * uses the other one). `restore()` when done.
 */
export async function noopMeterSpies() {
  const apis: typeof import('@opentelemetry/api')[] = [
    require('@opentelemetry/api'),
    await import('@opentelemetry/api'),
  ];
  const spies = apis.flatMap((api) => {
    const meter = api.createNoopMeter();
    return [jest.spyOn(meter, 'createHistogram'), jest.spyOn(meter, 'createUpDownCounter')];
  });
  return {
    called: () => spies.some((spy) => spy.mock.calls.length > 0),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
