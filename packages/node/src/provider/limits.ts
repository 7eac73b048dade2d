import { type AttributeValue, diag } from '@opentelemetry/api';
import type { SpanLimits } from '@opentelemetry/sdk-trace';

export type Limits = Required<SpanLimits>;

/** The SDK's defaults; `OTEL_*` limit variables are read by the options (sdk-env.ts). */
export function limitsOf(limits: SpanLimits = {}): Limits {
  const defined = Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
  return {
    attributeValueLengthLimit: Number.POSITIVE_INFINITY,
    attributeCountLimit: 128,
    linkCountLimit: 128,
    eventCountLimit: 128,
    attributePerEventCountLimit: 128,
    attributePerLinkCountLimit: 128,
    ...defined,
  };
}

function isPrimitive(value: unknown): boolean {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean';
}

/** An attribute value by the API's rules: a primitive, or an array of one primitive type (nulls allowed). */
export function isAttributeValue(value: unknown): value is AttributeValue {
  if (!Array.isArray(value)) return isPrimitive(value);
  let type: string | undefined;
  for (const item of value) {
    if (item == null) continue;
    if (type === undefined) {
      if (!isPrimitive(item)) return false;
      type = typeof item;
    } else if (typeof item !== type) {
      return false;
    }
  }
  return true;
}

/**
 * Strings, and strings in arrays, cut to the length limit, as the SDK does.
 * Arrays are always copied (the SDK copies them too), so that the caller
 * changing its array later does not change the span.
 */
export function truncate(value: AttributeValue, limit: number): AttributeValue {
  if (limit <= 0) {
    diag.warn(`Attribute value limit must be positive, got ${limit}`);
    return Array.isArray(value) ? value.slice() : value;
  }
  if (typeof value === 'string') return value.length <= limit ? value : value.substring(0, limit);
  if (Array.isArray(value)) {
    return (value as unknown[]).map((item) =>
      typeof item === 'string' && item.length > limit ? item.substring(0, limit) : item,
    ) as AttributeValue;
  }
  return value;
}
