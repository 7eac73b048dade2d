import type { Attributes } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { Sampler, SpanExporter, SpanLimits } from '@opentelemetry/sdk-trace';
import { booleanOf, type Env, nonEmpty, oneOf } from './env.js';
import { type ExporterChoice, type ExporterName, type OtlpProtocol, resolveExporters } from './exporter-options.js';
import { type PropagatorName, resolvePropagators } from './propagators.js';
import { resolveResource } from './resource.js';
import { resolveSampler, type SamplerChoice } from './sampler-options.js';
import { resolveBatchSettings, resolveSpanLimits } from './sdk-env.js';

export { EXPORTER_NAMES, type ExporterName, OTLP_PROTOCOLS, type OtlpProtocol } from './exporter-options.js';
export { PROPAGATOR_NAMES, type PropagatorName } from './propagators.js';
export { parseResourceAttributes } from './resource.js';
export { SAMPLER_NAMES, type SamplerName } from './sampler-options.js';

export interface SetupOptions {
  /** `service.name` of every span. Default: `OTEL_SERVICE_NAME`, else the SDK's `unknown_service:<process.argv0>`. */
  serviceName?: string;
  /** An exporter name or your own exporter. Default: `OTEL_TRACES_EXPORTER`, else `'otlp'`. */
  exporter?: ExporterName | SpanExporter;
  /** Where the named exporter sends spans; a URL without a path gets the exporter's standard path. */
  endpoint?: string;
  /** The OTLP transport. Default: `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL`, else `'http/protobuf'`. */
  protocol?: OtlpProtocol;
  /** A sampler, or the fraction (0..1) of new traces to keep; children follow their parent. */
  sampler?: Sampler | number;
  /** Extra resource attributes, merged over `OTEL_RESOURCE_ATTRIBUTES`. */
  resource?: Resource | Attributes;
  /**
   * Who records the spans: `'tracewire'`, ours (the same API, less work per
   * span), or `'otel'`, the OTel SDK's TracerProvider. Default:
   * `TRACEWIRE_PROVIDER`, else `'tracewire'`.
   */
  provider?: ProviderName;
}

export const PROVIDER_NAMES = ['otel', 'tracewire'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** Everything setupTracing needs, after options and environment are merged. */
export interface ResolvedOptions {
  /** `OTEL_SDK_DISABLED=true`: register nothing, export nothing. */
  disabled: boolean;
  resource: Resource;
  exporters: ExporterChoice[];
  sampler: SamplerChoice;
  propagators: PropagatorName[];
  /** `OTEL_BSP_*`. */
  batch: ReturnType<typeof resolveBatchSettings>;
  /** `OTEL_ATTRIBUTE_*` and `OTEL_SPAN_*` limits. */
  spanLimits: SpanLimits;
  provider: ProviderName;
}

/** Option `provider`, else `TRACEWIRE_PROVIDER`, else ours. */
function resolveProvider(option: string | undefined, env: Env): ProviderName {
  if (option !== undefined) return oneOf(String(option), PROVIDER_NAMES, 'option "provider"');
  const value = nonEmpty(env.TRACEWIRE_PROVIDER);
  return value === undefined ? 'tracewire' : oneOf(value.toLowerCase(), PROVIDER_NAMES, 'TRACEWIRE_PROVIDER');
}

/**
 * The single place where options, `OTEL_*` variables and defaults meet.
 * Explicit options win. Everything is checked, even when the SDK is disabled,
 * so that a mistake shows on the first start and not on the day it is enabled.
 */
export function resolveOptions(options: SetupOptions = {}, env: Env = process.env): ResolvedOptions {
  return {
    disabled: booleanOf(env, 'OTEL_SDK_DISABLED', false),
    resource: resolveResource(options.serviceName, options.resource, env),
    exporters: resolveExporters(options, env),
    sampler: resolveSampler(options.sampler, env),
    propagators: resolvePropagators(env),
    batch: resolveBatchSettings(env),
    spanLimits: resolveSpanLimits(env),
    provider: resolveProvider(options.provider, env),
  };
}
