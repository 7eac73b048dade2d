// What the provider suites share: a diag logger that collects, a view of a
// ReadableSpan without its ids and times, and a runner that plays one
// scenario on our provider and on the OTel SDK's, so a test can say "as the
// SDK does" by comparing the two.
import { type Context, DiagLogLevel, diag, type HrTime, type Tracer } from '@opentelemetry/api';
import {
  type ReadableSpan,
  TracerProvider as SdkTracerProvider,
  type Span,
  type SpanProcessor,
  type TracerProviderOptions,
} from '@opentelemetry/sdk-trace';

export type Node = typeof import('@tracewire/node');

/**
 * The warnings and errors logged through the global diag logger, ids
 * replaced by `<id>`. A logger and not jest.spyOn: the ESM build may load its
 * own copy of the API, and only the global logger is shared.
 */
export function collectDiag(level = DiagLogLevel.WARN): string[] {
  const lines: string[] = [];
  const keep =
    (name: string) =>
    (message: string, ..._args: unknown[]) =>
      lines.push(`${name}: ${message.replace(/\b[0-9a-f]{32}\b|\b[0-9a-f]{16}\b/g, '<id>')}`);
  diag.disable();
  diag.setLogger(
    { error: keep('error'), warn: keep('warn'), info: keep('info'), debug: keep('debug'), verbose: keep('verbose') },
    { logLevel: level, suppressOverrideMessage: true },
  );
  return lines;
}

/** Keeps every span that ends, sampled or not (SimpleSpanProcessor keeps only sampled ones). */
export class EndedSpans implements SpanProcessor {
  readonly started: { span: Span; parent: Context }[] = [];
  readonly ended: ReadableSpan[] = [];
  onStart(span: Span, parent: Context): void {
    this.started.push({ span, parent });
  }
  onEnd(span: ReadableSpan): void {
    this.ended.push(span);
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

/** A span as the comparison sees it: everything but ids and times. */
export function view(span: ReadableSpan) {
  const context = span.spanContext();
  return {
    name: span.name,
    kind: span.kind,
    attributes: span.attributes,
    status: span.status,
    events: span.events.map((event) => ({
      name: event.name,
      attributes: event.attributes,
      droppedAttributesCount: event.droppedAttributesCount,
    })),
    links: span.links,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
    hasParent: span.parentSpanContext !== undefined,
    traceFlags: context.traceFlags,
    traceState: context.traceState?.serialize(),
    instrumentationScope: span.instrumentationScope,
    resource: span.resource.attributes,
    ended: span.ended,
  };
}

export type ProviderConfig = Pick<TracerProviderOptions, 'resource' | 'sampler' | 'spanLimits'>;

export interface Run {
  spans: ReturnType<typeof view>[];
  /** The ended spans themselves, for checks on times. */
  raw: ReadableSpan[];
  log: string[];
  /** What the scenario returned. */
  result: unknown;
}

/** Plays `scenario` on a fresh provider of each kind with the same config; ours first. */
export async function onBoth(
  node: Node,
  scenario: (tracer: Tracer) => unknown,
  config: ProviderConfig = {},
): Promise<{ ours: Run; sdk: Run }> {
  const run = async (make: (processor: SpanProcessor) => { getTracer: (name: string) => Tracer }): Promise<Run> => {
    const ended = new EndedSpans();
    const provider = make(ended);
    const log = collectDiag();
    const result = await scenario(provider.getTracer('compare'));
    diag.disable();
    return { spans: ended.ended.map(view), raw: ended.ended, log, result };
  };
  const ours = await run((processor) => new node.TracewireTracerProvider({ ...config, spanProcessors: [processor] }));
  const sdk = await run((processor) => new SdkTracerProvider({ ...config, spanProcessors: [processor] }));
  return { ours, sdk };
}

/** Plays the scenario on both providers, expects the same spans, warnings and result; returns our run. */
export async function sameAsSdk(
  node: Node,
  scenario: (tracer: Tracer) => unknown,
  config?: ProviderConfig,
): Promise<Run> {
  const { ours, sdk } = await onBoth(node, scenario, config);
  expect(ours.spans).toStrictEqual(sdk.spans);
  expect(ours.log).toStrictEqual(sdk.log);
  expect(ours.result).toStrictEqual(sdk.result);
  return ours;
}

export function hrToMillis(time: HrTime): number {
  return time[0] * 1000 + time[1] / 1e6;
}

export function hrToNanos(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}
