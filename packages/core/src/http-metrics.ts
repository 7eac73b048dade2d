import type { Attributes, Context, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import {
  HTTP_REQUEST_METHOD_VALUE_CONNECT,
  HTTP_REQUEST_METHOD_VALUE_DELETE,
  HTTP_REQUEST_METHOD_VALUE_GET,
  HTTP_REQUEST_METHOD_VALUE_HEAD,
  HTTP_REQUEST_METHOD_VALUE_OPTIONS,
  HTTP_REQUEST_METHOD_VALUE_OTHER,
  HTTP_REQUEST_METHOD_VALUE_PATCH,
  HTTP_REQUEST_METHOD_VALUE_POST,
  HTTP_REQUEST_METHOD_VALUE_PUT,
  HTTP_REQUEST_METHOD_VALUE_TRACE,
  METRIC_HTTP_CLIENT_REQUEST_DURATION,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '@opentelemetry/semantic-conventions';
// Not stable yet in the conventions (development status): the one name taken from incubating.
import { METRIC_HTTP_SERVER_ACTIVE_REQUESTS } from '@opentelemetry/semantic-conventions/incubating';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_SCHEME,
} from './attributes.js';
import type { OnceLogger } from './diag.js';
import { Instruments, type MeterSource, secondsSince } from './metrics.js';
import { errorTypeOf } from './status.js';

/** The bucket boundaries the HTTP conventions advise for their duration histograms, in seconds. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

// The methods the HTTP conventions know; any other is `_OTHER`, so that a
// client sending made-up methods cannot make a new time series per method.
const METHODS = new Set<string>([
  HTTP_REQUEST_METHOD_VALUE_CONNECT,
  HTTP_REQUEST_METHOD_VALUE_DELETE,
  HTTP_REQUEST_METHOD_VALUE_GET,
  HTTP_REQUEST_METHOD_VALUE_HEAD,
  HTTP_REQUEST_METHOD_VALUE_OPTIONS,
  HTTP_REQUEST_METHOD_VALUE_PATCH,
  HTTP_REQUEST_METHOD_VALUE_POST,
  HTTP_REQUEST_METHOD_VALUE_PUT,
  HTTP_REQUEST_METHOD_VALUE_TRACE,
]);

/** `http.request.method` as a metric attribute: the method when the conventions know it, else `_OTHER`. */
export function metricMethod(method: string): string {
  return METHODS.has(method) ? method : HTTP_REQUEST_METHOD_VALUE_OTHER;
}

/** A duration histogram in seconds with the given advised buckets. */
export function durationHistogram(meter: Meter, name: string, description: string, buckets: number[]): Histogram {
  return meter.createHistogram(name, {
    description,
    unit: 's',
    advice: { explicitBucketBoundaries: buckets },
  });
}

interface ServerInstruments {
  duration: Histogram;
  active: UpDownCounter;
}

/** The outcome of a served request that its duration is recorded with. */
export interface ServerOutcome {
  route: string | undefined;
  statusCode: number | undefined;
  protocolVersion: string | undefined;
  errorType: string | undefined;
}

/** `http.server.request.duration` and `http.server.active_requests`, for the Express and Koa adapters. */
export class HttpServerMetrics {
  private readonly instruments: Instruments<ServerInstruments>;

  constructor(source: MeterSource, log: OnceLogger) {
    this.instruments = new Instruments(source, log, (meter) => ({
      duration: durationHistogram(
        meter,
        METRIC_HTTP_SERVER_REQUEST_DURATION,
        'Duration of HTTP server requests.',
        HTTP_DURATION_BUCKETS,
      ),
      active: meter.createUpDownCounter(METRIC_HTTP_SERVER_ACTIVE_REQUESTS, {
        description: 'Number of active HTTP server requests.',
        unit: '{request}',
      }),
    }));
  }

  /** Whether requests are measured now (a meter provider is there); cheap, asked per request. */
  get on(): boolean {
    return this.instruments.get() !== undefined;
  }

  /** Counts the request as active; returns the attributes it must be ended with. */
  begin(ctx: Context, method: string, scheme: string): Attributes | undefined {
    const instruments = this.instruments.get();
    if (instruments === undefined) return undefined;
    // Keyed stores, not a literal with computed keys (which goes through the runtime per key).
    const attributes: Attributes = {};
    attributes[ATTR_HTTP_REQUEST_METHOD] = metricMethod(method);
    attributes[ATTR_URL_SCHEME] = scheme;
    instruments.active.add(1, attributes, ctx);
    return attributes;
  }

  /** The request is no longer active; records its duration with its outcome. */
  end(ctx: Context, active: Attributes, start: number, outcome: ServerOutcome): void {
    const instruments = this.instruments.get();
    if (instruments === undefined) return;
    instruments.active.add(-1, active, ctx);
    // Always the same key order: the optional keys come last.
    const attributes: Attributes = {};
    attributes[ATTR_HTTP_REQUEST_METHOD] = active[ATTR_HTTP_REQUEST_METHOD];
    attributes[ATTR_URL_SCHEME] = active[ATTR_URL_SCHEME];
    attributes[ATTR_NETWORK_PROTOCOL_VERSION] = outcome.protocolVersion;
    if (outcome.route !== undefined) attributes[ATTR_HTTP_ROUTE] = outcome.route;
    if (outcome.statusCode !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = outcome.statusCode;
    if (outcome.errorType !== undefined) attributes[ATTR_ERROR_TYPE] = outcome.errorType;
    instruments.duration.record(secondsSince(start), attributes, ctx);
  }
}

/** `http.client.request.duration`, for the fetch adapter. */
export class HttpClientMetrics {
  private readonly instruments: Instruments<Histogram>;

  constructor(
    source: MeterSource,
    private readonly log: OnceLogger,
  ) {
    this.instruments = new Instruments(source, log, (meter) =>
      durationHistogram(
        meter,
        METRIC_HTTP_CLIENT_REQUEST_DURATION,
        'Duration of HTTP client requests.',
        HTTP_DURATION_BUCKETS,
      ),
    );
  }

  /**
   * The attributes a request is measured with, built once when it starts,
   * in a fixed key order; undefined when metrics are off.
   */
  begin(method: string, address: string | undefined, port: number | undefined, scheme: string): Attributes | undefined {
    if (this.instruments.get() === undefined) return undefined;
    const attributes: Attributes = {};
    attributes[ATTR_HTTP_REQUEST_METHOD] = metricMethod(method);
    if (address !== undefined) attributes[ATTR_SERVER_ADDRESS] = address;
    if (port !== undefined) attributes[ATTR_SERVER_PORT] = port;
    attributes[ATTR_URL_SCHEME] = scheme;
    return attributes;
  }

  /** Records the duration of a request `begin` measured, with its status and, by the span's rule, `error.type`. */
  end(ctx: Context, attributes: Attributes, start: number, statusCode: number | undefined, error: unknown): void {
    try {
      const histogram = this.instruments.get();
      if (histogram === undefined) return;
      if (statusCode !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = statusCode;
      const errorType = errorTypeOf(false, statusCode, error);
      if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType;
      histogram.record(secondsSince(start), attributes, ctx);
    } catch (failure) {
      this.log.warn('metrics', 'recording the request metrics failed', failure);
    }
  }
}
