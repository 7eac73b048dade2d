import type { SpanContext } from '@opentelemetry/api';

// W3C Trace Context `traceparent`: version-traceId-parentId-flags, lowercase
// hex only. Version 00 is exactly these 55 characters; a later version may add
// fields after the flags, each behind a '-', that are ignored; version ff is
// invalid.

/** version-traceId-parentId-flags: 2 + 1 + 32 + 1 + 16 + 1 + 2. */
export const TRACEPARENT_LENGTH = 55;

const FIELDS = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
// Only SP and HTAB are optional white space in HTTP. JavaScript's trim() would
// also remove U+00A0 or U+FEFF, which make the header invalid.
const OWS = /^[ \t]+|[ \t]+$/g;
/** The flags this version defines (sampled, random trace id); W3C: others are sent as zero. */
const KNOWN_FLAGS = 0x03;

export type Traceparent = Pick<SpanContext, 'traceId' | 'spanId' | 'traceFlags'>;

/**
 * The parent a `traceparent` header names, or `undefined` when it is invalid.
 * A header repeated (several values) gives none: traceparent is no list, so
 * RFC 9110 does not let several be combined, and the W3C test suite expects a
 * new trace then.
 */
export function parseTraceparent(header: unknown): Traceparent | undefined {
  const raw = Array.isArray(header) && header.length === 1 ? header[0] : header;
  if (typeof raw !== 'string') return undefined;
  const value = raw.replace(OWS, '');
  if (value.length < TRACEPARENT_LENGTH) return undefined;
  const match = FIELDS.exec(value.length === TRACEPARENT_LENGTH ? value : value.slice(0, TRACEPARENT_LENGTH));
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  if (version === 'ff' || traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined;
  if (value.length > TRACEPARENT_LENGTH && (version === '00' || value[TRACEPARENT_LENGTH] !== '-')) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) };
}

/** A version 00 `traceparent` for a valid span context. */
export function formatTraceparent(span: Traceparent): string {
  return `00-${span.traceId}-${span.spanId}-0${(span.traceFlags & KNOWN_FLAGS).toString(16)}`;
}
