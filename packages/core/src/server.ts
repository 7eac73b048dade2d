import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  propagation,
  type Span,
  SpanStatusCode,
} from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
  COMPONENT_HTTP,
  headerAttribute,
} from './attributes.js';
import { nodeHeadersGetter } from './carriers.js';
import { bindEvents, holderOf } from './events.js';
import { HttpServerMetrics } from './http-metrics.js';
import { now } from './metrics.js';
import type { TracingOptions } from './options.js';
import { errorTypeOf } from './status.js';
import { type InstrumentationScope, Tracer } from './tracer.js';

/** What an HTTP server adapter tells core about its framework. */
export interface ServerAdapter<Req> {
  scope: InstrumentationScope;
  /** The matched route template with every mounted prefix, read when the span ends. */
  route(req: Req): string | undefined;
}

/** One traced request. Adapters keep it to report an escaped exception. */
export interface ServerRequest<Req, Res> {
  readonly ctx: Context;
  readonly span: Span;
  /** The exception that escaped the handlers, if any; read when the span ends. */
  error: unknown;
  readonly method: string;
  readonly path: string;
  readonly req: Req;
  readonly res: Res;
  readonly tracing: HttpServerTracing<Req, Res>;
  ended: boolean;
  /** The route template, when the adapter captured it itself; else `ServerAdapter.route` is asked at the end. */
  route: string | undefined;
  /** Free for the adapter's own per-request state, so it need not add properties to Node's req. */
  data: unknown;
  /** The Node response whose 'close' ends the span. */
  readonly nodeRes: ServerResponse;
  /** Called by the bound `emit` after 'close' (see events.ts): ends the span when it is the response's. */
  closed(emitter: object): void;
  /** When metrics are on: the `now()` the request started at, and its active-requests attributes. */
  readonly startTime: number;
  readonly active: Attributes | undefined;
}

/** `error.type` of a request the client went away from before the response was complete. */
export const ERROR_TYPE_ABORTED = 'aborted';

/** The path part of a request target, without the query string. */
export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * What the span starts with, for samplers to see. One keyed store per key at
 * its own site stays monomorphic; an object literal with computed keys goes
 * through the runtime for each one.
 */
function startAttributes(method: string, path: string, secure: boolean): Attributes {
  const attributes: Attributes = {};
  attributes[ATTR_HTTP_REQUEST_METHOD] = method;
  attributes[ATTR_URL_PATH] = path;
  attributes[ATTR_URL_SCHEME] = secure ? 'https' : 'http';
  return attributes;
}

/** `server.address` and `server.port` from the Host header, IPv6 literals included. */
function recordServer(span: Span, host: string | undefined, secure: boolean): void {
  if (!host) return;
  const bracket = host.startsWith('[') ? host.indexOf(']') : -1;
  const colon = host.indexOf(':', bracket + 1);
  const name = colon === -1 ? host : host.slice(0, colon);
  const port = colon === -1 ? Number.NaN : Number(host.slice(colon + 1));
  span.setAttribute(ATTR_SERVER_ADDRESS, bracket === -1 ? name : name.slice(1, bracket));
  span.setAttribute(ATTR_SERVER_PORT, Number.isInteger(port) ? port : secure ? 443 : 80);
}

function headerValues(value: string | string[] | number | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [String(value)];
}

/**
 * The server span of a Node HTTP request, shared by the Express and Koa
 * adapters: ignore, extract, start, attributes, and one end when the
 * response closes, whichever way it closes.
 */
export class HttpServerTracing<Req, Res> {
  readonly tracer: Tracer<Req, Res>;
  private readonly metrics: HttpServerMetrics;

  constructor(
    private readonly adapter: ServerAdapter<Req>,
    options: TracingOptions<Req, Res> = {},
  ) {
    this.tracer = new Tracer('server', adapter.scope, options);
    this.metrics = new HttpServerMetrics(this.tracer.meters, this.tracer.log);
  }

