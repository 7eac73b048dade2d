import type { IncomingMessage, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import { HttpServerTracing, isTraced, serverRequestOf, type TracingOptions } from '@tracewire/core';
import { extendAppPrototypes } from './prototypes.js';
import { routeOf } from './route.js';
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
    const started = server.start(req, res, req, res);
    if (started === undefined) {
      next();
      return;
    }
    // Only once a request of the app is traced: an untraced app stays as it was.
    extendAppPrototypes(req, res);
    if (isTraced(started)) {
      context.with(started.ctx, next);
      return;
    }
    context.with(started, next);
  };
}

/**
 * Records the error on the request's span and passes the same error on,
 * untouched. Mount it after the routes and before your own error handlers.
 */
export function tracingErrors(): TracingErrorMiddleware {
  // Four parameters: that is how Express tells an error handler apart.
  return function tracingErrorsMiddleware(err, req, _res, next) {
    const request = serverRequestOf(req);
    if (request !== undefined) request.error = err;
    next(err);
  };
}
