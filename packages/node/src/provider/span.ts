import {
  type Attributes,
  type AttributeValue,
  diag,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
} from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace';
import { fromTimeInput, hrDuration, isHrTime, isTimeInput, now, toHrTime } from './clock.js';
import { isAttributeValue, type Limits, truncate } from './limits.js';

/** What every span of one tracer shares. */
export interface SpanScope {
  readonly resource: Resource;
  readonly instrumentationScope: ReadableSpan['instrumentationScope'];
  readonly limits: Limits;
  readonly processor: SpanProcessor;
  /** The installed SDK's line keeps any OTLP value as an attribute (3.x, span-v3.ts), not only the 2.x types. */
  readonly anyValue: boolean;
}

/**
 * A recording span: the API's Span while it runs, the SDK's ReadableSpan once
 * it ended (so OTel processors and exporters take it as it is). Times stay
 * epoch-ms numbers and become HrTime only when read. The attribute, event and
 * link rules are those of the 2.x SDK; AnyValueSpan (span-v3.ts) has the 3.x ones.
 */
export class RecordingSpan implements Span, ReadableSpan {
  /** [key, value, key, value, ...] until something reads `attributes`; then undefined. */
  private flat: unknown[] | undefined = [];
  private object: Attributes | undefined;
  private linkList: Link[] | undefined;
  private eventList: TimedEvent[] | undefined;
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  protected attributeCount = 0;
  private readonly start: number;
  /** NaN until end(); a time may be negative (before the clock's anchor). */
  private finish = Number.NaN;
  /** Set after onEnding, so that a processor's onEnding still sees a recording span with its end time. */
  private done = false;

  constructor(
    protected readonly scope: SpanScope,
    private readonly context: SpanContext,
    public name: string,
    public readonly kind: SpanKind,
    public readonly parentSpanContext: SpanContext | undefined,
    startTime: TimeInput | undefined,
  ) {
    this.start = startTime === undefined ? now() : fromTimeInput(startTime);
  }

  /**
   * The attributes as the SDK's ReadableSpan has them. Until first read
   * (usually by an exporter, or a processor's onEnd) they are one flat array:
   * adding a dozen keys to a fresh object per span takes V8's megamorphic
   * stores and map transitions, several times the cost of two pushes. From the
   * first read on, the object is the span's attributes, so a processor that
   * changes it (redaction) changes what is exported.
   */
  get attributes(): Attributes {
    if (this.object === undefined) {
      this.object = objectOf(this.flat as unknown[]);
      this.flat = undefined;
    }
    return this.object;
  }

  set attributes(attributes: Attributes) {
    this.object = attributes;
    this.flat = undefined;
  }

  /** The flat attributes while nothing has read `attributes` (for the OTLP encoder), else undefined. */
  flatAttributes(): readonly unknown[] | undefined {
    return this.flat;
  }

  // Made when first read or added to: most spans have no links or events.
  get links(): Link[] {
    if (this.linkList === undefined) this.linkList = [];
    return this.linkList;
  }

  set links(links: Link[]) {
    this.linkList = links;
  }

  get events(): TimedEvent[] {
    if (this.eventList === undefined) this.eventList = [];
    return this.eventList;
  }

  set events(events: TimedEvent[]) {
    this.eventList = events;
  }

  get resource(): Resource {
    return this.scope.resource;
  }

  get instrumentationScope(): ReadableSpan['instrumentationScope'] {
    return this.scope.instrumentationScope;
  }

  get startTime(): HrTime {
    return toHrTime(this.start);
  }

  get endTime(): HrTime {
    return Number.isNaN(this.finish) ? [0, 0] : toHrTime(this.finish);
  }

  get duration(): HrTime {
    // From the two HrTimes, so that end - start is exactly the duration an exporter reads.
    return Number.isNaN(this.finish) ? [-1, -1] : hrDuration(toHrTime(this.start), toHrTime(this.finish));
  }

  get ended(): boolean {
    return this.done;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  isRecording(): boolean {
    return !this.done;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (value == null || this.refusedAfterEnd()) return this;
    const type = typeof value;
    // Primitives first: nearly every attribute is one, and needs no deeper check.
    if (type !== 'string' && type !== 'number' && type !== 'boolean' && !isAttributeValue(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return this;
    }
    if (typeof key !== 'string' || key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      return this;
    }
    const limits = this.scope.limits;
    const flat = this.flat;
    if (flat === undefined) return this.setInObject(key, value, type, limits);
    // A few dozen keys at most: a linear search beats any map here.
    for (let i = 0; i < flat.length; i += 2) {
      if (flat[i] === key) {
        flat[i + 1] = stored(value, type, limits);
        return this;
      }
    }
    if (this.attributeCount >= limits.attributeCountLimit) {
      this.droppedAttributesCount++;
      return this;
    }
    this.attributeCount++;
    flat.push(key, stored(value, type, limits));
    return this;
  }

  private setInObject(key: string, value: AttributeValue, type: string, limits: Limits): this {
    const attributes = this.object as Attributes;
    if (attributes[key] === undefined || !Object.hasOwn(attributes, key)) {
      if (this.attributeCount >= limits.attributeCountLimit) {
        this.droppedAttributesCount++;
        return this;
      }
      this.attributeCount++;
    }
    attributes[key] = stored(value, type, limits);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) {
      if (Object.hasOwn(attributes, key)) this.setAttribute(key, attributes[key]);
    }
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.refusedAfterEnd() || !this.roomForEvent()) return this;
    let attributes = attributesOrTime as Attributes | undefined;
    if (isTimeInput(attributesOrTime)) {
      if (!isTimeInput(time)) time = attributesOrTime;
      attributes = undefined;
    }
    const [kept, dropped] = this.limited(attributes, this.scope.limits.attributePerEventCountLimit);
    this.events.push({ name, attributes: kept, time: eventTime(time), droppedAttributesCount: dropped });
    return this;
  }

