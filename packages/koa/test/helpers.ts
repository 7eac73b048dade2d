export { hostProcess } from '../../../test/support/process';

// Shared by the Koa suites: both Koa majors, a server on 127.0.0.1, raw requests.
import { once } from 'node:events';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Span, Tracer, TracerProvider } from '@opentelemetry/api';
import type KoaApplication from 'koa';
import { type Reply, send } from '../../../test/support/http';

export type KoaClass = typeof KoaApplication;
export type KoaModule = typeof import('@tracewire/koa');

/** Real Koa 2 and Koa 3, installed side by side under aliases. */
export const KOAS: [string, KoaClass][] = [
  ['Koa 2', require('koa2') as KoaClass],
  ['Koa 3', require('koa3') as KoaClass],
];

export { PARENT_ID, TRACE_ID, TRACEPARENT } from '../../../test/support/http';

/** A Koa app that does not log the errors it is made to throw. */
export function quietApp(Koa: KoaClass): KoaApplication {
  const app = new Koa();
  app.silent = true;
  return app;
}

export async function listen(app: KoaApplication): Promise<http.Server> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

export function portOf(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}

export async function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

export type RawResponse = Reply;

/** One request through node:http, for what supertest cannot do (agents, aborts, broken streams). */
export function get(
  server: http.Server,
  path: string,
  options: { headers?: http.OutgoingHttpHeaders; agent?: http.Agent } = {},
): Promise<RawResponse> {
  return send(portOf(server), path, options);
}

/** Wraps a provider so that a test can count how often each span's end() is called. */
export function countingEnds(provider: TracerProvider): { provider: TracerProvider; ends: Map<Span, number> } {
  const ends = new Map<Span, number>();
  const wrap = (tracer: Tracer): Tracer =>
    ({
      startSpan(...args: Parameters<Tracer['startSpan']>) {
        const span = tracer.startSpan(...args);
        const end = span.end.bind(span);
        ends.set(span, 0);
        span.end = (...endArgs) => {
          ends.set(span, (ends.get(span) ?? 0) + 1);
          end(...endArgs);
        };
        return span;
      },
      startActiveSpan: tracer.startActiveSpan.bind(tracer),
    }) as Tracer;
  return {
    provider: { getTracer: (name, version, options) => wrap(provider.getTracer(name, version, options)) },
    ends,
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Listener count per event of an emitter, to see that a long-lived socket does not collect them. */
export function listenerCounts(emitter: import('node:events').EventEmitter): Record<string, number> {
  return Object.fromEntries(emitter.eventNames().map((name) => [String(name), emitter.listenerCount(name)]));
}
