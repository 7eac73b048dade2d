import type { Metadata } from '@grpc/grpc-js';
import type { Span } from '@opentelemetry/api';
import { metadataAttribute } from './attributes.js';

/** Records the listed metadata keys (lower-cased names) that have text values; binary values never. */
export function captureMetadata(
  span: Span,
  direction: 'request' | 'response',
  names: readonly string[],
  ...sources: (Metadata | null | undefined)[]
): void {
  for (const name of names) {
    const values: string[] = [];
    for (const source of sources) {
      if (source == null) continue;
      for (const value of source.get(name)) if (typeof value === 'string') values.push(value);
    }
    if (values.length > 0) span.setAttribute(metadataAttribute(direction, name), values);
  }
}
