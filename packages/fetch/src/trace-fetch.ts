import { type Attributes, type Context, context, type Span } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  COMPONENT_HTTP,
  fetchHeadersSetter,
  HttpClientMetrics,
  headerAttribute,
  now,
  portOf,
  redactUrl,
  Tracer,
} from '@tracewire/core';
import { EXTRA_OPTIONS, type FetchRequestInfo, type FetchTracingOptions, validateFetchOptions } from './options.js';
import { headersOf, methodOf, requestOf, urlOf, withHeaders } from './request.js';
import { VERSION } from './version.js';

/** Any fetch-compatible function: Node's global fetch, undici's, a wrapper of either. */
// biome-ignore lint/suspicious/noExplicitAny: a fetch of any implementation, whatever its own argument types
export type FetchFunction = (input: any, init?: any) => Promise<any>;

type UntypedFetch = (input: unknown, init?: unknown) => unknown;

const SCOPE = { name: '@tracewire/fetch', version: VERSION };

/** The host without the brackets of an IPv6 literal, as `server.address` wants it. */
function hostOf(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/**
 * Wraps a fetch so that each call makes one CLIENT span, child of the active
 * span, and sends the trace context with the request. The result is the
 * wrapped fetch's own promise outcome: the same Response, the same error.
 */
export function traceFetch<F extends FetchFunction = typeof fetch>(fetchImpl?: F, options?: FetchTracingOptions): F {
  const impl = (fetchImpl ?? globalThis.fetch) as unknown as UntypedFetch;
  validateFetchOptions(impl, options);
  const tracer = new Tracer<FetchRequestInfo, Response>('client', SCOPE, options, EXTRA_OPTIONS);
  const propagateTo = options?.propagateTo;
  const capture = tracer.captureHeaders;
  const metrics = new HttpClientMetrics(tracer.meters, tracer.log);

  /** Ends the span, then records the duration when the call is measured (`measure` set). */
  function end(
    ctx: Context,
    span: Span,
    measure: Attributes | undefined,
    start: number,
    error: unknown,
    statusCode?: number,
  ): void {
    tracer.end(ctx, span, error, statusCode);
    if (measure !== undefined) metrics.end(ctx, measure, start, statusCode, error);
  }

  // Privacy first: only an explicit `true` sends trace headers.
  function propagatesTo(url: URL): boolean {
    if (propagateTo === undefined) return true;
    try {
      const result = propagateTo(url);
      tracer.log.rejection('propagateTo', 'propagateTo() rejected; no trace headers sent', result);
      if (typeof result !== 'boolean') {
        tracer.log.warn('propagateTo', `propagateTo() returned ${typeof result}, not a boolean; no trace headers sent`);
      }
      return result === true;
    } catch (error) {
      tracer.log.warn('propagateTo', 'propagateTo() threw; no trace headers sent', error);
      return false;
    }
  }

  function responded(
    ctx: Context,
    span: Span,
    measure: Attributes | undefined,
    start: number,
    response: Response,
  ): void {
    let statusCode: number | undefined;
    try {
      const status = response.status;
      // An opaque response has status 0: there is no HTTP status to report.
      if (typeof status === 'number' && status > 0) statusCode = status;
      if (capture.response.length > 0 && span.isRecording()) {
        for (const name of capture.response) {
          const value = response.headers.get(name);
          if (value !== null) span.setAttribute(headerAttribute('response', name), [value]);
        }
      }
    } catch (error) {
      tracer.log.warn('response', 'reading the response failed', error);
    }
    if (span.isRecording()) tracer.responseHook(span, response);
    end(ctx, span, measure, start, undefined, statusCode);
  }

  function tracedFetch(input: unknown, init?: RequestInit): unknown {
    let info: FetchRequestInfo;
    let headers: Headers | undefined;
    let outgoing = init;
    let propagate: boolean;
    let name: string;
    let attributes: Attributes;
    let measure: Attributes | undefined;
    let start = 0;
    // Everything that may throw on odd arguments runs before the span starts;
    // on a throw the call goes on untraced and fails (or not) as fetch decides.
    try {
      const request = requestOf(input);
      const url = urlOf(input, request);
      const method = methodOf(init, request);
      info = { method, url, input, init };
      if (tracer.ignores(info)) return impl(input, init);
      start = now();
      propagate = propagatesTo(url);
      if (propagate || capture.request.length > 0) headers = headersOf(init, request);
      if (propagate) outgoing = withHeaders(init, headers as Headers);
      const path = url.pathname;
      const full = redactUrl(url);
      name = `${method} ${path}`;
      if (tracer.renames) name = tracer.name({ kind: 'client', method, path, url: full }, name);
      attributes = { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_FULL]: full };
      const host = hostOf(url);
      if (host !== '') attributes[ATTR_SERVER_ADDRESS] = host;
      const port = portOf(url);
      if (port !== undefined) attributes[ATTR_SERVER_PORT] = port;
      measure = metrics.begin(method, host === '' ? undefined : host, port, url.protocol.slice(0, -1));
    } catch (error) {
      tracer.log.warn('request', 'reading the fetch arguments failed; the call goes on untraced', error);
      return impl(input, init);
    }

    // When `propagateTo` says no, the span is still started, with no carrier: nothing is injected.
    const { ctx, span } = propagate
      ? tracer.start(context.active(), COMPONENT_HTTP, name, headers as Headers, fetchHeadersSetter, attributes)
      : tracer.start(context.active(), COMPONENT_HTTP, name, undefined, undefined, attributes);
    if (span.isRecording()) {
      if (headers !== undefined && capture.request.length > 0) {
        try {
          for (const header of capture.request) {
            const value = headers.get(header);
            if (value !== null) span.setAttribute(headerAttribute('request', header), [value]);
          }
        } catch (error) {
          tracer.log.warn('request headers', 'recording request headers failed', error);
        }
      }
      tracer.requestHook(span, info);
    }

    let result: unknown;
    try {
      // The span is active while the wrapped fetch runs, for anything it traces or logs.
      result = context.with(ctx, impl, undefined, input, outgoing);
    } catch (error) {
      end(ctx, span, measure, start, error);
      throw error;
    }
    if (!isThenable(result)) {
      responded(ctx, span, measure, start, result as Response);
      return result;
    }
    return result.then(
      (response) => {
        responded(ctx, span, measure, start, response as Response);
        return response;
      },
      (error: unknown) => {
        end(ctx, span, measure, start, error);
        throw error;
      },
    );
  }

  return tracedFetch as unknown as F;
}
