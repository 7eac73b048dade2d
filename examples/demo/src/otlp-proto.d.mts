/** Decodes an OTLP protobuf ExportTraceServiceRequest into the object its OTLP/JSON form parses to. */
export function otlpJsonFromProtobuf(bytes: Uint8Array): {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: Record<string, unknown> }[] };
    scopeSpans?: {
      scope?: { name?: string; version?: string };
      spans?: { name?: string; traceId?: string; spanId?: string; parentSpanId?: string; kind?: number }[];
    }[];
  }[];
};
