import { ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace';
import { GuardedExporter } from './export/guarded-exporter.js';
import { OtlpProtoExporter } from './export/otlp-proto-exporter.js';
import { type OtlpHttpSettings, resolveOtlpHttpSettings } from './export/otlp-settings.js';
import type { ExporterChoice, OtlpProtocol } from './exporter-options.js';
import { loadPeer } from './peers.js';

type ExporterClass = new (config: { url?: string; endpoint?: string }) => SpanExporter;

/** The OTel package of each OTLP transport but http/protobuf, the default, which is ours. */
const OTLP_PACKAGES: Record<Exclude<OtlpProtocol, 'http/protobuf'>, string> = {
  'http/json': '@opentelemetry/exporter-trace-otlp-http',
  grpc: '@opentelemetry/exporter-trace-otlp-grpc',
};

function optionalExporter(name: string, className: string, why: string): ExporterClass {
  return loadPeer<Record<string, ExporterClass>>(name, why)[className]!;
}

/**
 * OTLP over the chosen transport, to the full traces URL (gRPC: the server's
 * address). `settings` (headers, timeout, compression) are for our
 * http/protobuf exporter; OTel's exporters read the same variables themselves.
 */
export function otlpExporter(
  url: string,
  protocol: OtlpProtocol = 'http/protobuf',
  settings: OtlpHttpSettings = resolveOtlpHttpSettings(process.env),
): SpanExporter {
  if (protocol === 'http/protobuf') return new OtlpProtoExporter({ url, ...settings });
  const Exporter = optionalExporter(OTLP_PACKAGES[protocol], 'OTLPTraceExporter', `OTLP protocol "${protocol}"`);
  return new GuardedExporter(new Exporter({ url }), url);
}

/** Zipkin v2 JSON. */
export function zipkinExporter(url: string): SpanExporter {
  const ZipkinExporter = optionalExporter('@opentelemetry/exporter-zipkin', 'ZipkinExporter', 'exporter "zipkin"');
  return new GuardedExporter(new ZipkinExporter({ url }), url);
}

/** Jaeger Thrift over HTTP: deprecated upstream (2.x only); Jaeger ingests OTLP natively. */
export function jaegerExporter(endpoint: string): SpanExporter {
  const JaegerExporter = optionalExporter(
    '@opentelemetry/exporter-jaeger',
    'JaegerExporter',
    'exporter "jaeger" (or use exporter "otlp", which Jaeger ingests natively)',
  );
  return new GuardedExporter(new JaegerExporter({ endpoint }), endpoint);
}

/** Prints each span to stdout: for trying things out. */
export function consoleExporter(): SpanExporter {
  return new ConsoleSpanExporter();
}

export function buildExporter(choice: ExporterChoice): SpanExporter {
  switch (choice.kind) {
    case 'custom': {
      const name = choice.exporter.constructor?.name;
      return new GuardedExporter(choice.exporter, name && name !== 'Object' ? name : 'your exporter');
    }
    case 'otlp':
      return otlpExporter(choice.endpoint, choice.protocol, choice.http);
    case 'zipkin':
      return zipkinExporter(choice.endpoint);
    case 'jaeger':
      return jaegerExporter(choice.endpoint);
    case 'console':
      return consoleExporter();
  }
}
