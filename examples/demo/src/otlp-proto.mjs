// Decodes an OTLP/HTTP protobuf ExportTraceServiceRequest into the shape of
// its OTLP/JSON form (hex ids, nanoseconds as strings, enums as numbers), so
// that one reader serves both encodings. Only the trace messages are known;
// unknown fields are skipped, as protobuf readers do. Field numbers are those
// of opentelemetry/proto/{collector/trace,trace,common,resource}/v1.

/** Reads the fields of one message: calls `onField(number, wireType, reader)` for each. */
function readMessage(bytes, onField) {
  const reader = { bytes, at: 0 };
  while (reader.at < bytes.length) {
    const key = Number(varint(reader));
    onField(key >>> 3, key & 7, reader);
  }
}

function varint(reader) {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (reader.at >= reader.bytes.length) throw new Error('OTLP protobuf: truncated varint');
    const byte = reader.bytes[reader.at++];
    result |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return result;
    shift += 7n;
  }
}

function take(reader, length) {
  if (reader.at + length > reader.bytes.length) throw new Error('OTLP protobuf: truncated field');
  const slice = reader.bytes.subarray(reader.at, reader.at + length);
  reader.at += length;
  return slice;
}

/** The value of one field by its wire type: a BigInt, or the bytes of a length-delimited or fixed field. */
function value(wireType, reader) {
  switch (wireType) {
    case 0:
      return varint(reader);
    case 1:
      return take(reader, 8);
    case 2:
      return take(reader, Number(varint(reader)));
    case 5:
      return take(reader, 4);
    default:
      throw new Error(`OTLP protobuf: wire type ${wireType} is not supported`);
  }
}

const text = (bytes) => Buffer.from(bytes).toString('utf8');
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const fixed64 = (bytes) => Buffer.from(bytes).readBigUInt64LE().toString();
const int64 = (big) => BigInt.asIntN(64, big).toString();

/**
 * A schema is { field number: [json name, decode, repeated?] }; decode gets
 * the raw value (BigInt or bytes).
 */
function decoder(schema) {
  const decode = (bytes) => {
    const out = {};
    readMessage(bytes, (number, wireType, reader) => {
      const raw = value(wireType, reader);
      const field = schema()[number];
      if (!field) return;
      const [name, convert, repeated] = field;
      if (!repeated) out[name] = convert(raw);
      else if (out[name]) out[name].push(convert(raw));
      else out[name] = [convert(raw)];
    });
    return out;
  };
  return decode;
}

const anyValue = decoder(() => ({
  1: ['stringValue', text],
  2: ['boolValue', (v) => v !== 0n],
  3: ['intValue', int64],
  4: ['doubleValue', (bytes) => Buffer.from(bytes).readDoubleLE()],
  5: ['arrayValue', arrayValue],
  6: ['kvlistValue', keyValueList],
  7: ['bytesValue', (bytes) => Buffer.from(bytes).toString('base64')],
}));
const keyValue = decoder(() => ({ 1: ['key', text], 2: ['value', anyValue] }));
const arrayValue = decoder(() => ({ 1: ['values', anyValue, true] }));
const keyValueList = decoder(() => ({ 1: ['values', keyValue, true] }));
const count = (v) => Number(v);
const resource = decoder(() => ({ 1: ['attributes', keyValue, true], 2: ['droppedAttributesCount', count] }));
const scope = decoder(() => ({
  1: ['name', text],
  2: ['version', text],
  3: ['attributes', keyValue, true],
  4: ['droppedAttributesCount', count],
}));
const event = decoder(() => ({
  1: ['timeUnixNano', fixed64],
  2: ['name', text],
  3: ['attributes', keyValue, true],
  4: ['droppedAttributesCount', count],
}));
const link = decoder(() => ({
  1: ['traceId', hex],
  2: ['spanId', hex],
  3: ['traceState', text],
  4: ['attributes', keyValue, true],
  5: ['droppedAttributesCount', count],
  6: ['flags', (bytes) => Buffer.from(bytes).readUInt32LE()],
}));
const status = decoder(() => ({ 2: ['message', text], 3: ['code', count] }));
const span = decoder(() => ({
  1: ['traceId', hex],
  2: ['spanId', hex],
  3: ['traceState', text],
  4: ['parentSpanId', hex],
  5: ['name', text],
  6: ['kind', count],
  7: ['startTimeUnixNano', fixed64],
  8: ['endTimeUnixNano', fixed64],
  9: ['attributes', keyValue, true],
  10: ['droppedAttributesCount', count],
  11: ['events', event, true],
  12: ['droppedEventsCount', count],
  13: ['links', link, true],
  14: ['droppedLinksCount', count],
  15: ['status', status],
  16: ['flags', (bytes) => Buffer.from(bytes).readUInt32LE()],
}));
const scopeSpans = decoder(() => ({ 1: ['scope', scope], 2: ['spans', span, true], 3: ['schemaUrl', text] }));
const resourceSpans = decoder(() => ({
  1: ['resource', resource],
  2: ['scopeSpans', scopeSpans, true],
  3: ['schemaUrl', text],
}));
const request = decoder(() => ({ 1: ['resourceSpans', resourceSpans, true] }));

/** @param {Uint8Array} bytes an ExportTraceServiceRequest @returns the OTLP/JSON object of the same request */
export function otlpJsonFromProtobuf(bytes) {
  return request(bytes);
}
