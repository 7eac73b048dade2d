// Our provider's own batch export (`exporters`), with the OTel SDK's
// BatchSpanProcessor rules: batches after a delay or when full, forceFlush
// and shutdown export every ended span, a full buffer drops and says so once,
// and a broken exporter does not stop later exports.
import { context, DiagLogLevel, SamplingDecision, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { type ExportResult, ExportResultCode, isTracingSuppressed } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, type ReadableSpan, type Sampler } from '@opentelemetry/sdk-trace';
import { BUILDS } from '../../../test/support/builds';
import { until } from './capture';
import { nodeSuite } from './harness';
import { collectDiag } from './provider-kit';

/** An InMemorySpanExporter that notes each call, can hold its callbacks, and keeps its spans at shutdown. */
class NotingExporter extends InMemorySpanExporter {
  readonly calls: string[] = [];
  readonly exported: ReadableSpan[] = [];
  held: (() => void)[] | undefined;
  suppressed: boolean[] = [];

  override export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.calls.push(`export ${spans.map((span) => span.name).join(',')}`);
    this.exported.push(...spans);
    this.suppressed.push(isTracingSuppressed(context.active()));
    if (this.held === undefined) super.export(spans, done);
    else this.held.push(() => done({ code: ExportResultCode.SUCCESS }));
  }

  release(): void {
    for (const done of this.held?.splice(0) ?? []) done();
  }

  override shutdown(): Promise<void> {
    this.calls.push('shutdown');
    return super.shutdown();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(BUILDS)('TracewireTracerProvider: export (%s build)', (build) => {
  const suite = nodeSuite(build);
  let providers: { shutdown(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(providers.map((provider) => provider.shutdown()));
    providers = [];
  });

  function provider(config: ConstructorParameters<typeof suite.node.TracewireTracerProvider>[0]) {
    const made = new suite.node.TracewireTracerProvider(config);
    providers.push(made);
    const tracer = made.getTracer('export');
    const end = (...names: string[]) => {
      for (const name of names) tracer.startSpan(name).end();
    };
    return { provider: made, tracer, end };
  }

  test('ended spans go after the scheduled delay, in one batch', async () => {
    const exporter = new NotingExporter();
    const { end } = provider({ exporters: [exporter], batch: { scheduledDelayMillis: 100, maxExportBatchSize: 10 } });
    const started = performance.now();
    end('a', 'b', 'c');
    await sleep(40);
    expect(exporter.calls).toStrictEqual([]);
    await until(() => exporter.calls.length > 0, 2000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(exporter.calls).toStrictEqual(['export a,b,c']);
  });

  test('a full batch goes at once; the rest waits for the delay', () => {
    const exporter = new NotingExporter();
    const { end } = provider({ exporters: [exporter], batch: { scheduledDelayMillis: 60_000, maxExportBatchSize: 3 } });
    end('1', '2', '3', '4', '5');
    expect(exporter.calls).toStrictEqual(['export 1,2,3']);
  });

  test('forceFlush exports every ended span, batch by batch; open spans stay', async () => {
    const exporter = new NotingExporter();
    const {
      provider: p,
      tracer,
      end,
    } = provider({
      exporters: [exporter],
      batch: { scheduledDelayMillis: 60_000, maxExportBatchSize: 3 },
    });
    const open = tracer.startSpan('open');
    end('1', '2', '3', '4', '5', '6', '7');
    await p.forceFlush();
    expect(exporter.calls).toStrictEqual(['export 1,2,3', 'export 4,5,6', 'export 7']);
    open.end();
    await p.forceFlush();
    expect(exporter.calls.at(-1)).toBe('export open');
  });

  test('shutdown exports every ended span, then shuts the exporter down; twice is fine', async () => {
    const exporter = new NotingExporter();
    const { provider: p, end } = provider({ exporters: [exporter], batch: { scheduledDelayMillis: 60_000 } });
    end('1', '2');
    await p.shutdown();
    end('after shutdown');
    await p.shutdown();
    await p.forceFlush();
    expect(exporter.calls).toStrictEqual(['export 1,2', 'shutdown']);
  });

  test('a full buffer drops spans and reports them in one line, with the count, once it has drained', async () => {
    const exporter = new NotingExporter();
    exporter.held = [];
    const { provider: p, end } = provider({
      exporters: [exporter],
      batch: { scheduledDelayMillis: 60_000, maxExportBatchSize: 2, maxQueueSize: 4 },
    });
    const log = collectDiag();
    end('1', '2', '3', '4', '5', '6', '7', '8', '9', '10');
    expect(exporter.calls).toStrictEqual(['export 1,2']);
    expect(log).toStrictEqual([]);
    exporter.release();
    await until(() => exporter.calls.length === 2, 2000);
    exporter.release();
    await until(() => exporter.calls.length === 3, 2000);
    exporter.release();
    await p.forceFlush();
    expect(exporter.calls).toStrictEqual(['export 1,2', 'export 3,4', 'export 5,6']);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^warn: .*span buffer \(4 spans\) was full .*; 4 spans dropped$/);
  });

  test('unsampled spans are not exported, RECORD ones included', async () => {
    const exporter = new NotingExporter();
    const byName: Sampler = {
      shouldSample: (_ctx, _id, name) => ({
        decision: name.startsWith('keep') ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.RECORD,
      }),
    };
    const { provider: p, end } = provider({ exporters: [exporter], sampler: byName });
    end('keep 1', 'record only', 'keep 2');
    await p.forceFlush();
    expect(exporter.calls).toStrictEqual(['export keep 1,keep 2']);
  });

  test('an exporter that throws, or never calls back, does not stop later exports', async () => {
    const log = collectDiag();
    const exporter = new NotingExporter();
    let calls = 0;
    const original = exporter.export.bind(exporter);
    exporter.export = (spans, done) => {
      calls++;
      if (calls === 1) throw new Error('exporter bug');
      if (calls === 2) return; // never calls back
      original(spans, done);
    };
    const { provider: p, end } = provider({
      exporters: [exporter],
      batch: { scheduledDelayMillis: 60_000, maxExportBatchSize: 1, exportTimeoutMillis: 100 },
    });
    end('thrown', 'lost', 'arrives');
    await p.forceFlush();
    expect(exporter.exported.map((span) => span.name)).toStrictEqual(['arrives']);
    expect(log).toStrictEqual([
      'warn: @tracewire/node: the exporter threw',
      'warn: @tracewire/node: an export took longer than 100 ms; not waiting for it',
    ]);
  });

  test('the exporter runs with tracing suppressed, so that its own requests make no spans', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const exporter = new NotingExporter();
    const { provider: p, tracer } = provider({ exporters: [exporter], batch: { maxExportBatchSize: 1 } });
    tracer.startActiveSpan('request', (span) => span.end());
    await p.forceFlush();
    expect(exporter.suppressed).toStrictEqual([true]);
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  test('a resource with async attributes is settled before the export, as the SDK does', async () => {
    const log = collectDiag(DiagLogLevel.ERROR);
    const late = new Promise<string>((resolve) => setTimeout(() => resolve('late'), 30));
    const resource = resourceFromAttributes({ 'service.name': 'async', 'host.id': late });
    const seen: unknown[] = [];
    const exporter = new NotingExporter();
    const original = exporter.export.bind(exporter);
    exporter.export = (spans, done) => {
      seen.push(spans[0]?.resource.attributes['host.id']);
      original(spans, done);
    };
    const { provider: p, end } = provider({ exporters: [exporter], resource });
    end('s');
    await p.forceFlush();
    expect(seen).toStrictEqual(['late']);
    expect(log).toStrictEqual([]);
  });

  test('setupTracing passes the OTEL_BSP_* settings to our batches', async () => {
    Object.assign(process.env, { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2', OTEL_BSP_SCHEDULE_DELAY: '60000' });
    const exporter = new NotingExporter();
    const tracing = suite.setup({ exporter, provider: 'tracewire' });
    const tracer = tracing.tracerProvider.getTracer('env');
    for (const name of ['1', '2', '3']) tracer.startSpan(name).end();
    expect(exporter.calls).toStrictEqual(['export 1,2']);
    await tracing.shutdown();
    expect(exporter.calls).toStrictEqual(['export 1,2', 'export 3', 'shutdown']);
  });
});
