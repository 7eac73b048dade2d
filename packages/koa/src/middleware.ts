import type { Readable } from 'node:stream';
import { context } from '@opentelemetry/api';
import {
  HttpServerTracing,
  isTraced,
  type ServerAdapter,
  type ServerRequest,
  type TracingOptions,
} from '@tracewire/core';
import type { DefaultContext, DefaultState, Middleware, Next, ParameterizedContext } from 'koa';
import { routeOf } from './route.js';
import { VERSION } from './version.js';

/** The core options; `ignore`, `requestHook` and `responseHook` receive Koa's `ctx`. */
export type KoaTracingOptions<C = ParameterizedContext> = TracingOptions<C, C>;

const ADAPTER: ServerAdapter<object> = { scope: { name: '@tracewire/koa', version: VERSION }, route: routeOf };

/**
 * Koa middleware that makes one SERVER span per request; use it first.
 * The span ends when the Node response closes (core listens for that), so a
 * streamed body is covered and the status is the one Koa finally wrote.
 */
export function tracing<StateT = DefaultState, ContextT = DefaultContext>(
  options?: KoaTracingOptions<ParameterizedContext<StateT, ContextT>>,
): Middleware<StateT, ContextT> {
  type Ctx = ParameterizedContext<StateT, ContextT>;
  const server = new HttpServerTracing<Ctx, Ctx>(ADAPTER, options);
  // Not async itself: an untraced request costs no extra promise.
  return function tracewire(ctx: Ctx, next: Next): Promise<unknown> {
    const started = server.start(ctx.req, ctx.res, ctx, ctx);
    if (started === undefined) return next();
    if (!isTraced(started)) return context.with(started, next);
    return traced(started, ctx, next);
  };
}

async function traced(request: ServerRequest<unknown, unknown>, ctx: { body?: unknown }, next: Next): Promise<void> {
  try {
    await context.with(request.ctx, next);
  } catch (error) {
    request.error = error;
    throw error;
  }
  watchStream(request, ctx.body);
}

/**
 * A streamed body can still fail after `next()` returned: Koa 3 then destroys
 * the response, Koa 2 leaves it open. Record that error on the span, so that
 * it does not pass for a client abort.
 */
function watchStream(request: ServerRequest<unknown, unknown>, body: unknown): void {
  if (typeof (body as Readable | null)?.pipe !== 'function' || request.ended) return;
  (body as Readable).once('error', (error) => {
    if (!request.ended) request.error = error;
  });
}
