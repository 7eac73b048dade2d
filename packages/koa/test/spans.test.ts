import { Router } from '@koa/router';
import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import request from 'supertest';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing, waitForSpans } from '../../../test/support/otel';
import {
  close,
  KOAS,
  type KoaClass,
  type KoaModule,
  listen,
  PARENT_ID,
  portOf,
  quietApp,
  TRACE_ID,
  TRACEPARENT,
} from './helpers';

const otel = memoryTracing();
afterAll(() => otel.close());

describe.each(BUILDS)('@tracewire/koa span attributes (%s build)', (build) => {
  let koa: KoaModule;
  beforeAll(async () => {
    koa = await load<KoaModule>('@tracewire/koa', build);
  });
  afterEach(() => otel.reset());

  test('VERSION matches package.json', () => {
    expect(koa.VERSION).toBe(require('../package.json').version);
  });

  describe.each(KOAS)('%s', (_name, Koa: KoaClass) => {
    function usersApp(options = {}) {
      const app = quietApp(Koa);
      app.use(koa.tracing({ tracerProvider: otel.provider, ...options }));
      const router = new Router({ prefix: '/api' });
      router.get('/users/:id', (ctx) => {
        ctx.set('x-served-by', 'users');
        ctx.body = { id: ctx.params.id };
      });
      app.use(router.routes()).use(router.allowedMethods());
      app.use((ctx) => {
        if (ctx.path.startsWith('/static/')) ctx.body = 'file';
      });
      return app;
    }

    test('a routed request: kind, name, scope, component and every attribute', async () => {
      const server = await listen(usersApp());
      try {
        const res = await request(server)
          .get('/api/users/42?token=secret')
          .set('traceparent', TRACEPARENT)
          .set('user-agent', 'contract-test/1.0');
        expect(res.status).toBe(200);
        const [span] = await waitForSpans(otel.spans, 1);
        expect(span?.kind).toBe(SpanKind.SERVER);
        expect(span?.name).toBe('GET /api/users/:id');
        expect(span?.instrumentationScope).toEqual({
          name: '@tracewire/koa',
          version: koa.VERSION,
          schemaUrl: undefined,
        });
        expect(span?.spanContext().traceId).toBe(TRACE_ID);
        expect(span?.parentSpanContext?.spanId).toBe(PARENT_ID);
        expect(span?.status).toEqual({ code: SpanStatusCode.UNSET });
        expect(span?.events).toEqual([]);
        const { 'network.peer.port': peerPort, ...rest } = span!.attributes;
        expect(rest).toEqual({
          component: 'HTTP',
          'http.request.method': 'GET',
          'url.path': '/api/users/42',
          'url.scheme': 'http',
          'http.route': '/api/users/:id',
          'http.response.status_code': 200,
          'server.address': '127.0.0.1',
          'server.port': portOf(server),
          'client.address': '127.0.0.1',
          'network.peer.address': '127.0.0.1',
          'user_agent.original': 'contract-test/1.0',
          'network.protocol.version': '1.1',
        });
        expect(peerPort).toEqual(expect.any(Number));
        expect(peerPort).not.toBe(portOf(server));
      } finally {
        await close(server);
      }
    });

    test('no matched route: named by the path without its query string, no http.route', async () => {
      const server = await listen(usersApp());
      try {
        await request(server).get('/static/app.js?v=3').expect(200);
        await request(server).get('/nowhere?q=1').expect(404);
        const spans = await waitForSpans(otel.spans, 2);
        expect(spans.map((span) => span.name)).toEqual(['GET /static/app.js', 'GET /nowhere']);
        expect(spans.map((span) => span.attributes['http.route'])).toEqual([undefined, undefined]);
        expect(spans.map((span) => span.attributes['url.path'])).toEqual(['/static/app.js', '/nowhere']);
        expect(spans.map((span) => span.status.code)).toEqual([SpanStatusCode.UNSET, SpanStatusCode.UNSET]);
      } finally {
        await close(server);
      }
    });

    test('a missing, malformed or oversized traceparent gives a new root span and the same response', async () => {
      const server = await listen(usersApp());
      try {
        const headers = [
          undefined,
          '00-zz-yy-01',
          `${TRACEPARENT}-${'f'.repeat(4000)}`,
          `00-${'0'.repeat(32)}-${PARENT_ID}-01`,
        ];
        for (const traceparent of headers) {
          const req = request(server).get('/api/users/7');
          if (traceparent !== undefined) req.set('traceparent', traceparent);
          const res = await req;
          expect(res.status).toBe(200);
          expect(res.body).toEqual({ id: '7' });
        }
        const spans = await waitForSpans(otel.spans, headers.length);
        for (const span of spans) {
          expect(span.parentSpanContext).toBeUndefined();
          expect(trace.isSpanContextValid(span.spanContext())).toBe(true);
          expect(span.spanContext().traceId).not.toBe(TRACE_ID);
          expect(span.name).toBe('GET /api/users/:id');
        }
      } finally {
        await close(server);
      }
    });

    test('spanName(info) overrides the name and is told the route', async () => {
      const infos: unknown[] = [];
      const spanName = (info: { method: string; route?: string; path: string }) => {
        infos.push(info);
        return `${info.method} ${info.route ?? 'unrouted'}!`;
      };
      const server = await listen(usersApp({ spanName }));
      try {
        await request(server).get('/api/users/1?x=2');
        await request(server).get('/static/a?x=2');
        const spans = await waitForSpans(otel.spans, 2);
        expect(spans.map((span) => span.name)).toEqual(['GET /api/users/:id!', 'GET unrouted!']);
        expect(infos).toEqual([
          { kind: 'server', method: 'GET', path: '/api/users/1', route: '/api/users/:id' },
          { kind: 'server', method: 'GET', path: '/static/a', route: undefined },
        ]);
      } finally {
        await close(server);
      }
    });

    test('captureHeaders records the listed request and response headers, and only those', async () => {
      const server = await listen(
        usersApp({ captureHeaders: { request: ['X-Request-Id'], response: ['x-served-by'] } }),
      );
      try {
        await request(server)
          .get('/api/users/1')
          .set('x-request-id', 'abc')
          .set('authorization', 'Bearer secret')
          .set('cookie', 'session=secret');
        const [span] = await waitForSpans(otel.spans, 1);
        expect(span?.attributes['http.request.header.x-request-id']).toEqual(['abc']);
        expect(span?.attributes['http.response.header.x-served-by']).toEqual(['users']);
        const recorded = Object.keys(span!.attributes).filter((key) => key.includes('header'));
        expect(recorded.sort()).toEqual(['http.request.header.x-request-id', 'http.response.header.x-served-by']);
        expect(JSON.stringify(span?.attributes)).not.toContain('secret');
      } finally {
        await close(server);
      }
    });

    test('requestHook and responseHook receive the span and the Koa ctx the handlers see', async () => {
      const seen: { hook: string; ctx: unknown; status?: number; span?: Span }[] = [];
      const app = quietApp(Koa);
      app.use(
        koa.tracing({
          tracerProvider: otel.provider,
          requestHook: (span, ctx) => {
            span.setAttribute('app.tenant', String(ctx.get('x-tenant')));
            seen.push({ hook: 'request', ctx, span });
          },
          responseHook: (span, ctx) => {
            span.setAttribute('app.items', Number(ctx.state.items));
            seen.push({ hook: 'response', ctx, status: ctx.status, span });
          },
        }),
      );
      app.use((ctx) => {
        seen.push({ hook: 'handler', ctx, span: trace.getSpan(context.active()) });
        ctx.state.items = 3;
        ctx.status = 201;
        ctx.body = 'made';
      });
      const server = await listen(app);
      try {
        await request(server).post('/items').set('x-tenant', 'acme').expect(201);
        const [span] = await waitForSpans(otel.spans, 1);
        expect(seen.map((entry) => entry.hook)).toEqual(['request', 'handler', 'response']);
        expect(seen[1]?.ctx).toBe(seen[0]?.ctx);
        expect(seen[2]?.ctx).toBe(seen[0]?.ctx);
        expect(seen[2]?.status).toBe(201);
        expect(seen.every((entry) => entry.span === seen[0]?.span)).toBe(true);
        expect(span?.attributes['app.tenant']).toBe('acme');
        expect(span?.attributes['app.items']).toBe(3);
        expect(span?.name).toBe('POST /items');
      } finally {
        await close(server);
      }
    });

    test('without tracerProvider the global one is used; the middleware never sets globals', async () => {
      const app = quietApp(Koa);
      app.use(koa.tracing());
      app.use((ctx) => {
        ctx.body = 'ok';
      });
      const server = await listen(app);
      try {
        // Nothing registered: spans go to the no-op provider, nothing is recorded.
        await request(server).get('/a').set('traceparent', TRACEPARENT).expect(200);
        expect(propagation.fields()).toEqual([]);
        expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
        trace.setGlobalTracerProvider(otel.provider);
        await request(server).get('/b').set('traceparent', TRACEPARENT).expect(200);
        const [span] = await waitForSpans(otel.spans, 1);
        expect(span?.name).toBe('GET /b');
        expect(span?.spanContext().traceId).toBe(TRACE_ID);
        expect(propagation.fields()).toEqual([]);
      } finally {
        trace.disable();
        await close(server);
      }
    });

    test('propagator: the option, else the registered global one, else W3C Trace Context + Baggage', async () => {
      // A propagator that reads a trace id from a header of its own.
      const custom = (header: string) => ({
        inject() {},
        extract(ctx: import('@opentelemetry/api').Context, carrier: unknown) {
          const value = (carrier as Record<string, string | undefined>)[header];
          if (!value) return ctx;
          return trace.setSpanContext(ctx, { traceId: value, spanId: PARENT_ID, traceFlags: 1, isRemote: true });
        },
        fields: () => [header],
      });
      const baggage: (string | undefined)[] = [];
      const app = (options = {}) => {
        const a = quietApp(Koa);
        a.use(koa.tracing({ tracerProvider: otel.provider, ...options }));
        a.use((ctx) => {
          baggage.push(propagation.getBaggage(context.active())?.getEntry('tenant')?.value);
          ctx.body = 'ok';
        });
        return a;
      };
      const optionId = '11111111111111111111111111111111';
      const globalId = '22222222222222222222222222222222';
      const withOption = await listen(app({ propagator: custom('x-option') }));
      const withDefault = await listen(app());
      try {
        const all = { 'x-option': optionId, 'x-global': globalId, traceparent: TRACEPARENT, baggage: 'tenant=acme' };
        await request(withOption).get('/').set(all);
        await request(withDefault).get('/').set(all);
        propagation.setGlobalPropagator(custom('x-global'));
        await request(withOption).get('/').set(all);
        await request(withDefault).get('/').set(all);
        const spans = await waitForSpans(otel.spans, 4);
        expect(spans.map((span) => span.spanContext().traceId)).toEqual([optionId, TRACE_ID, optionId, globalId]);
        expect(baggage).toEqual([undefined, 'acme', undefined, undefined]);
      } finally {
        propagation.disable();
        await close(withOption);
        await close(withDefault);
      }
    });
  });
});
