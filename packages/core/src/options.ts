import type { MeterProvider, Span, TextMapPropagator, TracerProvider } from '@opentelemetry/api';

/** What `spanName` is given to name a span. */
export interface SpanNameInfo {
  /** `server` for Express/Koa spans, `client` for fetch spans. */
  kind: 'server' | 'client';
  /** Upper-case HTTP method. */
  method: string;
  /** Path without the query string. */
  path: string;
  /** Matched route template with every mounted prefix (server spans only). */
  route?: string;
  /** Full URL with user info removed and sensitive query values redacted (client spans only). */
  url?: string;
}

/** The options every adapter accepts. */
export interface TracingOptions<Req = unknown, Res = unknown> {
  /** Where spans are made; default: the global tracer provider. */
  tracerProvider?: TracerProvider;
  /** Where the request metrics are recorded; default: the global meter provider. */
  meterProvider?: MeterProvider;
  /** `false`: record no metrics at all, whatever meter provider is registered; default: true. */
  metrics?: boolean;
  /** How trace context is read and written; default: the global propagator if one is registered, else W3C Trace Context + Baggage. */
  propagator?: TextMapPropagator;
  /** Overrides the span name; return a non-empty string. */
  spanName?: (info: SpanNameInfo) => string;
  /** Return true to make no span for this request (it is still served). */
  ignore?: (req: Req) => boolean;
  /** Called once the span has started, to add attributes of your own. */
  requestHook?: (span: Span, req: Req) => void;
  /** Called before the span ends, to add attributes of your own. */
  responseHook?: (span: Span, res: Res) => void;
  /** Header names recorded as `http.request.header.<name>` / `http.response.header.<name>`. Only these, never others. */
  captureHeaders?: { request?: string[]; response?: string[] };
}

const FUNCTION_OPTIONS = ['spanName', 'ignore', 'requestHook', 'responseHook'] as const;
const KNOWN_OPTIONS = new Set<string>([
  'tracerProvider',
  'meterProvider',
  'metrics',
  'propagator',
  'captureHeaders',
  ...FUNCTION_OPTIONS,
]);

/** How a wrong value is named in a setup error: `null`, `an array`, `an object`, `string x`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function fail(name: string, expected: string, value: unknown): never {
  throw new TypeError(`tracewire: option "${name}" must be ${expected}, got ${describe(value)}`);
}

function hasMethods(value: unknown, methods: string[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return methods.every((method) => typeof record[method] === 'function');
}

function headerList(name: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.trim() === '')) {
    fail(name, 'an array of header names', value);
  }
  return value.map((item: string) => item.trim().toLowerCase());
}

/**
 * Checks options at setup so that a mistake fails loudly there, with the
 * option's name, instead of quietly on every request. `extra` names options
 * an adapter adds on top of the core ones.
 */
export function validateOptions(options: unknown, extra: readonly string[] = []): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail('options', 'an object', options);
  }
  const record = options as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!KNOWN_OPTIONS.has(key) && !extra.includes(key)) {
      throw new TypeError(`tracewire: unknown option "${key}"`);
    }
  }
  const { tracerProvider, meterProvider, metrics, propagator, captureHeaders } = record;
  if (tracerProvider !== undefined && !hasMethods(tracerProvider, ['getTracer'])) {
    fail('tracerProvider', 'a TracerProvider (with getTracer)', tracerProvider);
  }
  if (meterProvider !== undefined && !hasMethods(meterProvider, ['getMeter'])) {
    fail('meterProvider', 'a MeterProvider (with getMeter)', meterProvider);
  }
  if (metrics !== undefined && typeof metrics !== 'boolean') fail('metrics', 'a boolean', metrics);
  if (propagator !== undefined && !hasMethods(propagator, ['inject', 'extract', 'fields'])) {
    fail('propagator', 'a TextMapPropagator (with inject, extract and fields)', propagator);
  }
  for (const name of FUNCTION_OPTIONS) {
    if (record[name] !== undefined && typeof record[name] !== 'function') fail(name, 'a function', record[name]);
  }
  if (captureHeaders !== undefined) {
    if (typeof captureHeaders !== 'object' || captureHeaders === null || Array.isArray(captureHeaders)) {
      fail('captureHeaders', 'an object { request?: string[]; response?: string[] }', captureHeaders);
    }
    const { request, response, ...rest } = captureHeaders as Record<string, unknown>;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) throw new TypeError(`tracewire: unknown option "captureHeaders.${unknown}"`);
    headerList('captureHeaders.request', request);
    headerList('captureHeaders.response', response);
  }
}

/** Lower-cased header names to capture, after validation. */
export function capturedHeaderNames(options: TracingOptions<never, never>): { request: string[]; response: string[] } {
  return {
    request: headerList('captureHeaders.request', options.captureHeaders?.request),
    response: headerList('captureHeaders.response', options.captureHeaders?.response),
  };
}
