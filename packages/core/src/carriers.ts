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

/**
 * What the gRPC metadata carrier needs from `@grpc/grpc-js`'s `Metadata`,
 * by shape, so that core does not depend on grpc-js. Keys are lower-cased by
 * `Metadata` itself; values of `-bin` keys are Buffers.
 */
export interface MetadataLike {
  get(key: string): (string | Buffer)[];
  set(key: string, value: string): void;
  getMap(): Record<string, string | Buffer>;
}

/**
 * Reads gRPC metadata (the Kratos `MetadataCarrier`). Binary values are
 * skipped; one value is returned as a string, repeated ones as an array; a
 * missing key is undefined, never an empty array.
 */
export const metadataGetter: TextMapGetter<MetadataLike> = {
  get(carrier, key) {
    const values = carrier.get(key).filter((value): value is string => typeof value === 'string');
    if (values.length === 0) return undefined;
    return values.length === 1 ? values[0] : values;
  },
  keys(carrier) {
    return Object.keys(carrier.getMap());
  },
};

/** Writes gRPC metadata, replacing any value the key had. */
export const metadataSetter: TextMapSetter<MetadataLike> = {
  set(carrier, key, value) {
    carrier.set(key, value);
  },
};
