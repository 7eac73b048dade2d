import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { localRequire } from './local-require.cjs';
import type { ExporterChoice } from './options.js';
import { ReportFailureOnce } from './report-failure-once.js';

const JAEGER = '@opentelemetry/exporter-jaeger';

/** OTLP/HTTP with JSON bodies, to the full traces URL. */
export function otlpExporter(url: string): SpanExporter {
  return new ReportFailureOnce(new OTLPTraceExporter({ url }), url);
}

/** Zipkin v2 JSON. */
export function zipkinExporter(url: string): SpanExporter {
  return new ReportFailureOnce(new ZipkinExporter({ url }), url);
}

/**
 * Jaeger Thrift over HTTP. The exporter is deprecated upstream and an optional
 * peer, so it is required only when chosen.
 */
export function jaegerExporter(endpoint: string): SpanExporter {
  let JaegerExporter: new (config: { endpoint: string }) => SpanExporter;
  try {
    ({ JaegerExporter } = localRequire(JAEGER) as { JaegerExporter: typeof JaegerExporter });
  } catch (error) {
    throw new Error(
      `@tracewire/node: exporter "jaeger" needs the optional peer ${JAEGER} (npm install ${JAEGER}); ` +
        'or use exporter "otlp", which Jaeger ingests natively',
      { cause: error },
    );
  }
  return new ReportFailureOnce(new JaegerExporter({ endpoint }), endpoint);
}

/** Prints each span to stdout: for trying things out. */
export function consoleExporter(): SpanExporter {
  return new ConsoleSpanExporter();
}

export function buildExporter(choice: ExporterChoice): SpanExporter {
  switch (choice.kind) {
    case 'custom': {
      const name = choice.exporter.constructor?.name;
      return new ReportFailureOnce(choice.exporter, name && name !== 'Object' ? name : 'your exporter');
    }
    case 'otlp':
      return otlpExporter(choice.endpoint);
    case 'zipkin':
      return zipkinExporter(choice.endpoint);
    case 'jaeger':
      return jaegerExporter(choice.endpoint);
    case 'console':
      return consoleExporter();
  }
}
