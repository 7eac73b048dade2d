// What user code does with the OTel SDK, on our provider: startActiveSpan
// in every form, OTel SpanProcessors (a redacting one among them), reading
// the attributes of an active span, and instanceof (which does not hold).
import {
  type Attributes,
  context,
  createTraceState,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  TracerProvider as SdkTracerProvider,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { BUILDS } from '../../../test/support/builds';
import { nodeSuite } from './harness';
import { type ProviderConfig, sameAsSdk } from './provider-kit';

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

describe.each(BUILDS)('TracewireTracerProvider: user code (%s build)', (build) => {
  const suite = nodeSuite(build);
  beforeEach(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });

  const ours = (config: ConstructorParameters<typeof suite.node.TracewireTracerProvider>[0] = {}) =>
    new suite.node.TracewireTracerProvider(config);
  const same = (scenario: (tracer: Tracer) => unknown, config?: ProviderConfig) =>
    sameAsSdk(suite.node, scenario, config);

  describe('startActiveSpan', () => {
    test('all three overloads: the span is active in the callback, the result passes through', async () => {
      const { spans, result } = await same((tracer) => {
        const activeIs = (span: Span) => trace.getActiveSpan() === span;
        const a = tracer.startActiveSpan('two', (span) => {
          tracer.startSpan('inner').end();
          span.end();
          return ['two', activeIs(span)];
        });
        const b = tracer.startActiveSpan('three', { kind: SpanKind.PRODUCER, attributes: { x: 1 } }, (span) => {
          span.end();
          return ['three', activeIs(span)];
        });
        const c = tracer.startActiveSpan('four', {}, under(PARENT), (span) => {
          span.end();
          return ['four', activeIs(span), span.spanContext().traceId === PARENT.traceId];
        });
        // An undefined context means the active one.
        const d = tracer.startActiveSpan('undefined context', {}, undefined as never, (span) => {
          span.end();
          return activeIs(span);
        });
        return [a, b, c, d, trace.getActiveSpan()];
      });
      expect(result).toStrictEqual([['two', true], ['three', true], ['four', true, true], true, undefined]);
      expect(spans.map((span) => [span.name, span.hasParent])).toStrictEqual([
        ['inner', true],
        ['two', false],
        ['three', false],
        ['four', true],
        ['undefined context', false],
      ]);
      expect(spans[2]).toMatchObject({ kind: SpanKind.PRODUCER, attributes: { x: 1 } });
    });

    test('an async callback keeps its context across awaits', async () => {
      const { spans, result } = await same(async (tracer) =>
        tracer.startActiveSpan('async', async (span) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          const child = tracer.startSpan('after await');
          child.end();
          span.end();
          return [trace.getActiveSpan() === span, child.spanContext().traceId === span.spanContext().traceId];
        }),
      );
      expect(result).toStrictEqual([true, true]);
      expect(spans.map((span) => [span.name, span.hasParent])).toStrictEqual([
        ['after await', true],
        ['async', false],
      ]);
    });
  });

  describe('OTel SpanProcessors', () => {
    test('onStart gets the span and its parent context, onEnding a recording span, onEnd the ended span', () => {
      const calls: unknown[] = [];
      const processor: SpanProcessor = {
        onStart: (span, parent) => calls.push(['start', span, trace.getSpanContext(parent)]),
        onEnding: (span) => {
          span.setAttribute('added.on_ending', true);
          calls.push(['ending', span.isRecording(), span.ended]);
        },
        onEnd: (span) => calls.push(['end', span, span.ended, span.attributes['added.on_ending']]),
        forceFlush: async () => {},
        shutdown: async () => {},
      };
      const span = ours({ spanProcessors: [processor] })
        .getTracer('t')
        .startSpan('s', {}, under(PARENT));
      span.end();
      expect(calls).toStrictEqual([
        ['start', span, PARENT],
        ['ending', true, false],
        ['end', span, true, true],
      ]);
    });

    test('a processor that redacts in onEnd changes what the exporters get; attributes of an active span are readable', async () => {
      const redact: SpanProcessor = {
        onStart: () => {},
        onEnd: (span) => {
          const attributes = span.attributes as Attributes;
          delete attributes['http.request.header.authorization'];
          if (attributes['user.email'] !== undefined) attributes['user.email'] = 'REDACTED';
        },
        forceFlush: async () => {},
        shutdown: async () => {},
      };
      // Copies the attributes when called, as a serializing exporter does: so the redaction must come first.
      const copied: Attributes[] = [];
      const simple = new InMemorySpanExporter();
      const original = simple.export.bind(simple);
      simple.export = (spans, done) => {
        copied.push(...spans.map((span) => ({ ...span.attributes })));
        original(spans, done);
      };
      const batched = new InMemorySpanExporter();
      const provider = ours({
        spanProcessors: [redact, new SimpleSpanProcessor({ exporter: simple })],
        exporters: [batched],
      });
      const read = provider.getTracer('t').startActiveSpan('s', (span) => {
        span.setAttributes({ 'http.request.header.authorization': 'Bearer secret', 'user.email': 'a@b.c', kept: 1 });
        const active = trace.getActiveSpan() as unknown as ReadableSpan;
        const seen = { ...active.attributes };
        span.end();
        return seen;
      });
      expect(read).toStrictEqual({
        'http.request.header.authorization': 'Bearer secret',
        'user.email': 'a@b.c',
        kept: 1,
      });
      await provider.forceFlush();
      const redacted = { 'user.email': 'REDACTED', kept: 1 };
      expect(copied).toStrictEqual([redacted]);
      expect(batched.getFinishedSpans().map((span) => span.attributes)).toStrictEqual([redacted]);
    });

    test('instanceof against the SDK classes does not hold (named in the README)', () => {
      const provider = ours();
      const tracer = provider.getTracer('t');
      const span = tracer.startSpan('s');
      const sdkTracer = new SdkTracerProvider().getTracer('t');
      const sdkSpan = sdkTracer.startSpan('s');
      expect(provider).not.toBeInstanceOf(SdkTracerProvider);
      expect(tracer).not.toBeInstanceOf(sdkTracer.constructor);
      expect(span).not.toBeInstanceOf(sdkSpan.constructor);
      // What does hold: the ReadableSpan shape, on the span itself.
      const readable = span as unknown as ReadableSpan;
      expect(typeof readable.spanContext).toBe('function');
      expect(readable.instrumentationScope).toStrictEqual({ name: 't', version: undefined, schemaUrl: undefined });
    });
  });
});
