import type { HrTime, Link, SpanContext } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { RecordingSpan } from '../provider/span.js';
import { writeAttributes, writeFlatAttributes } from './attributes.js';
import { ProtoWriter } from './writer.js';

type Scope = ReadableSpan['instrumentationScope'];

// OTLP span flags: the low byte is the W3C trace flags; these two say whether the parent was remote.
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/** One writer per process: encoding is synchronous, and finish() copies the bytes out. */
const writer = new ProtoWriter();

/**
 * An OTLP `ExportTraceServiceRequest` (trace_service.proto) in protobuf,
 * straight from the spans: no intermediate objects. Spans are grouped by
 * resource and instrumentation scope, as OTel's serializers group them.
 */
export function encodeTraceRequest(spans: readonly ReadableSpan[]): Uint8Array {
  try {
    writeRequest(spans);
  } catch (error) {
    writer.pos = 0;
    throw error;
  }
  return writer.finish();
}

function writeRequest(spans: readonly ReadableSpan[]): void {
  for (const [resource, scopes] of group(spans)) {
    const resourceSpans = writer.begin(1);
    const resourceMessage = writer.begin(1);
    writeAttributes(writer, 1, resource.attributes);
    writer.end(resourceMessage);
    for (const scopeSpans of scopes.values()) writeScopeSpans(scopeSpans);
    if (resource.schemaUrl) writer.string(3, resource.schemaUrl);
    writer.end(resourceSpans);
  }
}

function group(spans: readonly ReadableSpan[]): Map<Resource, Map<string, ReadableSpan[]>> {
  // By object first (a tracer's spans share one scope object), then by what the scope says.
  const byObject = new Map<Resource, Map<Scope, ReadableSpan[]>>();
  for (const span of spans) {
    let scopes = byObject.get(span.resource);
    if (scopes === undefined) {
      scopes = new Map();
      byObject.set(span.resource, scopes);
    }
    const list = scopes.get(span.instrumentationScope);
    if (list === undefined) scopes.set(span.instrumentationScope, [span]);
    else list.push(span);
  }
  const resources = new Map<Resource, Map<string, ReadableSpan[]>>();
  for (const [resource, scopes] of byObject) {
    const byKey = new Map<string, ReadableSpan[]>();
    for (const [scope, list] of scopes) {
      const key = `${scope.name}@${scope.version ?? ''}:${scope.schemaUrl ?? ''}`;
      const same = byKey.get(key);
      if (same === undefined) byKey.set(key, list);
      else same.push(...list);
    }
    resources.set(resource, byKey);
  }
  return resources;
}

function writeScopeSpans(spans: ReadableSpan[]): void {
  const scope = (spans[0] as ReadableSpan).instrumentationScope;
  const scopeSpans = writer.begin(2);
  writeScope(scope);
  for (const span of spans) writeSpan(span);
  if (scope.schemaUrl) writer.string(3, scope.schemaUrl);
  writer.end(scopeSpans);
}

function writeScope(scope: Scope & { attributes?: ReadableSpan['attributes']; droppedAttributesCount?: number }): void {
  const message = writer.begin(1);
  writer.string(1, scope.name);
  if (scope.version) writer.string(2, scope.version);
  writeAttributes(writer, 3, scope.attributes);
  if (scope.droppedAttributesCount) writer.uint(4, scope.droppedAttributesCount);
  writer.end(message);
}

function writeSpan(span: ReadableSpan): void {
  const context = span.spanContext();
  const parent = span.parentSpanContext;
  const message = writer.begin(2);
  writer.hexBytes(1, context.traceId);
  writer.hexBytes(2, context.spanId);
  writeTraceState(3, context);
  if (parent?.spanId) writer.hexBytes(4, parent.spanId);
  writer.string(5, span.name);
  // OTLP's SpanKind counts from UNSPECIFIED = 0; the API's starts at INTERNAL = 0.
  writer.uint(6, span.kind + 1);
  writeTime(7, span.startTime);
  writeTime(8, span.endTime);
  // Our provider's spans, until something read their attributes, keep them flat.
  const flat = span instanceof RecordingSpan ? span.flatAttributes() : undefined;
  if (flat === undefined) writeAttributes(writer, 9, span.attributes);
  else writeFlatAttributes(writer, 9, flat);
  if (span.droppedAttributesCount) writer.uint(10, span.droppedAttributesCount);
  for (const event of span.events) writeEvent(event);
  if (span.droppedEventsCount) writer.uint(12, span.droppedEventsCount);
  for (const link of span.links) writeLink(link);
  if (span.droppedLinksCount) writer.uint(14, span.droppedLinksCount);
  const status = writer.begin(15);
  if (span.status.message) writer.string(2, span.status.message);
  if (span.status.code) writer.uint(3, span.status.code);
  writer.end(status);
  writer.fixed32(16, flags(context.traceFlags, parent?.isRemote));
  writer.end(message);
}

function writeEvent(event: TimedEvent): void {
  const message = writer.begin(11);
  writeTime(1, event.time);
  writer.string(2, event.name);
  writeAttributes(writer, 3, event.attributes);
  if (event.droppedAttributesCount) writer.uint(4, event.droppedAttributesCount);
  writer.end(message);
}

function writeLink(link: Link): void {
  const message = writer.begin(13);
  writer.hexBytes(1, link.context.traceId);
  writer.hexBytes(2, link.context.spanId);
  writeTraceState(3, link.context);
  writeAttributes(writer, 4, link.attributes);
  if (link.droppedAttributesCount) writer.uint(5, link.droppedAttributesCount);
  writer.fixed32(6, flags(link.context.traceFlags, link.context.isRemote));
  writer.end(message);
}

function writeTraceState(field: number, context: SpanContext): void {
  const traceState = context.traceState?.serialize();
  if (traceState) writer.string(field, traceState);
}

function writeTime(field: number, time: HrTime): void {
  writer.fixed64Time(field, Math.trunc(time[0]), Math.trunc(time[1]));
}

function flags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}
