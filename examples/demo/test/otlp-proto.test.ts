// The demo's protobuf decoder against OTel's own serializers: the same spans,
// encoded by OTel as protobuf and decoded by us, equal OTel's JSON encoding.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

type ProtoModule = typeof import('../src/otlp-proto.mjs', { with: { 'resolution-mode': 'import' }});

function finishedSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'svc', 'host.cores': 2 }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('@tracewire/test', '1.2.3');
  const parent = tracer.startSpan('GET /users/:id', {
    kind: SpanKind.SERVER,
    attributes: {
      s: 'é ✓',
      i: 42,
      neg: -7,
      big: 2 ** 40,
      d: 1.5,
      yes: true,
      no: false,
      list: ['a', 'b'],
      nums: [1, 2],
    },
  });
  parent.addEvent('note', { n: 1 });
  parent.recordException(new TypeError('boom'));
  parent.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  const child = tracer.startSpan('GET /messages', {
    kind: SpanKind.CLIENT,
    links: [{ context: parent.spanContext(), attributes: { why: 'test' } }],
  });
  child.end();
  parent.end();
  return exporter.getFinishedSpans();
}

/** JSON.parse of OTel's JSON, with what protobuf cannot tell apart from a default left out. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === 0 || field === '' || field === undefined || field === false) continue;
    if (Array.isArray(field) && field.length === 0) continue;
    // proto3 JSON writes an int64 as a number or a string; ours are strings.
    const int64 = key.endsWith('Nano') || key === 'intValue';
    out[key] = typeof field === 'number' && int64 ? String(field) : normalise(field);
  }
  return out;
}

test('decodes what OTel protobuf-encodes into what OTel JSON-encodes', async () => {
  const { otlpJsonFromProtobuf } = (await import('../src/otlp-proto.mjs')) as ProtoModule;
  const spans = finishedSpans();
  const protobuf = ProtobufTraceSerializer.serializeRequest(spans)!;
  const json = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString('utf8'));
  const decoded = otlpJsonFromProtobuf(protobuf);
  expect(normalise(decoded)).toEqual(normalise(json));
  // It is a real comparison: both spans, their ids and attributes are there.
  const decodedSpans = decoded.resourceSpans![0]!.scopeSpans![0]!.spans!;
  expect(decodedSpans.map((span) => span.name).sort()).toEqual(['GET /messages', 'GET /users/:id']);
  expect(decodedSpans[0]!.traceId).toMatch(/^[0-9a-f]{32}$/);
});

test('a truncated message is an error, not a partial request', async () => {
  const { otlpJsonFromProtobuf } = (await import('../src/otlp-proto.mjs')) as ProtoModule;
  const protobuf = ProtobufTraceSerializer.serializeRequest(finishedSpans())!;
  expect(() => otlpJsonFromProtobuf(protobuf.subarray(0, protobuf.length - 3))).toThrow(/truncated/);
});
