import { type Attributes, diag } from '@opentelemetry/api';
import { isAttributeValue } from './limits.js';

/**
 * The attribute rules of the OpenTelemetry JS SDK 3.x line (limits.ts has the
 * 2.x ones). An attribute value is any OTLP AnyValue: a primitive, null,
 * bytes, an array of any of these (mixed and nested too), or a plain object
 * of them. Events still take only the 2.x "simple" values.
 */

export type ValueRule = (value: unknown) => boolean;

/** What events take on 3.x, as on 2.x: a primitive, or an array of one primitive type (nullish items allowed). */
export const isSimpleValue: ValueRule = isAttributeValue;

/** An AnyValue: not undefined, bigint, symbol or a function; no class instances but bytes; no cycles. */
export const isAnyValue: ValueRule = (value) => anyValueWithin(value, undefined);

function anyValueWithin(value: unknown, ancestors: Set<object> | undefined): boolean {
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return true;
  if (type !== 'object') return false;
  if (value === null || value instanceof Uint8Array) return true;
  const object = value as Record<string, unknown>;
  // A value inside itself has no OTLP form; the same object twice side by side is fine.
  if (ancestors?.has(object)) return false;
  if (!Array.isArray(object) && object.constructor !== Object && object.constructor !== undefined) return false;
  const inside = ancestors ?? new Set<object>();
  inside.add(object);
  let valid = true;
  for (const item of Array.isArray(object) ? object : Object.values(object)) {
    // undefined is left out (of objects) or kept as an empty value (in arrays), not refused.
    if (item !== undefined && !anyValueWithin(item, inside)) {
      valid = false;
      break;
    }
  }
  inside.delete(object);
  return valid;
}

/** The length limit to apply: one that is not positive is ignored, with the 3.x SDK's warning, each time it is met. */
export function lengthLimitOf(limit: number): number {
  if (limit > 0) return limit;
  diag.warn(`Invalid attributeValueLengthLimit: must be positive, got ${limit} (ignoring)`);
  return Number.POSITIVE_INFINITY;
}

/**
 * A copy that the caller's later changes do not reach: strings and bytes,
 * at any depth, cut to `limit`; undefined properties of objects left out.
 * Bytes within the limit are kept as the same object, as the SDK keeps them.
 */
export function copyWithin(value: unknown, limit: number): unknown {
  if (typeof value === 'string') return value.length <= limit ? value : value.substring(0, limit);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Uint8Array) return value.length <= limit ? value : value.slice(0, limit);
  if (Array.isArray(value)) return value.map((item) => copyWithin(item, limit));
  const copy: Record<string, unknown> = {};
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (object[key] !== undefined) copy[key] = copyWithin(object[key], limit);
  }
  return copy;
}

export interface Cleaned {
  attributes: Attributes;
  droppedAttributesCount: number;
}

/**
 * A set of attributes as the 3.x SDK keeps it for a span's start, a link or
 * an event: undefined values left out silently; past the count limit, an
 * empty key or an invalid value dropped and counted (the last two with a
 * warning). Undefined when `input` is not an object: the SDK then gives the
 * link or event neither `attributes` nor `droppedAttributesCount`.
 */
export function cleanAttributes(
  input: unknown,
  countLimit: number,
  lengthLimit: number,
  valid: ValueRule,
): Cleaned | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const limit = lengthLimitOf(lengthLimit);
  const attributes: Record<string, unknown> = {};
  let count = 0;
  let dropped = 0;
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (count >= countLimit) {
      dropped++;
    } else if (key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      dropped++;
    } else if (!valid(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      dropped++;
    } else {
      attributes[key] = copyWithin(value, limit);
      count++;
    }
  }
  return { attributes: attributes as Attributes, droppedAttributesCount: dropped };
}
