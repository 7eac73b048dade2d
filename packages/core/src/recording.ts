import type { Span } from '@opentelemetry/api';
import type { OnceLogger } from './diag.js';

/** `span.isRecording()`, false when a broken span throws (reported once): tracing must never break the call. */
export function isRecording(span: Span, tracer: { log: OnceLogger }): boolean {
  try {
    return span.isRecording();
  } catch (error) {
    tracer.log.warn('isRecording', 'span.isRecording() threw; the span is treated as not recording', error);
    return false;
  }
}
