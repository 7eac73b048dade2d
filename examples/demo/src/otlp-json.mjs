// Turns an OTLP/JSON ExportTraceServiceRequest into flat span records that
// are easy to print and assert on. Ids are hex (OTLP/JSON), times are
// nanoseconds as strings or numbers.

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS = ['UNSET', 'OK', 'ERROR'];

/** An OTLP AnyValue as a plain JS value. */
export function anyValue(value) {
  if (value == null) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return Number(value.doubleValue);
  if ('arrayValue' in value) return (value.arrayValue.values ?? []).map(anyValue);
  if ('kvlistValue' in value) return attributes(value.kvlistValue.values);
  if ('bytesValue' in value) return value.bytesValue;
  return undefined;
}

/** OTLP key/value list as an object. */
export function attributes(list = []) {
  return Object.fromEntries(list.map(({ key, value }) => [key, anyValue(value)]));
}

/** OTLP/JSON allows a kind or status code as its number or its enum name. */
function enumName(names, value, prefix) {
  if (typeof value === 'string') return value.replace(prefix, '');
  return names[value ?? 0] ?? String(value);
}

/**
 * @returns {import('./otlp-json.d.mts').DemoSpan[]}
 */
export function spansFromOtlpJson(request) {
  const spans = [];
  for (const resourceSpans of request?.resourceSpans ?? []) {
    const resource = attributes(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      const scope = { name: scopeSpans.scope?.name ?? '', version: scopeSpans.scope?.version ?? '' };
      for (const span of scopeSpans.spans ?? []) {
        const startNs = BigInt(span.startTimeUnixNano ?? 0);
        const endNs = BigInt(span.endTimeUnixNano ?? 0);
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId || undefined,
          name: span.name,
          kind: enumName(KINDS, span.kind, 'SPAN_KIND_'),
          service: String(resource['service.name'] ?? 'unknown'),
          scope,
          resource,
          startNs,
          endNs,
          durationMs: Number(endNs - startNs) / 1e6,
          attributes: attributes(span.attributes),
          events: (span.events ?? []).map((event) => ({ name: event.name, attributes: attributes(event.attributes) })),
          status: {
            code: enumName(STATUS, span.status?.code, 'STATUS_CODE_'),
            message: span.status?.message ?? '',
          },
        });
      }
    }
  }
  return spans;
}
