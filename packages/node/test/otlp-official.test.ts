// Proves test/support/otlp-official.ts: OpenTelemetry JS's own protobuf bytes,
// decoded with the official OTLP schema, say field for field what its JSON
// serializer says for the same spans; and bytes the schema does not allow are
// refused. Our own OTLP encoder is then checked against the same decoder
// (otlp-encode.test.ts), and here on the values only the 3.x line keeps.
import { type Attributes, createTraceState, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { BUILDS, load } from '../../../test/support/builds';
import { decodeOfficial, type Json, normalizeOfficial, otlpDecodeBin } from '../../../test/support/otlp-official';

type Node = typeof import('@tracewire/node');

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_SPAN_ID = 'b7ad6b7169203331';
const LINKED_TRACE_ID = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
const LINKED_SPAN_ID = '00f067aa0ba902b7';
const T0 = 1_700_000_000;

// Every attribute type OTLP has: scalars (with their zero values, which a
// oneof keeps) and homogeneous arrays of each.
const EVERY_TYPE: Attributes = {
  'a.string': 'hello',
  'a.empty': '',
  'a.int': 503,
  'a.zero': 0,
  'a.negative': -7,
  'a.max_safe': Number.MAX_SAFE_INTEGER,
  'a.double': 1.5,
  'a.bool': true,
  'a.false': false,
  'a.strings': ['x', 'y'],
  'a.ints': [1, -2, 3],
  'a.doubles': [0.25, -1.5],
  'a.bools': [true, false],
};

async function makeSpans(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes(
      { 'service.name': 'otlp-official', 'process.pid': 4242, 'host.ratio': 0.75, 'host.up': true, 'host.tags': ['a'] },
      { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' },
    ),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const first = provider.getTracer('tracewire.test.first', '1.2.3', {
    schemaUrl: 'https://opentelemetry.io/schemas/1.28.0',
  });
  const second = provider.getTracer('tracewire.test.second', '0.0.1', {
    schemaUrl: 'https://opentelemetry.io/schemas/1.29.0',
  });
  const remote = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE_ID,
    spanId: PARENT_SPAN_ID,
    traceFlags: 1,
    isRemote: true,
    traceState: createTraceState('vendor=value,other=x'),
  });

  const server = first.startSpan(
    'GET /orders',
    {
      kind: SpanKind.SERVER,
      attributes: EVERY_TYPE,
      startTime: [T0, 123_456_789],
      links: [
        {
          context: {
            traceId: LINKED_TRACE_ID,
            spanId: LINKED_SPAN_ID,
            traceFlags: 0,
            isRemote: true,
            traceState: createTraceState('linked=1'),
          },
          attributes: { 'link.reason': 'retry', 'link.attempt': 2 },
        },
      ],
    },
    remote,
  );
  server.addEvent('exception', { 'exception.message': 'boom', 'exception.escaped': false }, [T0, 500_000_000]);
  server.addEvent('bare', [T0, 600_000_000]);
  const client = first.startSpan(
    'SELECT orders',
    { kind: SpanKind.CLIENT, startTime: [T0, 200_000_000], attributes: { 'db.rows': 12 } },
    trace.setSpan(ROOT_CONTEXT, server),
  );
  client.setStatus({ code: SpanStatusCode.OK });
  client.end([T0, 300_000_000]);
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream failed' });
  server.end([T0 + 1, 5]);
  const other = second.startSpan('tick', { kind: SpanKind.INTERNAL, startTime: [T0 + 2, 0] }, ROOT_CONTEXT);
  other.end([T0 + 2, 1]);
  const producer = second.startSpan('publish', { kind: SpanKind.PRODUCER, startTime: [T0 + 3, 0] }, ROOT_CONTEXT);
  producer.end([T0 + 3, 999_999_999]);

  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

// OTel's JSON form -> the normalized protojson form: the JSON serializer
// writes enums as numbers, int64 attribute values as numbers, and proto3
// defaults (0, '', []) that protojson leaves out. It also writes the
// resource's schemaUrl inside `resource`, where the schema has no such field
// (the protobuf serializer, rightly, writes only ResourceSpans.schemaUrl).
const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_CODES = ['UNSET', 'OK', 'ERROR'];
const TIME_FIELDS = new Set(['startTimeUnixNano', 'endTimeUnixNano', 'timeUnixNano']);
// AnyValue's oneof: a member set to its zero value is still written.
const ONEOF_FIELDS = new Set(['stringValue', 'boolValue', 'intValue', 'doubleValue', 'bytesValue']);

function fromOtelJson(value: Json, key = ''): Json | undefined {
  if (Array.isArray(value)) {
    return value.length === 0 ? undefined : value.map((item) => fromOtelJson(item) ?? null);
  }
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [name, field] of Object.entries(value)) {
      if (key === 'resource' && name === 'schemaUrl') continue;
      const mapped = fromOtelJson(field, name);
      if (mapped !== undefined) out[name] = mapped;
    }
    return out;
  }
  if (ONEOF_FIELDS.has(key)) return key === 'intValue' ? String(value) : value;
  if (value === 0 || value === '' || value === false || value === null) return undefined;
  if (key === 'kind') return `SPAN_KIND_${SPAN_KINDS[value as number]}`;
  if (key === 'code') return `STATUS_CODE_${STATUS_CODES[value as number]}`;
  if (TIME_FIELDS.has(key)) return String(value);
  return value;
}

