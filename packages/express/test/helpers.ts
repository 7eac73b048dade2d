// Shared by the Express suites: both Express majors, servers on 127.0.0.1, raw requests.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Express } from 'express';
import type { Reply } from '../../../test/support/http';

export type ExpressModule = typeof import('express');
export type TracewireExpress = typeof import('@tracewire/express');

/** Real Express 4 and Express 5, installed side by side under aliases. */
export const EXPRESSES: [string, ExpressModule][] = [
  ['Express 4', require('express4') as ExpressModule],
  ['Express 5', require('express5') as ExpressModule],
];

export { PARENT_ID, type Reply, send, TRACE_ID, TRACEPARENT, traceparentFor } from '../../../test/support/http';

const servers = new Set<http.Server>();

/** Serves `app` on 127.0.0.1, port 0; `closeAll()` closes every such server. */
export async function listen(app: Express): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(app);
  servers.add(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

export async function closeAll(): Promise<void> {
  const closing = [...servers].map((server) => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  servers.clear();
  await Promise.all(closing);
}

/** What a client sees of a response, without the headers that vary between two runs. */
export function observable(reply: Reply): Reply {
  const { date: _date, 'keep-alive': _keepAlive, connection: _connection, ...headers } = reply.headers;
  return { status: reply.status, headers, body: reply.body };
}

export function exceptionEvents(span: ReadableSpan | undefined) {
  return span?.events.filter((event) => event.name === 'exception') ?? [];
}

export function defer(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
