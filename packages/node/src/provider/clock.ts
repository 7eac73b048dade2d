import type { HrTime, TimeInput } from '@opentelemetry/api';

/**
 * Times are kept as milliseconds since a whole second just before
 * performance.timeOrigin, in one double: monotonic (from performance.now()),
 * small enough to stay exact to the nanosecond for weeks, with no array per
 * timestamp. They become HrTime, in whole microseconds, only when an
 * exporter asks.
 */
const ANCHOR_SECONDS = Math.floor(performance.timeOrigin / 1000);
const ANCHOR_MILLIS = ANCHOR_SECONDS * 1000;
const OFFSET = performance.timeOrigin - ANCHOR_MILLIS;

export function now(): number {
  return OFFSET + performance.now();
}

/** The SDK's reading of a TimeInput: a number at most performance.now() is relative to timeOrigin, a larger one is epoch ms. */
export function fromTimeInput(time: TimeInput): number {
  if (typeof time === 'number') {
    if (time <= performance.now()) return OFFSET + time;
    if (time < Number.POSITIVE_INFINITY) return time - ANCHOR_MILLIS;
  } else if (time instanceof Date) {
    const millis = time.getTime();
    if (!Number.isNaN(millis)) return millis - ANCHOR_MILLIS;
  } else if (isHrTime(time)) {
    return (time[0] - ANCHOR_SECONDS) * 1000 + time[1] / 1e6;
  }
  // Not a time (NaN, an invalid Date, a string from untyped code): now, as the SDK does for what it cannot read.
  return now();
}

export function isHrTime(value: unknown): value is HrTime {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number';
}

export function isTimeInput(value: unknown): value is TimeInput {
  return typeof value === 'number' || value instanceof Date || isHrTime(value);
}

/**
 * To whole microseconds: finer than any backend shows, and what Zipkin's
 * integer microsecond timestamps need (Jaeger refuses a batch with a
 * fractional one, and OTel's Zipkin exporter does not round start times).
 */
export function toHrTime(time: number): HrTime {
  const seconds = Math.floor(time / 1000);
  const nanos = Math.round((time - seconds * 1000) * 1000) * 1000;
  // Rounding up to a whole second carries.
  return nanos === 1e9 ? [ANCHOR_SECONDS + seconds + 1, 0] : [ANCHOR_SECONDS + seconds, nanos];
}

/** end - start of two HrTimes, as the SDK computes a duration. */
export function hrDuration(start: HrTime, end: HrTime): HrTime {
  let seconds = end[0] - start[0];
  let nanos = end[1] - start[1];
  if (nanos < 0) {
    seconds -= 1;
    nanos += 1e9;
  }
  return [seconds, nanos];
}
