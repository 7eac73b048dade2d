// Our OTLP protobuf encoder against OpenTelemetry's own serializer: both
// outputs decoded with the official OTLP schema (test/support/otlp-official.ts)
// must say the same, for spans of the OTel SDK and of our provider.
import {
  type Attributes,
  context,
  createTraceState,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  TracerProvider as SdkTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace';
import { BUILDS, load } from '../../../test/support/builds';
import { decodeOfficial, normalizeOfficial, otlpDecodeBin } from '../../../test/support/otlp-official';

type Node = typeof import('@tracewire/node');

const SDK_LINE = Number(String(defaultResource().attributes['telemetry.sdk.version']).split('.')[0]);

const resource = resourceFromAttributes(
  { 'service.name': 'encode-test', 'process.pid': 4242, 'host.ratio': 0.75, 'host.tags': ['a', 'b'] },
  { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' },
);

const EVERY_TYPE: Attributes = {
  'a.string': 'hello',
  'a.empty': '',
  'a.unicode': 'grüße ✓ 日本 🎉',
  'a.int': 503,
  'a.zero': 0,
  'a.negative': -7,
  'a.min_safe': Number.MIN_SAFE_INTEGER,
  'a.max_safe': Number.MAX_SAFE_INTEGER,
  'a.double': 1.5,
  'a.negative_double': -0.001,
  'a.bool': true,
  'a.false': false,
  'a.strings': ['x', '', 'ü'],
  'a.ints': [1, -2, 3],
  'a.doubles': [0.25, -1.5],
  'a.bools': [true, false],
  'a.with_null': ['x', null, 'y'],
  'a.long': 'x'.repeat(300),
  // A length that needs a three-byte varint, in a span that needs one too.
  'a.huge': 'é'.repeat(20_000),
};

/** Spans of every shape: kinds, parents local and remote, events, links, statuses, two scopes. */
function makeSpans(provider: TracerProvider): void {
  const first = provider.getTracer('scope.first', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.28.0' });
  const second = provider.getTracer('scope.second');
  const remote = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: 1,
    isRemote: true,
    traceState: createTraceState('vendor=value,other=1'),
  });
  const server = first.startSpan('GET /users/:id', { kind: SpanKind.SERVER, attributes: EVERY_TYPE }, remote);
  server.addEvent('started', { 'e.count': 2, 'e.tags': ['q'] });
  server.addEvent('bare');
  server.recordException(new TypeError('bad input'));
  server.addLink({
    context: { traceId: 'f0e1d2c3b4a5968778695a4b3c2d1e0f', spanId: '00f067aa0ba902b7', traceFlags: 0 },
    attributes: { 'l.reason': 'retry' },
  });
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
  const local = trace.setSpan(context.active(), server);
  for (const kind of [SpanKind.INTERNAL, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER]) {
    const child = second.startSpan(`child ${kind}`, { kind }, local);
    child.setStatus({ code: SpanStatusCode.OK });
    child.end();
  }
  server.end();
  // Enough small spans that the scope and resource messages need long lengths.
  for (let i = 0; i < 600; i++) {
    first.startSpan('many', { attributes: { i, 'http.route': '/users/:id' } }).end();
  }
}

function spansOf(node: Node | undefined): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const config = { resource, spanProcessors: [new SimpleSpanProcessor({ exporter })] };
  makeSpans(node === undefined ? new SdkTracerProvider(config) : new node.TracewireTracerProvider(config));
  return exporter.getFinishedSpans();
}

const official = (bytes: Uint8Array) => normalizeOfficial(decodeOfficial(bytes));

beforeAll(() => otlpDecodeBin(), 120_000);

describe.each(BUILDS)('encodeTraceRequest (%s build)', (build) => {
  let node: Node;
  beforeAll(async () => {
    node = await load<Node>('@tracewire/node', build);
  });

  it.each(['OTel SDK', 'tracewire'])('says what OTel’s serializer says, for spans of the %s provider', (which) => {
    const spans = spansOf(which === 'tracewire' ? node : undefined);
    expect(spans.length).toBe(605);
    const ours = official(node.encodeTraceRequest(spans));
    expect(ours).toEqual(official(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array));
    // Not two empty answers: the attributes arrived, the huge one whole.
    const text = JSON.stringify(ours);
    expect(text).toContain('"a.huge"');
    expect(text).toContain('é'.repeat(20_000));
    expect(text).toContain('SPAN_KIND_CONSUMER');
  });

  it('writes our spans the same from their flat attributes as after something read them', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new node.TracewireTracerProvider({
      spanLimits: { attributeCountLimit: 4 },
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    });
    const span = provider.getTracer('t').startSpan('flat', { attributes: { first: 'a', second: 2 } });
    span.setAttribute('first', 'changed');
    span.setAttributes({ third: true, fourth: ['x', 'y'], fifth: 'over the limit' });
    span.end();
    const spans = exporter.getFinishedSpans();
    // Nothing read them yet: on the 2.x line the encoder takes the flat form;
    // the 3.x span starts from the object its cleaned start attributes make.
    const flatForm = (spans[0] as unknown as { flatAttributes(): unknown }).flatAttributes();
    if (SDK_LINE === 2) expect(flatForm).toBeDefined();
    else expect(flatForm).toBeUndefined();
    const flat = node.encodeTraceRequest(spans);
    expect(spans[0]?.attributes).toEqual({ first: 'changed', second: 2, third: true, fourth: ['x', 'y'] });
    expect(spans[0]?.droppedAttributesCount).toBe(1);
    expect((spans[0] as unknown as { flatAttributes(): unknown }).flatAttributes()).toBeUndefined();
    expect(Buffer.from(node.encodeTraceRequest(spans))).toEqual(Buffer.from(flat));
  });

  it('encodes an empty batch as an empty request', () => {
    expect(node.encodeTraceRequest([]).length).toBe(0);
  });

  it('sends an integer beyond 2^53 as a double, which is what the number holds', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new SdkTracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    provider
      .getTracer('t')
      .startSpan('big', { attributes: { big: 2 ** 60 } })
      .end();
    const text = JSON.stringify(official(node.encodeTraceRequest(exporter.getFinishedSpans())));
    expect(text).toContain('"doubleValue":1152921504606847000');
  });

  it('is reusable after a batch it could not encode', () => {
    const [span] = spansOf(undefined);
    const broken = { ...span, spanContext: () => ({}) } as unknown as ReadableSpan;
    expect(() => node.encodeTraceRequest([broken])).toThrow();
    const spans = spansOf(undefined);
    expect(official(node.encodeTraceRequest(spans))).toEqual(
      official(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array),
    );
  });
});
