import type { Attributes } from '@opentelemetry/api';
import { defaultResource, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { Sampler, SpanExporter } from '@opentelemetry/sdk-trace-node';

/** The exporters `setupTracing` can build by name. */
export const EXPORTER_NAMES = ['otlp', 'jaeger', 'zipkin', 'console', 'none'] as const;
export type ExporterName = (typeof EXPORTER_NAMES)[number];

/** The samplers `OTEL_TRACES_SAMPLER` may name. */
export const SAMPLER_NAMES = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

export interface SetupOptions {
  /** `service.name` of every span. Default: `OTEL_SERVICE_NAME`, else the SDK's `unknown_service:<process.argv0>`. */
  serviceName?: string;
  /** An exporter name or your own exporter. Default: `OTEL_TRACES_EXPORTER`, else `'otlp'`. */
  exporter?: ExporterName | SpanExporter;
  /** Where the named exporter sends spans; a URL without a path gets the exporter's standard path. */
  endpoint?: string;
  /** A sampler, or the fraction (0..1) of new traces to keep; children follow their parent. */
  sampler?: Sampler | number;
  /** Extra resource attributes, merged over `OTEL_RESOURCE_ATTRIBUTES`. */
  resource?: Resource | Attributes;
}

export type SamplerChoice = { kind: 'custom'; sampler: Sampler } | { kind: SamplerName; ratio: number };

export type ExporterChoice =
  | { kind: 'custom'; exporter: SpanExporter }
  | { kind: Exclude<ExporterName, 'none'>; endpoint: string };

/** Everything setupTracing needs, after options and environment are merged. */
export interface ResolvedOptions {
  resource: Resource;
  exporters: ExporterChoice[];
  sampler: SamplerChoice;
}

type Env = Record<string, string | undefined>;

type NetworkExporter = 'otlp' | 'jaeger' | 'zipkin';

/**
 * Per network exporter: its default URL, the path a bare `endpoint` URL gets,
 * and the variables that set it, first match wins. The generic OTLP variable is
 * a base URL that gets `/v1/traces` appended; the others are used as is (spec).
 */
const ENDPOINTS: Record<NetworkExporter, { url: string; path: string; env: [string, 'as-is' | 'base'][] }> = {
  otlp: {
    url: 'http://localhost:4318/v1/traces',
    path: '/v1/traces',
    env: [
      ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'as-is'],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'base'],
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

function fail(message: string): never {
  throw new Error(`@tracewire/node: ${message}`);
}

/** The single place where options, `OTEL_*` variables and defaults meet. Explicit options win. */
export function resolveOptions(options: SetupOptions = {}, env: Env = process.env): ResolvedOptions {
  return {
    resource: resolveResource(options, env),
    exporters: resolveExporters(options, env),
    sampler: resolveSampler(options.sampler, env),
  };
}

/**
 * Later merges win: SDK defaults (`service.name` = `unknown_service:<process.argv0>`),
 * `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SERVICE_NAME`, option `resource`, option
 * `serviceName`.
 */
function resolveResource(options: SetupOptions, env: Env): Resource {
  const { serviceName, resource } = options;
  if (serviceName !== undefined && (typeof serviceName !== 'string' || serviceName.trim() === '')) {
    fail('option "serviceName" must be a non-empty string');
  }
  const layers: (Resource | Attributes | undefined)[] = [
    parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES),
    { 'service.name': nonEmpty(env.OTEL_SERVICE_NAME) },
    resource,
    { 'service.name': serviceName },
  ];
  let merged = defaultResource();
  for (const layer of layers) {
    if (layer === undefined) continue;
    if (isResource(layer)) {
      merged = merged.merge(layer);
    } else if (typeof layer === 'object' && layer !== null) {
      const defined = Object.entries(layer).filter(([, value]) => value !== undefined);
      if (defined.length > 0) merged = merged.merge(resourceFromAttributes(Object.fromEntries(defined)));
    } else {
      fail('option "resource" must be a Resource or an object of attributes');
    }
  }
  return merged;
}

function isResource(value: unknown): value is Resource {
  return typeof (value as Resource | undefined)?.merge === 'function' && 'attributes' in (value as object);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function isExporterName(name: string): name is ExporterName {
  return (EXPORTER_NAMES as readonly string[]).includes(name);
}

function resolveExporters(options: SetupOptions, env: Env): ExporterChoice[] {
  const { exporter } = options;
  if (exporter !== undefined && typeof exporter !== 'string') {
    if (typeof exporter?.export !== 'function' || typeof exporter.shutdown !== 'function') {
      fail('option "exporter" must be one of otlp, jaeger, zipkin, console, none, or a SpanExporter');
    }
    return [{ kind: 'custom', exporter }];
  }
  let names: string[];
  let source: string;
  if (exporter !== undefined) {
    names = [exporter];
    source = 'option "exporter"';
  } else {
    // OTEL_TRACES_EXPORTER is a comma-separated list (e.g. "otlp,console").
    names = (env.OTEL_TRACES_EXPORTER ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean);
    if (names.length === 0) names = ['otlp'];
    source = 'OTEL_TRACES_EXPORTER';
  }
  const choices: ExporterChoice[] = [];
  for (const name of names) {
    if (!isExporterName(name)) {
      fail(`${source} is "${name}", which is not one of ${EXPORTER_NAMES.join(', ')}`);
    }
    if (name === 'none') continue;
    choices.push({ kind: name, endpoint: resolveEndpoint(name, options.endpoint, env) });
  }
  return choices;
}

function resolveEndpoint(name: Exclude<ExporterName, 'none'>, endpoint: string | undefined, env: Env): string {
  if (name === 'console') return '';
  const table = ENDPOINTS[name];
  if (endpoint !== undefined) {
    const url = checkUrl(endpoint, 'option "endpoint"');
    if (url.pathname === '/') url.pathname = table.path;
    return url.href;
  }
  for (const [variable, kind] of table.env) {
    const value = nonEmpty(env[variable]);
    if (value === undefined) continue;
    const url = checkUrl(value, variable);
    return kind === 'as-is' ? url.href : `${url.href.replace(/\/+$/, '')}${table.path}`;
  }
  return table.url;
}

function checkUrl(value: string, source: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`${source} is "${value}", which is not a URL (expected e.g. http://localhost:4318)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fail(`${source} is "${value}", which is not an http or https URL`);
  }
  return url;
}

function resolveSampler(sampler: Sampler | number | undefined, env: Env): SamplerChoice {
  if (typeof sampler === 'number') {
    if (!(sampler >= 0 && sampler <= 1)) fail(`option "sampler" is ${sampler}; a ratio must be between 0 and 1`);
    return { kind: 'parentbased_traceidratio', ratio: sampler };
  }
  if (sampler !== undefined) {
    if (typeof sampler?.shouldSample !== 'function') fail('option "sampler" must be a Sampler or a number');
    return { kind: 'custom', sampler };
  }
  const name = (nonEmpty(env.OTEL_TRACES_SAMPLER) ?? 'parentbased_always_on').toLowerCase();
  if (!(SAMPLER_NAMES as readonly string[]).includes(name)) {
    fail(`OTEL_TRACES_SAMPLER is "${name}", which is not one of ${SAMPLER_NAMES.join(', ')}`);
  }
  const arg = nonEmpty(env.OTEL_TRACES_SAMPLER_ARG);
  let ratio = 1;
  if (arg !== undefined && name.endsWith('traceidratio')) {
    ratio = Number(arg);
    if (!(ratio >= 0 && ratio <= 1)) fail(`OTEL_TRACES_SAMPLER_ARG is "${arg}"; a ratio must be between 0 and 1`);
  }
  return { kind: name as SamplerName, ratio };
}

/** `key1=value1,key2=value2`, values percent-encoded (OTel resource SDK spec). */
export function parseResourceAttributes(value: string | undefined): Attributes {
  const attributes: Attributes = {};
  for (const pair of (value ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const key = pair.slice(0, at).trim();
    const raw = pair.slice(at + 1).trim();
    if (!key) continue;
    try {
      attributes[key] = decodeURIComponent(raw);
    } catch {
      attributes[key] = raw;
    }
  }
  return attributes;
}
