// Shared by the Express suites: both Express majors, servers on 127.0.0.1, raw requests.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Express } from 'express';

export type ExpressModule = typeof import('express');
export type TracewireExpress = typeof import('@tracewire/express');

/** Real Express 4 and Express 5, installed side by side under aliases. */
export const EXPRESSES: [string, ExpressModule][] = [
  ['Express 4', require('express4') as ExpressModule],
  ['Express 5', require('express5') as ExpressModule],
];

export const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
export const PARENT_ID = 'b7ad6b7169203331';
export const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

/** A W3C traceparent with ids derived from `n`, all distinct. */
export function traceparentFor(n: number): { traceparent: string; traceId: string; spanId: string } {
  // Zero-padded so that different n never give the same id.
  const traceId = `a${(n + 1).toString(16).padStart(31, '0')}`;
  const spanId = `b${(n + 1).toString(16).padStart(15, '0')}`;
  return { traceparent: `00-${traceId}-${spanId}-01`, traceId, spanId };
}

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

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request through Node's http client (so that agents and sockets are under the test's control). */
export function send(
  port: number,
  path: string,
  init: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string; agent?: http.Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers, agent: init.agent },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
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
