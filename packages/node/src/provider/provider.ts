import type { Tracer, TracerOptions, TracerProvider } from '@opentelemetry/api';
import { defaultResource, type Resource } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanLimits,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { BatchExport, type BatchSettings } from './batch.js';
import { limitsOf } from './limits.js';
import { Processors } from './processors.js';
import { sdkKeepsAnyValue } from './sdk-line.js';
import { TracewireTracer } from './tracer.js';

export interface TracewireProviderConfig {
  resource?: Resource;
  /** Default: parent-based, always on (the SDK's default). */
  sampler?: Sampler;
  spanLimits?: SpanLimits;
  /** Exported in batches from our own buffer; each gets its own. */
  exporters?: SpanExporter[];
  batch?: BatchSettings;
  /** OTel processors: onStart and onEnd get the spans themselves, before they are exported. */
  spanProcessors?: SpanProcessor[];
}

/**
 * A TracerProvider behind the OTel API that records a span for a few
 * microseconds: compact spans, exported in batches to OTel SpanExporters.
 */
export class TracewireTracerProvider implements TracerProvider {
  private readonly tracers = new Map<string, TracewireTracer>();
  private readonly processor: Processors;
  private readonly resource: Resource;
  private readonly sampler: Sampler;
  private readonly limits: ReturnType<typeof limitsOf>;
  /** The attribute rules of the SDK line the app installed: 3.x if true, else 2.x. */
  private readonly anyValue: boolean;
  private stopping: Promise<void> | undefined;

  constructor(config: TracewireProviderConfig = {}) {
    this.resource = config.resource ?? defaultResource();
    this.sampler = config.sampler ?? new ParentBasedSampler({ root: new AlwaysOnSampler() });
    this.limits = limitsOf(config.spanLimits);
    this.anyValue = sdkKeepsAnyValue();
    const exports = (config.exporters ?? []).map((exporter) => new BatchExport(exporter, config.batch));
    this.processor = new Processors([...(config.spanProcessors ?? []), ...exports]);
  }

  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    const key = `${name}@${version ?? ''}:${options?.schemaUrl ?? ''}`;
    let tracer = this.tracers.get(key);
    if (tracer === undefined) {
      const instrumentationScope = { name, version, schemaUrl: options?.schemaUrl };
      tracer = new TracewireTracer(
        {
          resource: this.resource,
          instrumentationScope,
          limits: this.limits,
          processor: this.processor,
          anyValue: this.anyValue,
        },
        this.sampler,
        this.processor.notifiesStart,
      );
      this.tracers.set(key, tracer);
    }
    return tracer;
  }

  forceFlush(): Promise<void> {
    return this.processor.forceFlush();
  }

  /** Exports every span that has ended, then shuts the exporters down. Idempotent. */
  shutdown(): Promise<void> {
    this.stopping ??= this.processor.shutdown();
    return this.stopping;
  }
}
