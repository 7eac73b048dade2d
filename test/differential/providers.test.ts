// The same requests through both providers `setupTracing` offers: the OTel
// SDK's and ours. What reaches the exporter must be the same field by field
// (names, kinds, parent links, attributes, status, events, links, resource,
// scope), apart from ids, times and the ports the servers got.
import type { AddressInfo } from 'node:net';
import { type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Express } from 'express';
import type Koa from 'koa';
import { nodeSuite } from '../../packages/node/test/harness';
import { BUILDS, load } from '../support/builds';
import { send, TRACE_ID, TRACEPARENT } from '../support/http';

type Express5 = typeof import('express');
type Koa3 = typeof import('koa');
type TracewireExpress = typeof import('@tracewire/express');
type TracewireKoa = typeof import('@tracewire/koa');
type TracewireFetch = typeof import('@tracewire/fetch');

const PROVIDERS = ['otel', 'tracewire'] as const;

interface Apps {
  express: TracewireExpress;
  koa: TracewireKoa;
  fetch: TracewireFetch;
}

/** A user service (Express) that calls a message service (Koa) through traceFetch, and user code on the API. */
async function runRequests(apps: Apps): Promise<void> {
  const express = require('express5') as Express5;
  const KoaClass = require('koa3') as Koa3;
  const koa: Koa = new KoaClass();
  koa.silent = true;
  koa.use(apps.koa.tracing());
  koa.use(async (ctx) => {
    if (ctx.path === '/fail') ctx.throw(502, 'upstream down');
    const tracer = trace.getTracer('message-store', '2.0.0');
    ctx.body = await tracer.startActiveSpan(
      'load messages',
      { attributes: { 'db.system': 'memory' } },
      async (span: Span) => {
        span.addEvent('cache miss', { 'cache.key': 'messages' });
        span.setAttribute('messages.count', 3);
        span.addLink({
          context: { traceId: TRACE_ID, spanId: '00f067aa0ba902b7', traceFlags: 1 },
          attributes: { why: 'batch' },
        });
        span.recordException(new RangeError('page out of range'));
        span.setStatus({ code: SpanStatusCode.OK });
        span.end();
        return ['a', 'b', 'c'];
      },
    );
  });
  const koaServer = koa.listen(0, '127.0.0.1');
  await new Promise((resolve) => koaServer.once('listening', resolve));
  const koaPort = (koaServer.address() as AddressInfo).port;

  const tracedFetch = apps.fetch.traceFetch(fetch);
  const app: Express = express();
  app.use(apps.express.tracing());
  app.get('/users/:id', async (_req, res) => {
    const answer = await tracedFetch(`http://127.0.0.1:${koaPort}/messages`);
    res.json({ messages: await answer.json() });
  });
  app.get('/upstream', async (_req, res) => {
    const answer = await tracedFetch(`http://127.0.0.1:${koaPort}/fail`);
    res.status(answer.status).end();
  });
  app.get('/boom', () => {
    throw new TypeError('handler failed');
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    expect((await send(port, '/users/42')).status).toBe(200);
    expect(
      (await send(port, '/users/7?token=secret', { headers: { traceparent: TRACEPARENT, tracestate: 'v=1' } })).status,
    ).toBe(200);
    expect((await send(port, '/upstream')).status).toBe(502);
    expect((await send(port, '/boom')).status).toBe(500);
    expect((await send(port, '/nowhere', { method: 'POST' })).status).toBe(404);
    // An unsampled parent: the default sampler follows it, nothing is exported.
    expect(
      (await send(port, '/users/9', { headers: { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-00` } })).status,
    ).toBe(200);
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await new Promise((resolve) => koaServer.close(resolve));
  }
}

/**
 * Five sampled requests: each a user-service SERVER span; three go on to the
 * message service (a fetch CLIENT and a Koa SERVER span each), two of them with
 * a user-code INTERNAL span there.
 */
const EXPECTED_SPANS = 5 + 3 * 2 + 2;

const PORT_KEYS = new Set(['server.port', 'network.peer.port', 'client.port']);

/** A span without ids and times: its parent named by the parent's name (or "remote"), ports and stack lines masked. */
function comparable(span: ReadableSpan, all: ReadableSpan[]) {
  const parentId = span.parentSpanContext?.spanId;
  const parent = all.find((other) => other.spanContext().spanId === parentId);
  const mask = (attributes: ReadableSpan['attributes'] = {}) =>
    Object.fromEntries(
      Object.entries(attributes).map(([key, value]) => [
        key,
        PORT_KEYS.has(key)
          ? 'PORT'
          : key === 'exception.stacktrace'
            ? // Below its first line, a stack shows the provider's own frames.
              String(value).split('\n')[0]
            : typeof value === 'string'
              ? value.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
              : value,
      ]),
    );
  return {
    name: span.name,
    kind: span.kind,
    parent:
      parentId === undefined
        ? null
        : parent
          ? `${parent.kind} ${parent.name}`
          : span.parentSpanContext?.isRemote
            ? 'remote'
            : 'missing',
    sameTraceAsParent: parent === undefined || parent.spanContext().traceId === span.spanContext().traceId,
    traceFlags: span.spanContext().traceFlags,
    traceState: span.spanContext().traceState?.serialize(),
    attributes: mask(span.attributes),
    status: span.status,
    events: span.events.map((event) => ({
      name: event.name,
      attributes: mask(event.attributes),
      droppedAttributesCount: event.droppedAttributesCount ?? 0,
    })),
    links: span.links.map((link) => ({ context: link.context, attributes: link.attributes ?? {} })),
    dropped: [span.droppedAttributesCount, span.droppedEventsCount, span.droppedLinksCount],
    resource: span.resource.attributes,
    scope: span.instrumentationScope,
  };
}

describe.each(BUILDS)('both providers, the same spans (%s build)', (build) => {
  const suite = nodeSuite(build);

  it('exports the same spans for the same requests, ids and times apart', async () => {
    const apps: Apps = {
      express: await load<TracewireExpress>('@tracewire/express', build),
      koa: await load<TracewireKoa>('@tracewire/koa', build),
      fetch: await load<TracewireFetch>('@tracewire/fetch', build),
    };
    const results: Record<string, unknown[]> = {};
    for (const provider of PROVIDERS) {
      const exporter = new InMemorySpanExporter();
      const tracing = suite.setup({
        provider,
        exporter,
        serviceName: 'differential',
        resource: { 'deployment.environment.name': 'test' },
      });
      await runRequests(apps);
      // Read before shutdown: the in-memory exporter forgets its spans when shut down.
      await tracing.forceFlush();
      const spans = exporter.getFinishedSpans();
      await tracing.shutdown();
      suite.tracing = undefined;
      trace.disable();
      results[provider] = spans
        .map((span) => comparable(span, spans))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    }
    expect(results.otel).toHaveLength(EXPECTED_SPANS);
    expect(results.tracewire).toEqual(results.otel);
  });
});
