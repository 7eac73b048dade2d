import { type Attributes, type AttributeValue, diag, type Link, type TimeInput } from '@opentelemetry/api';
import type { TimedEvent } from '@opentelemetry/sdk-trace';
import { cleanAttributes, copyWithin, isAnyValue, isSimpleValue, lengthLimitOf } from './attribute-rules.js';
import { isTimeInput } from './clock.js';
import type { Limits } from './limits.js';
import { eventTime, RecordingSpan } from './span.js';

/**
 * A recording span with the rules of the 3.x SDK line (attribute-rules.ts):
 * span and link attributes are any OTLP value, null included; an invalid one
 * found at start or on a link is counted as dropped; events take simple
 * values only, and one without attributes has none (no empty object); a link
 * given attributes always carries its droppedAttributesCount. The tracer
 * picks this class once, by the line the provider found at construction, so
 * that the 2.x span's setAttribute stays as it is.
 */
export class AnyValueSpan extends RecordingSpan {
  /** What the tracer cleaned for the sampler (keptLink, cleanAttributes), taken as it is, as the SDK does. */
  begin(attributes: Attributes, droppedAttributesCount: number, links: Link[]): void {
    this.attributes = attributes;
    this.attributeCount = Object.keys(attributes).length;
    this.droppedAttributesCount = droppedAttributesCount;
    const limit = this.scope.limits.linkCountLimit;
    if (links.length > limit) {
      // The newest links are kept, as addLink keeps them.
      this.links = links.slice(links.length - limit);
      this.droppedLinksCount = links.length - limit;
    } else {
      this.links = links;
    }
  }

  override setAttribute(key: string, value: AttributeValue | undefined): this {
    if (this.refusedAfterEnd() || value === undefined) return this;
    if (typeof key !== 'string' || key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      return this;
    }
    const attributes = this.attributes;
    const limits = this.scope.limits;
    const isNew = attributes[key] === undefined || !Object.hasOwn(attributes, key);
    // The count limit before the value's check: a new key past it is dropped, whatever its value.
    if (isNew && this.attributeCount >= limits.attributeCountLimit) {
      // The SDK warns once, when the count becomes 1 (not if the start already dropped some).
      if (++this.droppedAttributesCount === 1) diag.warn('Dropping extra attributes.');
      return this;
    }
    const type = typeof value;
    if (type !== 'string' && type !== 'number' && type !== 'boolean' && !isAnyValue(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return this;
    }
    attributes[key] = copyWithin(value, lengthLimitOf(limits.attributeValueLengthLimit)) as AttributeValue;
    if (isNew) this.attributeCount++;
    return this;
  }

  override addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.refusedAfterEnd() || !this.roomForEvent()) return this;
    let attributes: unknown = attributesOrTime;
    if (isTimeInput(attributesOrTime)) {
      if (!isTimeInput(time)) time = attributesOrTime;
      attributes = undefined;
    }
    const event: TimedEvent = { name, time: eventTime(time) };
    const { attributePerEventCountLimit, attributeValueLengthLimit } = this.scope.limits;
    const cleaned = cleanAttributes(attributes, attributePerEventCountLimit, attributeValueLengthLimit, isSimpleValue);
    if (cleaned !== undefined) {
      event.attributes = cleaned.attributes;
      event.droppedAttributesCount = cleaned.droppedAttributesCount;
    }
    this.events.push(event);
    return this;
  }

  override addLink(link: Link): this {
    if (this.refusedAfterEnd() || !this.roomForLink()) return this;
    this.links.push(keptLink(link, this.scope.limits));
    return this;
  }
}

/** A link as the 3.x SDK keeps it, at start or added later: with attributes and their dropped count if it had attributes. */
export function keptLink(link: Link, limits: Limits): Link {
  const kept: Link = { context: link.context };
  const cleaned = cleanAttributes(
    link.attributes,
    limits.attributePerLinkCountLimit,
    limits.attributeValueLengthLimit,
    isAnyValue,
  );
  if (cleaned !== undefined) {
    kept.attributes = cleaned.attributes;
    kept.droppedAttributesCount = cleaned.droppedAttributesCount;
  }
  return kept;
}