  /**
   * Starts the span of a request and arranges its end. `req`/`res` are what
   * the hooks see (Express's req and res, Koa's ctx). Returns a
   * `ServerRequest` when a span records or metrics are on (sampled or not,
   * the request is measured, and ends through `finish`); a bare `Context` to run the request
   * in when there is only context to carry on (ignored or unsampled, with
   * incoming trace headers); undefined when there is nothing at all to do,
   * and the adapter just calls the next middleware. Never throws.
   */
  start(
    nodeReq: IncomingMessage,
    nodeRes: ServerResponse,
    req: Req,
    res: Res,
  ): ServerRequest<Req, Res> | Context | undefined {
    try {
      return this.begin(nodeReq, nodeRes, req, res);
    } catch (error) {
      this.tracer.log.warn('start', 'tracing the request failed; it is served untraced', error);
      return undefined;
    }
  }

  private begin(
    nodeReq: IncomingMessage,
    nodeRes: ServerResponse,
    req: Req,
    res: Res,
  ): ServerRequest<Req, Res> | Context | undefined {
    const headers = nodeReq.headers;
    const metered = this.metrics.on;
    // No SDK and no trace headers: nothing to record or carry on, so touch nothing.
    if (!metered && this.tracer.recordsNothing() && !this.tracer.carries(headers, nodeHeadersGetter)) {
      return undefined;
    }
    const parent = context.active();
    if (this.tracer.ignores(req)) {
      if (!this.tracer.carries(headers, nodeHeadersGetter)) return undefined;
      return carryOn(nodeReq, nodeRes, this.tracer.extract(parent, headers, nodeHeadersGetter));
    }
    const startTime = metered ? now() : 0;
    const method = nodeReq.method ?? 'GET';
    const path = pathOf(nodeReq.url);
    const secure = (nodeReq.socket as TLSSocket | undefined)?.encrypted === true;
    const { ctx, span } = this.tracer.start(
      parent,
      COMPONENT_HTTP,
      `${method} ${path}`,
      headers,
      nodeHeadersGetter,
      startAttributes(method, path, secure),
    );
    const recording = span.isRecording();
    if (!recording && !metered) {
      // No SDK, or not sampled, and no metrics: nothing to end. Carry the context on only if
      // it holds something to propagate (a valid span context or baggage).
      if (!isSpanContextValid(span.spanContext()) && propagation.getBaggage(ctx) === undefined) return undefined;
      return carryOn(nodeReq, nodeRes, ctx);
    }
    const request: ServerRequest<Req, Res> = {
      ctx,
      span,
      error: undefined,
      method,
      path,
      req,
      res,
      tracing: this,
      ended: false,
      route: undefined,
      data: undefined,
      nodeRes,
      closed: onClosed,
      startTime,
      active: metered ? this.metrics.begin(ctx, method, secure ? 'https' : 'http') : undefined,
    };
    if (recording) {
      try {
        this.recordRequest(span, nodeReq, headers, secure);
      } catch (error) {
        this.tracer.log.warn('attributes', 'reading request attributes failed', error);
      }
      this.tracer.requestHook(span, req);
    }
    // The response's 'close' ends the span (and the measure), through the bound emit: no listener per request.
    bindEvents(nodeReq, request);
    bindEvents(nodeRes, request);
    return request;
  }

  private recordRequest(span: Span, nodeReq: IncomingMessage, headers: IncomingHttpHeaders, secure: boolean): void {
    recordServer(span, headers.host, secure);
    const socket = nodeReq.socket;
    // Each read of these asks the socket's handle again: once each.
    const address = socket?.remoteAddress;
    if (address) {
      span.setAttribute(ATTR_CLIENT_ADDRESS, address);
      span.setAttribute(ATTR_NETWORK_PEER_ADDRESS, address);
    }
    const port = socket?.remotePort;
    if (port !== undefined) span.setAttribute(ATTR_NETWORK_PEER_PORT, port);
    if (headers['user-agent'] !== undefined) span.setAttribute(ATTR_USER_AGENT_ORIGINAL, headers['user-agent']);
    span.setAttribute(ATTR_NETWORK_PROTOCOL_VERSION, nodeReq.httpVersion);
    for (const name of this.tracer.captureHeaders.request) {
      const values = headerValues(headers[name]);
      if (values) span.setAttribute(headerAttribute('request', name), values);
    }
  }