  addLink(link: Link): this {
    if (this.refusedAfterEnd() || !this.roomForLink()) return this;
    const [attributes, dropped] = this.limited(link.attributes, this.scope.limits.attributePerLinkCountLimit);
    const kept: Link = { context: link.context };
    if (Object.keys(attributes).length > 0) kept.attributes = attributes;
    if (dropped > 0) kept.droppedAttributesCount = dropped;
    this.links.push(kept);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.refusedAfterEnd()) return this;
    // UNSET changes nothing, and OK is final (the API's rules).
    if (status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    const next: SpanStatus = { code: status.code };
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') next.message = status.message;
      else if (status.message != null) {
        diag.warn(`Dropping invalid status.message of type '${typeof status.message}', expected 'string'`);
      }
    }
    this.status = next;
    return this;
  }

  updateName(name: string): this {
    if (!this.refusedAfterEnd()) this.name = name;
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception;
    } else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) {
      this.addEvent('exception', attributes, time);
    } else {
      diag.warn(`Failed to record an exception ${exception}`);
    }
  }

  end(endTime?: TimeInput): void {
    if (this.refusedAfterEnd()) {
      diag.error(
        `${this.name} ${this.context.traceId}-${this.context.spanId} - You can only call end() on a span once.`,
      );
      return;
    }
    let finish = endTime === undefined ? now() : fromTimeInput(endTime);
    if (finish < this.start) {
      diag.warn('Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.');
      finish = this.start;
    }
    if (this.droppedEventsCount > 0)
      diag.warn(`Dropped ${this.droppedEventsCount} events because eventCountLimit reached`);
    if (this.droppedLinksCount > 0) diag.warn(`Dropped ${this.droppedLinksCount} links because linkCountLimit reached`);
    this.finish = finish;
    this.scope.processor.onEnding?.(this);
    this.done = true;
    this.scope.processor.onEnd(this);
  }

  /** Whether one more event may be added: none if the limit is 0; else the oldest one makes room, as in the SDK. */
  protected roomForEvent(): boolean {
    const limit = this.scope.limits.eventCountLimit;
    if (limit === 0) {
      diag.warn('No events allowed.');
      this.droppedEventsCount++;
      return false;
    }
    if (this.events.length >= limit) {
      this.events.shift();
      this.droppedEventsCount++;
    }
    return true;
  }

  /** As roomForEvent, for links, without the warning. */
  protected roomForLink(): boolean {
    const limit = this.scope.limits.linkCountLimit;
    if (limit === 0) {
      this.droppedLinksCount++;
      return false;
    }
    if (this.links.length >= limit) {
      this.links.shift();
      this.droppedLinksCount++;
    }
    return true;
  }

  protected refusedAfterEnd(): boolean {
    if (!this.done) return false;
    diag.warn(
      `Cannot execute the operation on ended Span {traceId: ${this.context.traceId}, spanId: ${this.context.spanId}}`,
    );
    return true;
  }

  /** Valid attributes within a count limit, truncated, and how many were dropped; invalid ones warned about as the SDK does. */
  private limited(attributes: Attributes | undefined, countLimit: number): [Attributes, number] {
    const kept: Attributes = {};
    let count = 0;
    let dropped = 0;
    for (const key in attributes) {
      if (!Object.hasOwn(attributes, key)) continue;
      if (key.length === 0) {
        diag.warn(`Invalid attribute key: ${key}`);
        continue;
      }
      const value = attributes[key];
      // Unlike the SDK, which keeps them as keys without a value: as setAttribute does.
      if (value == null) continue;
      if (!isAttributeValue(value)) {
        diag.warn(`Invalid attribute value set for key: ${key}`);
        continue;
      }
      if (count >= countLimit) {
        dropped++;
        continue;
      }
      kept[key] = truncate(value, this.scope.limits.attributeValueLengthLimit);
      count++;
    }
    return [kept, dropped];
  }
}

/** An event's time; an HrTime is kept as given, to the nanosecond, as the SDK does. */
export function eventTime(time: TimeInput | undefined): HrTime {
  return time === undefined ? toHrTime(now()) : isHrTime(time) ? time : toHrTime(fromTimeInput(time));
}

/** A value as the span keeps it: strings (and strings in arrays) cut to the length limit. */
function stored(value: AttributeValue, type: string, limits: Limits): AttributeValue {
  return type === 'number' || type === 'boolean' ? value : truncate(value, limits.attributeValueLengthLimit);
}

function objectOf(flat: unknown[]): Attributes {
  const attributes: Attributes = {};
  for (let i = 0; i < flat.length; i += 2) attributes[flat[i] as string] = flat[i + 1] as AttributeValue;
  return attributes;
}
