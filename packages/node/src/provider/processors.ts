import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { BatchExport } from './batch.js';

/** The user's processors, then our exports, in order, as the SDK's MultiSpanProcessor calls them. */
export class Processors implements SpanProcessor {
  /** False when only our exports listen: then onStart is never called at all. */
  readonly notifiesStart: boolean;

  constructor(private readonly list: SpanProcessor[]) {
    this.notifiesStart = list.some((processor) => !(processor instanceof BatchExport));
  }

  onStart(span: Span, parentContext: Context): void {
    for (const processor of this.list) processor.onStart(span, parentContext);
  }

  onEnding(span: Span): void {
    for (const processor of this.list) processor.onEnding?.(span);
  }

  onEnd(span: ReadableSpan): void {
    const list = this.list;
    for (let i = 0; i < list.length; i++) (list[i] as SpanProcessor).onEnd(span);
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.list.map((processor) => processor.forceFlush()));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.list.map((processor) => processor.shutdown()));
  }
}