  /** Ends the span once: name from the route, response attributes, status by the contract; then the measure. */
  finish(request: ServerRequest<Req, Res>, nodeRes: ServerResponse): void {
    if (request.ended) return;
    request.ended = true;
    const { span, active } = request;
    const statusCode = nodeRes.headersSent ? nodeRes.statusCode : undefined;
    const recording = span.isRecording();
    const route = recording || active !== undefined ? (request.route ?? this.route(request.req)) : undefined;
    // The client went away before the response was complete.
    const aborted = !nodeRes.writableFinished;
    if (recording) {
      try {
        const fallback = `${request.method} ${route ?? request.path}`;
        span.updateName(
          this.tracer.renames
            ? this.tracer.name({ kind: 'server', method: request.method, path: request.path, route }, fallback)
            : fallback,
        );
        if (route !== undefined) span.setAttribute(ATTR_HTTP_ROUTE, route);
        for (const name of this.tracer.captureHeaders.response) {
          const values = headerValues(nodeRes.getHeader(name));
          if (values) span.setAttribute(headerAttribute('response', name), values);
        }
        if (aborted) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'request aborted by the client' });
          span.setAttribute(ATTR_ERROR_TYPE, ERROR_TYPE_ABORTED);
        }
      } catch (error) {
        this.tracer.log.warn('attributes', 'reading response attributes failed', error);
      }
      this.tracer.responseHook(span, request.res);
    }
    this.tracer.end(request.ctx, span, request.error, statusCode);
    if (active !== undefined) this.measure(request, active, route, statusCode, aborted);
  }

  private measure(
    request: ServerRequest<Req, Res>,
    active: Attributes,
    route: string | undefined,
    statusCode: number | undefined,
    aborted: boolean,
  ): void {
    try {
      this.metrics.end(request.ctx, active, request.startTime, {
        route,
        statusCode,
        protocolVersion: request.nodeRes.req?.httpVersion,
        // The span's rule (tracer.end over the abort above): a failure's type wins over the abort.
        errorType: errorTypeOf(true, statusCode, request.error) ?? (aborted ? ERROR_TYPE_ABORTED : undefined),
      });
    } catch (error) {
      this.tracer.log.warn('metrics', 'recording the request metrics failed', error);
    }
  }

  private route(req: Req): string | undefined {
    try {
      const route = this.adapter.route(req);
      return typeof route === 'string' && route !== '' ? route : undefined;
    } catch (error) {
      this.tracer.log.warn('route', 'reading the matched route failed', error);
      return undefined;
    }
  }
}

/** Runs the listeners of `req` and `res` ('data', 'end', 'finish', ...) in `ctx`, too. */
function carryOn(nodeReq: IncomingMessage, nodeRes: ServerResponse, ctx: Context): Context {
  const holder = { ctx };
  bindEvents(nodeReq, holder);
  bindEvents(nodeRes, holder);
  return ctx;
}

/** The traced request a Node `req` or `res` belongs to, if `start` traced it. */
export function serverRequestOf(nodeReqOrRes: object): ServerRequest<unknown, unknown> | undefined {
  const holder = holderOf(nodeReqOrRes);
  return holder !== undefined && isTraced(holder as ServerRequest<unknown, unknown>)
    ? (holder as ServerRequest<unknown, unknown>)
    : undefined;
}

/** Whether `start` traced the request (it returns a bare Context when ignored). */
export function isTraced<Req, Res>(value: ServerRequest<Req, Res> | Context): value is ServerRequest<Req, Res> {
  return (value as ServerRequest<Req, Res>).tracing !== undefined;
}

// Shared by every request: `this` is the request's state.
function onClosed(this: ServerRequest<unknown, unknown>, emitter: object): void {
  if (emitter === this.nodeRes) this.tracing.finish(this, this.nodeRes);
}