/** Every leaf (scalar or empty object) by its path, so that a mismatch names the field. */
function leaves(value: Json, path = '$', out: Record<string, Json> = {}): Record<string, Json> {
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) out[path] = value;
    for (const [key, field] of entries) leaves(field, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`, out);
  } else {
    out[path] = value;
  }
  return out;
}

type Official = {
  resourceSpans: {
    resource: { attributes: { key: string; value: Json }[] };
    schemaUrl: string;
    scopeSpans: { scope: { name: string; version: string }; schemaUrl: string; spans: { [key: string]: Json }[] }[];
  }[];
};

describe('decodeOfficial (the official OTLP schema, via tools/otlp-decode)', () => {
  let spans: ReadableSpan[];
  let protobuf: Uint8Array;

  beforeAll(async () => {
    otlpDecodeBin(); // the first build on a machine takes a while
    spans = await makeSpans();
    protobuf = ProtobufTraceSerializer.serializeRequest(spans)!;
  }, 300_000);

  it("decodes OTel JS's protobuf to what OTel JS's JSON serializer says, field for field", () => {
    const official = normalizeOfficial(decodeOfficial(protobuf));
    const otelJson = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans))) as Json;
    const expected = fromOtelJson(otelJson)!;
    expect(leaves(official)).toEqual(leaves(expected));
    // The comparison above holds for two empty requests too: pin what must be there.
    expect(Object.keys(leaves(official)).length).toBeGreaterThan(100);
  });

  it('gives ids in hex, 64-bit numbers as decimal strings and enums by name', () => {
    const official = normalizeOfficial(decodeOfficial(protobuf)) as Official;
    expect(official.resourceSpans).toHaveLength(1);
    const [resourceSpans] = official.resourceSpans;
    expect(resourceSpans!.schemaUrl).toBe('https://opentelemetry.io/schemas/1.30.0');
    expect(resourceSpans!.resource.attributes).toContainEqual({ key: 'process.pid', value: { intValue: '4242' } });
    const scopes = resourceSpans!.scopeSpans;
    expect(scopes.map((s) => [s.scope, s.schemaUrl, s.spans.map((span) => span.name)])).toEqual([
      [
        { name: 'tracewire.test.first', version: '1.2.3' },
        'https://opentelemetry.io/schemas/1.28.0',
        ['SELECT orders', 'GET /orders'],
      ],
      [
        { name: 'tracewire.test.second', version: '0.0.1' },
        'https://opentelemetry.io/schemas/1.29.0',
        ['tick', 'publish'],
      ],
    ]);
    const server = scopes[0]!.spans[1]!;
    expect(server).toMatchObject({
      traceId: TRACE_ID,
      parentSpanId: PARENT_SPAN_ID,
      traceState: 'vendor=value,other=x',
      kind: 'SPAN_KIND_SERVER',
      startTimeUnixNano: '1700000000123456789',
      endTimeUnixNano: '1700000001000000005',
      status: { code: 'STATUS_CODE_ERROR', message: 'upstream failed' },
      // sampled, with HAS_IS_REMOTE and IS_REMOTE (the parent was remote)
      flags: 0x301,
      links: [
        {
          traceId: LINKED_TRACE_ID,
          spanId: LINKED_SPAN_ID,
          traceState: 'linked=1',
          attributes: [
            { key: 'link.reason', value: { stringValue: 'retry' } },
            { key: 'link.attempt', value: { intValue: '2' } },
          ],
          flags: 0x300,
        },
      ],
      events: [
        {
          name: 'exception',
          timeUnixNano: '1700000000500000000',
          attributes: [
            { key: 'exception.message', value: { stringValue: 'boom' } },
            { key: 'exception.escaped', value: { boolValue: false } },
          ],
        },
        { name: 'bare', timeUnixNano: '1700000000600000000' },
      ],
    });
    expect(server.attributes).toEqual([
      { key: 'a.string', value: { stringValue: 'hello' } },
      { key: 'a.empty', value: { stringValue: '' } },
      { key: 'a.int', value: { intValue: '503' } },
      { key: 'a.zero', value: { intValue: '0' } },
      { key: 'a.negative', value: { intValue: '-7' } },
      { key: 'a.max_safe', value: { intValue: '9007199254740991' } },
      { key: 'a.double', value: { doubleValue: 1.5 } },
      { key: 'a.bool', value: { boolValue: true } },
      { key: 'a.false', value: { boolValue: false } },
      { key: 'a.strings', value: { arrayValue: { values: [{ stringValue: 'x' }, { stringValue: 'y' }] } } },
      { key: 'a.ints', value: { arrayValue: { values: [{ intValue: '1' }, { intValue: '-2' }, { intValue: '3' }] } } },
      { key: 'a.doubles', value: { arrayValue: { values: [{ doubleValue: 0.25 }, { doubleValue: -1.5 }] } } },
      { key: 'a.bools', value: { arrayValue: { values: [{ boolValue: true }, { boolValue: false }] } } },
    ]);
    const client = scopes[0]!.spans[0]!;
    expect(client).toMatchObject({ kind: 'SPAN_KIND_CLIENT', parentSpanId: server.spanId, traceId: TRACE_ID });
    expect(client.status).toEqual({ code: 'STATUS_CODE_OK' });
    expect(scopes[1]!.spans.map((span) => span.kind)).toEqual(['SPAN_KIND_INTERNAL', 'SPAN_KIND_PRODUCER']);
    expect(scopes[1]!.spans[0]).not.toHaveProperty('parentSpanId');
  });

  it('refuses a field number the schema does not have', () => {
    // Field 15, wire type 2 (length-delimited), empty: well-formed protobuf, unknown to OTLP.
    const unknown = new Uint8Array([...protobuf, 0x7a, 0x00]);
    expect(() => decodeOfficial(unknown)).toThrow(/field number 15 .*not in the official schema/);
  });

  it('refuses truncated bytes', () => {
    expect(() => decodeOfficial(protobuf.subarray(0, protobuf.length - 3))).toThrow(
      /not a valid ExportTraceServiceRequest/,
    );
  });
});

// The attribute values only the 3.x SDK keeps (any OTLP AnyValue), and with
// them our provider on 3.x: our encoder and OTel's 3.x serializer must agree.
const SDK_LINE = Number(String(defaultResource().attributes['telemetry.sdk.version']).split('.')[0]);
const ANY_VALUES = {
  'v.map': { s: 'x', n: 1, d: 0.5, b: false, inner: { list: ['a', 2] }, none: null },
  'v.empty_map': {},
  'v.mixed': [1, 'a', true, 0.25],
  'v.nested': [[1, 2], ['x'], [], { k: 'v' }],
  'v.empty_list': [],
  'v.holes': [null, 1, undefined],
  'v.bytes': new Uint8Array([0, 1, 254, 255]),
  'v.buffer': Buffer.from('hi'),
  'v.empty_bytes': new Uint8Array(0),
  'v.null': null,
} as unknown as Attributes;

function anyValueSpans(
  make: (config: ConstructorParameters<typeof TracerProvider>[0]) => {
    getTracer(name: string): ReturnType<TracerProvider['getTracer']>;
  },
): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = make({
    resource: resourceFromAttributes({ 'service.name': 'any-value' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const link = { traceId: LINKED_TRACE_ID, spanId: LINKED_SPAN_ID, traceFlags: 1 };
  const span = provider.getTracer('any').startSpan('values', {
    attributes: ANY_VALUES,
    links: [{ context: link, attributes: { 'l.map': { why: 'retry' }, 'l.null': null } as unknown as Attributes }],
    startTime: [T0, 0],
  });
  span.addEvent('event', { 'e.list': ['a', null] }, [T0, 1]);
  span.end([T0, 2]);
  const spans = exporter.getFinishedSpans();
  // What only a processor could set: an undefined value, which OTel writes as an empty AnyValue.
  for (const ended of spans) (ended.attributes as Record<string, unknown>)['v.undefined'] = undefined;
  return spans;
}

(SDK_LINE === 3 ? describe.each(BUILDS) : describe.skip.each(BUILDS))(
  "our encoder and OTel's 3.x serializer on AnyValue attributes (%s build)",
  (build) => {
    let node: Node;
    beforeAll(async () => {
      otlpDecodeBin();
      node = await load<Node>('@tracewire/node', build);
    }, 300_000);

    it.each(['OTel SDK', 'tracewire'])('decode to the same request, for spans of the %s provider', (which) => {
      const spans = anyValueSpans((config) =>
        which === 'tracewire' ? new node.TracewireTracerProvider(config) : new TracerProvider(config),
      );
      const ours = normalizeOfficial(decodeOfficial(node.encodeTraceRequest(spans))) as Official;
      const otel = normalizeOfficial(decodeOfficial(ProtobufTraceSerializer.serializeRequest(spans)!)) as Official;
      expect(ours).toEqual(otel);
      // Not two empty or equally wrong answers: what the schema says for each kind of value.
      const span = ours.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
      const str = (value: string) => ({ stringValue: value });
      const int = (value: number) => ({ intValue: String(value) });
      expect(span.attributes).toEqual([
        {
          key: 'v.map',
          value: {
            kvlistValue: {
              values: [
                { key: 's', value: str('x') },
                { key: 'n', value: int(1) },
                { key: 'd', value: { doubleValue: 0.5 } },
                { key: 'b', value: { boolValue: false } },
                {
                  key: 'inner',
                  value: {
                    kvlistValue: { values: [{ key: 'list', value: { arrayValue: { values: [str('a'), int(2)] } } }] },
                  },
                },
                { key: 'none', value: {} },
              ],
            },
          },
        },
        { key: 'v.empty_map', value: { kvlistValue: {} } },
        {
          key: 'v.mixed',
          value: { arrayValue: { values: [int(1), str('a'), { boolValue: true }, { doubleValue: 0.25 }] } },
        },
        {
          key: 'v.nested',
          value: {
            arrayValue: {
              values: [
                { arrayValue: { values: [int(1), int(2)] } },
                { arrayValue: { values: [str('x')] } },
                { arrayValue: {} },
                { kvlistValue: { values: [{ key: 'k', value: str('v') }] } },
              ],
            },
          },
        },
        { key: 'v.empty_list', value: { arrayValue: {} } },
        { key: 'v.holes', value: { arrayValue: { values: [{}, int(1), {}] } } },
        { key: 'v.bytes', value: { bytesValue: 'AAH+/w==' } },
        { key: 'v.buffer', value: { bytesValue: 'aGk=' } },
        { key: 'v.empty_bytes', value: { bytesValue: '' } },
        { key: 'v.null', value: {} },
        { key: 'v.undefined', value: {} },
      ]);
      expect(span.links).toEqual([
        expect.objectContaining({
          attributes: [
            { key: 'l.map', value: { kvlistValue: { values: [{ key: 'why', value: str('retry') }] } } },
            { key: 'l.null', value: {} },
          ],
        }),
      ]);
      expect(span.events).toEqual([
        expect.objectContaining({ attributes: [{ key: 'e.list', value: { arrayValue: { values: [str('a'), {}] } } }] }),
      ]);
    });
  },
);
