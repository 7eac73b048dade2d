// The apps the reliability suite drives: the same routes on Express 5 and on
// Koa 3, traced (with @tracewire/express or @tracewire/koa, and traceFetch for
// the downstream call) or untraced, so that a response can be compared with
// what the app alone returns. Servers listen on 127.0.0.1, port 0.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { Router } from '@koa/router';
import type { TracerProvider } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { type Reply, send as sendRequest } from '../../support/http';

export type Framework = 'express' | 'koa';
export const FRAMEWORKS: Framework[] = ['express', 'koa'];

export interface Tracewire {
  express: typeof import('@tracewire/express');
  koa: typeof import('@tracewire/koa');
  fetch: typeof import('@tracewire/fetch');
}

/** Options given to the adapter (`tracing(options)`), or none for the untraced twin. */
export type AppTracing = { tracewire: Tracewire; options: Record<string, unknown> } | undefined;

export interface AppConfig {
  framework: Framework;
  tracing: AppTracing;
  /** Base URL that GET /down/:id calls through (traced) fetch. */
  downstream?: string;
  /** Where traceFetch makes its spans. */
  tracerProvider?: TracerProvider;
  /** More options for traceFetch. */
  fetchOptions?: Record<string, unknown>;
}

class AppError extends Error {
  override name = 'AppError';
}

const USER = { name: 'Ada Lovelace', roles: ['admin', 'author'] };

/**
 * Routes (same answers on both frameworks):
 * GET /users/:id  200 JSON, header x-app
 * GET /down/:id   calls `${downstream}/seen/:id`, 200 JSON with the downstream status
 * GET /fail/:id   the handler throws: 500 JSON {error}
 * GET /login      sets a session cookie
 * GET /teapot     418 text
 * GET /slow/:ms/:id  answers after :ms milliseconds
 */
export function createApp(config: AppConfig): http.RequestListener {
  const { tracing } = config;
  const fetch = tracing
    ? tracing.tracewire.fetch.traceFetch(globalThis.fetch, {
        tracerProvider: config.tracerProvider,
        ...config.fetchOptions,
      })
    : globalThis.fetch;
  const down = async (id: string) => {
    const response = await fetch(`${config.downstream}/seen/${encodeURIComponent(id)}`);
    await response.text();
    return { id, downstream: response.status };
  };
  const wait = (ms: string) => new Promise((resolve) => setTimeout(resolve, Math.min(Number(ms) || 0, 5000)));

  if (config.framework === 'express') {
    const express = require('express5') as typeof import('express');
    const app = express();
    if (tracing) app.use(tracing.tracewire.express.tracing(tracing.options));
    app.get('/users/:id', (req, res) => {
      res.set('x-app', 'yes').json({ ...USER, id: req.params.id });
    });
    app.get('/down/:id', async (req, res) => {
      res.json(await down(req.params.id));
    });
    app.get('/fail/:id', () => {
      throw new AppError('boom');
    });
    app.get('/login', (_req, res) => {
      res.cookie('session', 's3cr3t-session').send('welcome');
    });
    app.get('/teapot', (_req, res) => {
      res.status(418).type('text').send('short and stout');
    });
    app.get('/slow/:ms/:id', async (req, res) => {
      await wait(req.params.ms);
      res.json({ waited: req.params.ms });
    });
    if (tracing) app.use(tracing.tracewire.express.tracingErrors());
    app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).json({ error: error.message });
    });
    return app;
  }

  const Koa = require('koa3') as typeof import('koa');
  const app = new Koa();
  // The app's own error handler, first: it answers every escaped error with 500 JSON.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      ctx.status = 500;
      ctx.body = { error: (error as Error).message };
    }
  });
  if (tracing) app.use(tracing.tracewire.koa.tracing(tracing.options));
  const router = new Router();
  router.get('/users/:id', (ctx) => {
    ctx.set('x-app', 'yes');
    ctx.body = { ...USER, id: ctx.params.id };
  });
  router.get('/down/:id', async (ctx) => {
    ctx.body = await down(ctx.params.id as string);
  });
  router.get('/fail/:id', () => {
    throw new AppError('boom');
  });
  router.get('/login', (ctx) => {
    ctx.cookies.set('session', 's3cr3t-session', { signed: false });
    ctx.body = 'welcome';
  });
  router.get('/teapot', (ctx) => {
    ctx.status = 418;
    ctx.type = 'text';
    ctx.body = 'short and stout';
  });
  router.get('/slow/:ms/:id', async (ctx) => {
    await wait(ctx.params.ms as string);
    ctx.body = { waited: ctx.params.ms };
  });
  app.use(router.routes());
  return app.callback();
}

export interface Served {
  port: number;
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1, any port. `maxHeaderSize` raises Node's 16 KB header limit. */
export async function serve(handler: http.RequestListener, maxHeaderSize?: number): Promise<Served> {
  const server = http.createServer(maxHeaderSize ? { maxHeaderSize } : {}, handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Records the headers of every request to /seen/:id, by id; answers 200 "ok". */
export async function startDownstream(): Promise<Served & { seen: Map<string, http.IncomingHttpHeaders> }> {
  const seen = new Map<string, http.IncomingHttpHeaders>();
  const served = await serve((req, res) => {
    const match = /^\/seen\/([^/?]+)/.exec(req.url ?? '');
    if (match) seen.set(decodeURIComponent(match[1] as string), req.headers);
    res.end('ok');
  });
  return { ...served, seen };
}

export type { Reply };

/** One request through Node's http client; repeated headers are sent as arrays of values. */
export function send(port: number, path: string, headers: http.OutgoingHttpHeaders = {}, agent?: http.Agent) {
  return sendRequest(port, path, { headers, agent });
}

/** Sends raw bytes on a new connection and returns everything the server wrote until it closed or went quiet. */
export function sendRaw(port: number, bytes: Buffer, quietMs = 300): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    });
    socket.on('end', finish);
    socket.on('close', finish);
    // Node 24 and later reset the connection after refusing a request (431) that
    // is still being written: what was answered before the reset is the answer.
    socket.on('error', (error) => (chunks.length > 0 ? finish() : reject(error)));
    socket.write(bytes);
  });
}

/** What a client sees of a response, minus what differs between any two runs (date, connection). */
export function observable(reply: Reply): Reply {
  const { date: _date, connection: _connection, 'keep-alive': _keepAlive, ...headers } = reply.headers;
  return { status: reply.status, headers, body: reply.body };
}

/** A raw HTTP response without its Date header, for comparing two servers. */
export function withoutDate(raw: string): string {
  return raw.replace(/\r\nDate: [^\r]*/i, '');
}
