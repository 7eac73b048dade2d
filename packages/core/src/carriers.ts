import type { IncomingHttpHeaders } from 'node:http';
import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

/**
 * Reads Node's `IncomingHttpHeaders`. Node already lower-cases header names;
 * the lookup lower-cases the key too, so propagators may ask in any case.
 * Repeated headers arrive as arrays and are returned as such.
 */
export const nodeHeadersGetter: TextMapGetter<IncomingHttpHeaders> = {
  get(carrier, key) {
    return carrier[key.toLowerCase()];
  },
  keys(carrier) {
    return Object.keys(carrier);
  },
};

/** Reads and writes a Fetch `Headers` (case-insensitive by definition). */
export const fetchHeadersGetter: TextMapGetter<Headers> = {
  get(carrier, key) {
    return carrier.get(key) ?? undefined;
  },
  keys(carrier) {
    return [...carrier.keys()];
  },
};

export const fetchHeadersSetter: TextMapSetter<Headers> = {
  set(carrier, key, value) {
    carrier.set(key, value);
  },
};

export type HeaderRecord = Record<string, string | string[] | undefined>;

/** Reads a plain record, matching keys case-insensitively. */
export const recordGetter: TextMapGetter<HeaderRecord> = {
  get(carrier, key) {
    const exact = carrier[key];
    if (exact !== undefined) return exact;
    const lower = key.toLowerCase();
    for (const name of Object.keys(carrier)) {
      if (name.toLowerCase() === lower) return carrier[name];
    }
    return undefined;
  },
  keys(carrier) {
    return Object.keys(carrier);
  },
};

/** Writes a plain record, replacing any key that differs only in case. */
export const recordSetter: TextMapSetter<HeaderRecord> = {
  set(carrier, key, value) {
    const lower = key.toLowerCase();
    for (const name of Object.keys(carrier)) {
      if (name !== key && name.toLowerCase() === lower) delete carrier[name];
    }
    carrier[key] = value;
  },
};
