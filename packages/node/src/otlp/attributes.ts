import type { Attributes } from '@opentelemetry/api';
import type { ProtoWriter } from './writer.js';

/**
 * KeyValue and AnyValue (common.proto), typed as OTel's serializers type them:
 * integers as int_value, other numbers as double_value, Uint8Array as bytes,
 * arrays (mixed and nested too) as array_value and plain objects as
 * kvlist_value, null and undefined as an AnyValue with nothing set: all the
 * values the 3.x line keeps, as its serializer writes them. An integer beyond
 * 2^53 has no exact int64, so it goes as a double.
 */
export function writeAttributes(writer: ProtoWriter, field: number, attributes: Attributes | undefined): void {
  if (attributes === undefined) return;
  for (const key in attributes) {
    const value = attributes[key];
    if (typeof value === 'string' && writer.asciiKeyValue(field, key, value)) continue;
    writeKeyValue(writer, field, key, value);
  }
}

/** As writeAttributes, from our provider's flat [key, value, ...] form (span.ts). */
export function writeFlatAttributes(writer: ProtoWriter, field: number, flat: readonly unknown[]): void {
  for (let i = 0; i < flat.length; i += 2) {
    const key = flat[i] as string;
    const value = flat[i + 1];
    if (typeof value === 'string' && writer.asciiKeyValue(field, key, value)) continue;
    writeKeyValue(writer, field, key, value);
  }
}

function writeKeyValue(writer: ProtoWriter, field: number, key: string, value: unknown): void {
  const keyValue = writer.begin(field);
  writer.string(1, key);
  writeAnyValue(writer, 2, value);
  writer.end(keyValue);
}

function writeAnyValue(writer: ProtoWriter, field: number, value: unknown): void {
  const anyValue = writer.begin(field);
  switch (typeof value) {
    case 'string':
      writer.string(1, value);
      break;
    case 'boolean':
      writer.bool(2, value);
      break;
    case 'number':
      if (Number.isSafeInteger(value)) writer.int64(3, value);
      else writer.double(4, value);
      break;
    case 'object':
      if (value === null) break;
      if (value instanceof Uint8Array) {
        writer.bytes(7, value);
      } else if (Array.isArray(value)) {
        const array = writer.begin(5);
        for (const item of value) writeAnyValue(writer, 1, item);
        writer.end(array);
      } else {
        const list = writer.begin(6);
        const object = value as Record<string, unknown>;
        for (const key of Object.keys(object)) writeKeyValue(writer, 1, key, object[key]);
        writer.end(list);
      }
      break;
  }
  writer.end(anyValue);
}
