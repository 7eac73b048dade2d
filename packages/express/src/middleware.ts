import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Context, context } from '@opentelemetry/api';
import { bindEvents, HttpServerTracing, isTraced, type ServerRequest, type TracingOptions } from '@tracewire/core';
import { captureRoute, routeOf } from './route.js';
import { VERSION } from './version.js';

/** Express's `next`. */
export type NextFunction = (err?: unknown) => void;

/** What `app.use(tracing())` receives: a regular three-argument middleware. */
export type TracingMiddleware<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
> = (req: Req, res: Res, next: NextFunction) => void;

/** What `app.use(tracingErrors())` receives: a four-argument error-handling middleware. */
export type TracingErrorMiddleware = (
  err: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: NextFunction,
) => void;

const SCOPE = { name: '@tracewire/express', version: VERSION };

// Where tracingErrors() finds the request's span.
const kRequest = Symbol('tracewire.express.request');
type TracedRequest = IncomingMessage & { [kRequest]?: ServerRequest<unknown, unknown> };

/**
 * One SERVER span per request. Mount it first, `app.use(tracing())`, so that
 * every later middleware and handler runs inside the span. Hooks receive
 * Express's `req` and `res`; type them with `tracing<Request, Response>()`.
 */
export function tracing<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  options?: TracingOptions<Req, Res>,
): TracingMiddleware<Req, Res> {
  const server = new HttpServerTracing<Req, Res>({ scope: SCOPE, route: routeOf }, options);
  return function tracingMiddleware(req, res, next) {
    let ctx: Context;
    try {
      const started = server.start(req, res, req, res);
      if (isTraced(started)) {
        (req as TracedRequest)[kRequest] = started as ServerRequest<unknown, unknown>;
        captureRoute(req);
        ctx = started.ctx;
      } else {
        ctx = started;
      }
      // Listeners on req and res ('end', 'finish', ...) run in the request's context too.
      bindEvents(req, ctx);
      bindEvents(res, ctx);
    } catch (error) {
      server.tracer.log.warn('start', 'tracing the request failed; it is served untraced', error);
      next();
      return;
    }
    context.with(ctx, next);
  };
}

/**
 * Records the error on the request's span and passes the same error on,
 * untouched. Mount it after the routes and before your own error handlers.
 */
export function tracingErrors(): TracingErrorMiddleware {
  // Four parameters: that is how Express tells an error handler apart.
  return function tracingErrorsMiddleware(err, req, _res, next) {
    const request = (req as TracedRequest)[kRequest];
    if (request !== undefined) request.error = err;
    next(err);
  };
}
