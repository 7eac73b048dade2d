// Our provider's Tracer against the OTel SDK's: ids, parents, suppression,
// sampling and tracers.
import {
  context,
  createTraceState,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Sampler,
  SamplingDecision,
  type SpanContext,
  SpanKind,
  TraceFlags,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing } from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  TracerProvider as SdkTracerProvider,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import { BUILDS } from '../../../test/support/builds';
import { nodeSuite } from './harness';
import { EndedSpans, type ProviderConfig, sameAsSdk } from './provider-kit';

const PARENT: SpanContext = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  traceState: createTraceState('vendor=value'),
  isRemote: true,
};

function under(parent: SpanContext) {
  return trace.setSpanContext(ROOT_CONTEXT, parent);
}

describe.each(BUILDS)('TracewireTracerProvider: the tracer (%s build)', (build) => {
  const suite = nodeSuite(build);
  beforeEach(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });

  const ours = (config: ConstructorParameters<typeof suite.node.TracewireTracerProvider>[0] = {}) =>
    new suite.node.TracewireTracerProvider(config);
  const same = (scenario: (tracer: Tracer) => unknown, config?: ProviderConfig) =>
    sameAsSdk(suite.node, scenario, config);

  describe('ids and parents', () => {
    test('ids are valid lower-case hex, never all zeros, unique over 100,000 spans', () => {
      const tracer = ours().getTracer('ids');
      const traceIds = new Set<string>();
      const spanIds = new Set<string>();
      for (let i = 0; i < 100_000; i++) {
        const { traceId, spanId } = tracer.startSpan('s').spanContext();
        traceIds.add(traceId);
        spanIds.add(spanId);
      }
      expect(traceIds.size).toBe(100_000);
      expect(spanIds.size).toBe(100_000);
      // One expect for all: 200,000 of them would take seconds.
      expect([...traceIds].filter((id) => !/^(?!0{32})[0-9a-f]{32}$/.test(id))).toStrictEqual([]);
      expect([...spanIds].filter((id) => !/^(?!0{16})[0-9a-f]{16}$/.test(id))).toStrictEqual([]);
    });

    test('a child keeps the trace id and trace state of its parent; root: true starts a new trace', async () => {
      const { raw } = await same((tracer) => {
        const child = tracer.startSpan('child', {}, under(PARENT));
        const local = tracer.startSpan('grandchild', {}, trace.setSpan(ROOT_CONTEXT, child));
        const root = context.with(trace.setSpan(ROOT_CONTEXT, child), () => tracer.startSpan('root', { root: true }));
        for (const span of [child, local, root]) span.end();
      });
      const [child, grandchild, root] = raw as ReadableSpan[];
      expect(child?.spanContext().traceId).toBe(PARENT.traceId);
      expect(child?.parentSpanContext).toBe(PARENT);
      expect(child?.spanContext().traceState?.serialize()).toBe('vendor=value');
      expect(grandchild?.spanContext().traceId).toBe(PARENT.traceId);
      expect(grandchild?.parentSpanContext?.spanId).toBe(child?.spanContext().spanId);
      expect(grandchild?.spanContext().traceState).toBe(child?.spanContext().traceState);
      expect(root?.spanContext().traceId).not.toBe(PARENT.traceId);
      expect(root?.parentSpanContext).toBeUndefined();
    });

    test('an invalid parent gives a new trace; suppressTracing gives a non-recording span, invalid context', async () => {
      const invalid = { ...PARENT, traceId: '0'.repeat(32) };
      const processor = new EndedSpans();
      const tracer = ours({ spanProcessors: [processor] }).getTracer('t');
      const orphan = tracer.startSpan('orphan', {}, under(invalid)) as unknown as ReadableSpan;
      expect(isSpanContextValid(orphan.spanContext())).toBe(true);
      expect(orphan.spanContext().traceId).not.toBe(invalid.traceId);
      expect(orphan.parentSpanContext).toBeUndefined();

      const suppressed = tracer.startSpan('quiet', {}, suppressTracing(under(PARENT)));
      expect(suppressed.isRecording()).toBe(false);
      expect(suppressed.spanContext()).toStrictEqual(INVALID_SPAN_CONTEXT);
      suppressed.end();
      expect(processor.started.map(({ span }) => span.name)).toStrictEqual(['orphan']);
      expect(processor.ended).toHaveLength(0);
    });
  });

  describe('samplers', () => {
    test('AlwaysOff: a non-recording span whose context is valid and unsampled; nothing exported', async () => {
      const exporter = new InMemorySpanExporter();
      const processor = new EndedSpans();
      const provider = ours({ sampler: new AlwaysOffSampler(), exporters: [exporter], spanProcessors: [processor] });
      const span = provider.getTracer('t').startSpan('off');
      span.setAttribute('ignored', 1);
      span.end();
      expect(span.isRecording()).toBe(false);
      expect(isSpanContextValid(span.spanContext())).toBe(true);
      expect(span.spanContext().traceFlags).toBe(TraceFlags.NONE);
      await provider.forceFlush();
      expect(exporter.getFinishedSpans()).toHaveLength(0);
      expect(processor.started).toHaveLength(0);
    });

    test('AlwaysOn and ParentBased, with remote sampled and unsampled parents', async () => {
      const decisions = (tracer: Tracer) =>
        [ROOT_CONTEXT, under(PARENT), under({ ...PARENT, traceFlags: TraceFlags.NONE })].map((parent) => {
          const span = tracer.startSpan('s', {}, parent);
          const recording = span.isRecording();
          span.end();
          return [recording, span.spanContext().traceFlags];
        });
      const on = await same(decisions, { sampler: new AlwaysOnSampler() });
      expect(on.result).toStrictEqual([
        [true, TraceFlags.SAMPLED],
        [true, TraceFlags.SAMPLED],
        [true, TraceFlags.SAMPLED],
      ]);
      const parentBased = await same(decisions, { sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }) });
      expect(parentBased.result).toStrictEqual([
        [false, TraceFlags.NONE],
        [true, TraceFlags.SAMPLED],
        [false, TraceFlags.NONE],
      ]);
      expect(parentBased.spans).toHaveLength(1);
    });

    test('TraceIdRatioBased(0.25): about a quarter of 4,000 new traces, the same decision as the SDK sampler', () => {
      const tracer = ours({ sampler: new TraceIdRatioBasedSampler(0.25) }).getTracer('ratio');
      const reference = new TraceIdRatioBasedSampler(0.25);
      let sampled = 0;
      const differing: string[] = [];
      for (let i = 0; i < 4000; i++) {
        const span = tracer.startSpan('s');
        const { traceId, traceFlags } = span.spanContext();
        const expected = reference.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED;
        if ((traceFlags === TraceFlags.SAMPLED) !== expected || span.isRecording() !== expected)
          differing.push(traceId);
        if (traceFlags === TraceFlags.SAMPLED) sampled++;
      }
      expect(differing).toStrictEqual([]);
      expect(sampled / 4000).toBeGreaterThan(0.2);
      expect(sampled / 4000).toBeLessThan(0.3);
    });

    test('RECORD: recorded and given to processors, not exported', async () => {
      const record: Sampler = { shouldSample: () => ({ decision: SamplingDecision.RECORD }) };
      const exporter = new InMemorySpanExporter();
      const processor = new EndedSpans();
      const provider = ours({ sampler: record, exporters: [exporter], spanProcessors: [processor] });
      const span = provider.getTracer('t').startSpan('recorded');
      expect(span.isRecording()).toBe(true);
      expect(span.spanContext().traceFlags).toBe(TraceFlags.NONE);
      span.end();
      await provider.forceFlush();
      expect(processor.ended).toStrictEqual([span]);
      expect(exporter.getFinishedSpans()).toHaveLength(0);
    });

    test('a sampler adds attributes and a trace state; it sees the name, kind, attributes and links', async () => {
      let seen: unknown[] = [];
      const sampler: Sampler = {
        shouldSample: (ctx, traceId, name, kind, attributes, links) => {
          seen.push({
            parent: trace.getSpanContext(ctx)?.spanId,
            traceId: traceId.length,
            name,
            kind,
            attributes: { ...attributes },
          });
          seen.push(links.map((link) => link.context));
          return {
            decision: SamplingDecision.RECORD_AND_SAMPLED,
            attributes: { 'sampler.rule': 'keep', given: 'overwritten' },
            traceState: createTraceState('sampler=yes'),
          };
        },
      };
      const { spans, result } = await same(
        (tracer) => {
          seen = [];
          const options = { kind: SpanKind.CLIENT, attributes: { given: 'value', n: 1 }, links: [{ context: PARENT }] };
          tracer.startSpan('sampled', options, under(PARENT)).end();
          return seen;
        },
        { sampler },
      );
      expect(spans[0]?.attributes).toStrictEqual({ given: 'overwritten', n: 1, 'sampler.rule': 'keep' });
      expect(spans[0]?.traceState).toBe('sampler=yes');
      expect(result).toStrictEqual([
        {
          parent: PARENT.spanId,
          traceId: 32,
          name: 'sampled',
          kind: SpanKind.CLIENT,
          attributes: { given: 'value', n: 1 },
        },
        [PARENT],
      ]);
    });
  });

  test('getTracer: one tracer per name, version and schemaUrl; the scope is on its spans', () => {
    const provider = ours();
    const tracer = provider.getTracer('lib', '1.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
    expect(provider.getTracer('lib', '1.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' })).toBe(tracer);
    expect(provider.getTracer('lib', '1.0.0')).not.toBe(tracer);
    expect(provider.getTracer('lib', '2.0.0')).not.toBe(provider.getTracer('lib', '1.0.0'));
    expect(provider.getTracer('lib')).toBe(provider.getTracer('lib', ''));

    const scopesOf = (make: (processor: SpanProcessor) => TracerProvider) => {
      const processor = new EndedSpans();
      const p = make(processor);
      p.getTracer('lib', '1.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }).startSpan('a').end();
      p.getTracer('other').startSpan('b').end();
      return processor.ended.map((span) => span.instrumentationScope);
    };
    const scopes = scopesOf((processor) => ours({ spanProcessors: [processor] }));
    expect(scopes).toStrictEqual(scopesOf((processor) => new SdkTracerProvider({ spanProcessors: [processor] })));
    expect(scopes[0]).toStrictEqual({
      name: 'lib',
      version: '1.0.0',
      schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
    });
  });
});
