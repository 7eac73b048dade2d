import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { checkUrl, type Env, fail, listOf, nonEmpty, oneOf } from './env.js';
import { type OtlpHttpSettings, resolveOtlpHttpSettings } from './export/otlp-settings.js';

/** The exporters `setupTracing` can build by name. */
export const EXPORTER_NAMES = ['otlp', 'jaeger', 'zipkin', 'console', 'none'] as const;
export type ExporterName = (typeof EXPORTER_NAMES)[number];

/** The OTLP transports of the spec; `http/protobuf` is its default. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export type ExporterChoice =
  | { kind: 'custom'; exporter: SpanExporter }
  | { kind: 'otlp'; protocol: OtlpProtocol; endpoint: string; http: OtlpHttpSettings }
  | { kind: 'jaeger' | 'zipkin'; endpoint: string }
  | { kind: 'console' };

type Transport = 'otlp-http' | 'otlp-grpc' | 'jaeger' | 'zipkin';

/**
 * Per transport: its default URL, the path a bare `endpoint` URL gets, and the
 * variables that set it, first match wins. Over HTTP the generic OTLP variable
 * is a base URL that gets `/v1/traces` appended; gRPC has no paths (spec).
 */
const ENDPOINTS: Record<Transport, { url: string; path: string; env: [string, 'as-is' | 'base'][] }> = {
  'otlp-http': {
    url: 'http://localhost:4318/v1/traces',
    path: '/v1/traces',
    env: [
      ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'as-is'],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'base'],
    ],
  },
  'otlp-grpc': {
    url: 'http://localhost:4317',
    path: '',
    env: [
      ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'as-is'],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'as-is'],
    ],
  },
  jaeger: {
    url: 'http://localhost:14268/api/traces',
    path: '/api/traces',
    env: [['OTEL_EXPORTER_JAEGER_ENDPOINT', 'as-is']],
  },
  zipkin: {
    url: 'http://localhost:9411/api/v2/spans',
    path: '/api/v2/spans',
    env: [['OTEL_EXPORTER_ZIPKIN_ENDPOINT', 'as-is']],
  },
};

export interface ExporterOptions {
  exporter?: ExporterName | SpanExporter;
  endpoint?: string;
  protocol?: OtlpProtocol;
}

export function resolveExporters(options: ExporterOptions, env: Env): ExporterChoice[] {
  const { exporter } = options;
  // Checked even when OTLP is not chosen: a bad value is a mistake either way.
  const protocol = resolveProtocol(options.protocol, env);
  if (exporter !== undefined && typeof exporter !== 'string') {
    if (typeof exporter?.export !== 'function' || typeof exporter.shutdown !== 'function') {
      fail(`option "exporter" must be one of ${EXPORTER_NAMES.join(', ')}, or a SpanExporter`);
    }
    return [{ kind: 'custom', exporter }];
  }
  const source = exporter !== undefined ? 'option "exporter"' : 'OTEL_TRACES_EXPORTER';
  // OTEL_TRACES_EXPORTER is a comma-separated list (e.g. "otlp,console").
  const names = exporter !== undefined ? [exporter] : listOf(env.OTEL_TRACES_EXPORTER);
  if (names.length === 0) names.push('otlp');
  const choices: ExporterChoice[] = [];
  for (const name of names.map((value) => oneOf(value, EXPORTER_NAMES, source))) {
    if (name === 'none') continue;
    if (name === 'console') {
      choices.push({ kind: 'console' });
    } else if (name === 'otlp') {
      const transport = protocol === 'grpc' ? 'otlp-grpc' : 'otlp-http';
      const endpoint = resolveEndpoint(transport, options.endpoint, env);
      // Checked for every transport: OTel's exporters read the same variables.
      choices.push({ kind: 'otlp', protocol, endpoint, http: resolveOtlpHttpSettings(env) });
    } else {
      choices.push({ kind: name, endpoint: resolveEndpoint(name, options.endpoint, env) });
    }
  }
  return choices;
}

/** Option `protocol`, else `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, else http/protobuf. */
function resolveProtocol(option: string | undefined, env: Env): OtlpProtocol {
  if (option !== undefined) return oneOf(String(option), OTLP_PROTOCOLS, 'option "protocol"');
  for (const variable of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const value = nonEmpty(env[variable]);
    if (value !== undefined) return oneOf(value.toLowerCase(), OTLP_PROTOCOLS, variable);
  }
  return 'http/protobuf';
}

function resolveEndpoint(transport: Transport, endpoint: string | undefined, env: Env): string {
  const table = ENDPOINTS[transport];
  if (endpoint !== undefined) {
    const url = checkUrl(endpoint, 'option "endpoint"');
    if (url.pathname === '/' && table.path) url.pathname = table.path;
    return table.path ? url.href : url.origin;
  }
  for (const [variable, kind] of table.env) {
    const value = nonEmpty(env[variable]);
    if (value === undefined) continue;
    const url = checkUrl(value, variable);
    if (!table.path) return url.origin;
    return kind === 'as-is' ? url.href : `${url.href.replace(/\/+$/, '')}${table.path}`;
  }
  return table.url;
}
