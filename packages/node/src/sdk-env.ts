import type { BatchSpanProcessorOptions, SpanLimits } from '@opentelemetry/sdk-trace';
import { type Env, fail, nonEmpty } from './env.js';

type BatchSettings = Pick<
  BatchSpanProcessorOptions,
  'maxExportBatchSize' | 'maxQueueSize' | 'scheduledDelayMillis' | 'exportTimeoutMillis'
>;

/**
 * The batch processor and span limit variables of the SDK spec. The merged
 * `@opentelemetry/sdk-trace` package (2.12 and 3.x) no longer reads them, as
 * sdk-trace-base did; unset ones keep the SDK's defaults.
 */
const BATCH: [keyof BatchSettings, string][] = [
  ['maxExportBatchSize', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'],
  ['maxQueueSize', 'OTEL_BSP_MAX_QUEUE_SIZE'],
  ['scheduledDelayMillis', 'OTEL_BSP_SCHEDULE_DELAY'],
  ['exportTimeoutMillis', 'OTEL_BSP_EXPORT_TIMEOUT'],
];

/** Per limit, its variables, the span-specific one first (it wins over the general one). */
const LIMITS: [keyof SpanLimits, ...string[]][] = [
  ['attributeValueLengthLimit', 'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'],
  ['attributeCountLimit', 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'],
  ['linkCountLimit', 'OTEL_SPAN_LINK_COUNT_LIMIT'],
  ['eventCountLimit', 'OTEL_SPAN_EVENT_COUNT_LIMIT'],
  ['attributePerEventCountLimit', 'OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT'],
  ['attributePerLinkCountLimit', 'OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT'],
];

/** A whole number >= `min`, or undefined when unset; anything else fails naming the variable. */
function integerOf(env: Env, variable: string, min: number): number | undefined {
  const value = nonEmpty(env[variable]);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    fail(`${variable} is "${env[variable]}", which is not a whole number of at least ${min}`);
  }
  return number;
}

export function resolveBatchSettings(env: Env): BatchSettings {
  const settings: BatchSettings = {};
  for (const [key, variable] of BATCH) {
    const value = integerOf(env, variable, key === 'scheduledDelayMillis' ? 0 : 1);
    if (value !== undefined) settings[key] = value;
  }
  return settings;
}

export function resolveSpanLimits(env: Env): SpanLimits {
  const limits: SpanLimits = {};
  for (const [key, ...variables] of LIMITS) {
    for (const variable of variables) {
      const value = integerOf(env, variable, 0);
      if (value === undefined) continue;
      limits[key] = value;
      break;
    }
  }
  return limits;
}
