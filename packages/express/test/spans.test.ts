import { diag, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Request, Response } from 'express';
import request from 'supertest';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing, waitForSpans } from '../../../test/support/otel';
import {
  closeAll,
  EXPRESSES,
  type ExpressModule,
  listen,
  send,
  TRACE_ID,
  TRACEPARENT,
  type TracewireExpress,
} from './helpers';

const otel = memoryTracing();
afterAll(() => otel.close());

describe.each(BUILDS)('@tracewire/express spans (%s build)', (build) => {
  let tw: TracewireExpress;
  beforeAll(async () => {
    tw = await load<TracewireExpress>('@tracewire/express', build);
  });
  afterEach(async () => {
    await closeAll();
    otel.reset();
  });

  test('VERSION matches package.json', () => {
    expect(tw.VERSION).toBe(require('../package.json').version);
  });

  test('a bad option fails at setup, naming it', () => {
    expect(() => tw.tracing({ spanName: 'x' as never })).toThrow('option "spanName" must be a function');
    expect(() => tw.tracing({ nope: 1 } as never)).toThrow('unknown option "nope"');
  });

  describe.each(EXPRESSES)('%s', (_name, express: ExpressModule) => {
    function nestedApp(options: Parameters<TracewireExpress['tracing']>[0] = {}) {
      const app = express();
      app.use(tw.tracing({ tracerProvider: otel.provider, ...options }));
      const api = express.Router();
      const v1 = express.Router();
      const admin = express();
      app.use('/api', api);
      api.get('/users/:id', (req, res) => {
        res.json({ id: req.params.id, route: req.route.path });
      });
      api.use('/v1', v1);
      v1.get('/items/:itemId', (_req, res) => {
        res.send('item');
      });
      app.use('/admin', admin);
      admin.get('/reports/:year', (_req, res) => {
        res.send('report');
      });
      app.get(['/a', '/b'], (_req, res) => {
        res.send('either');
      });
      app.use('/static', (_req, res) => {
        res.send('static');
      });
      return app;
    }

    test('a request makes one SERVER span with the contract attributes and scope', async () => {
      const { server, port } = await listen(nestedApp());
      const res = await request(server).get('/api/users/42?token=secret').set('User-Agent', 'probe/1.0');
      expect(res.status).toBe(200);
      const [span, ...others] = await waitForSpans(otel.spans, 1);
      expect(others).toHaveLength(0);
      expect(span!.kind).toBe(SpanKind.SERVER);
      expect(span!.name).toBe('GET /api/users/:id');
      expect(span!.instrumentationScope).toEqual({
        name: '@tracewire/express',
        version: tw.VERSION,
        schemaUrl: undefined,
      });
      expect(span!.status.code).toBe(SpanStatusCode.UNSET);
      expect(span!.parentSpanContext).toBeUndefined();
      const attributes = span!.attributes;
      expect(attributes).toMatchObject({
        component: 'HTTP',
        'http.request.method': 'GET',
        'url.path': '/api/users/42',
        'url.scheme': 'http',
        'http.route': '/api/users/:id',
        'http.response.status_code': 200,
        'server.address': '127.0.0.1',
        'server.port': port,
        'network.protocol.version': '1.1',
        'user_agent.original': 'probe/1.0',
      });
      expect(attributes['client.address']).toMatch(/127\.0\.0\.1$/);
      expect(attributes['network.peer.address']).toBe(attributes['client.address']);
      expect(typeof attributes['network.peer.port']).toBe('number');
      expect(attributes['error.type']).toBeUndefined();
      // Neither the query string nor any body is recorded anywhere.
      expect(JSON.stringify([span!.name, attributes])).not.toMatch(/token|secret|\?/);
    });

    test('server.address and server.port come from the Host header: IPv6 literals, default and unreadable ports', async () => {
      const { port } = await listen(nestedApp());
      const cases: [string, string, number][] = [
        ['example.com', 'example.com', 80],
        ['example.com:8443', 'example.com', 8443],
        ['[::1]:8080', '::1', 8080],
        ['[::1]', '::1', 80],
        ['example.com:x', 'example.com', 80],
      ];
      for (const [host] of cases) await send(port, '/a', { headers: { host } });
      const spans = await waitForSpans(otel.spans, cases.length);
      expect(spans.map((s) => [s.attributes['server.address'], s.attributes['server.port']])).toEqual(
        cases.map(([, address, serverPort]) => [address, serverPort]),
      );
    });

    test.each([
      ['/api/users/7', 'GET /api/users/:id', '/api/users/:id'],
      ['/api/v1/items/9?x=1', 'GET /api/v1/items/:itemId', '/api/v1/items/:itemId'],
      ['/admin/reports/2024', 'GET /admin/reports/:year', '/admin/reports/:year'],
      ['/b', 'GET /a,/b', '/a,/b'],
      ['/static/app.js?v=3', 'GET /static/app.js', undefined],
      ['/missing/42?q=secret', 'GET /missing/42', undefined],
    ])('%s is named %s (http.route %s)', async (path, name, route) => {
      const { server } = await listen(nestedApp());
      await request(server).get(path);
      const [span] = await waitForSpans(otel.spans, 1);
      expect(span!.name).toBe(name);
      expect(span!.attributes['http.route']).toBe(route);
      expect(span!.attributes['url.path']).toBe(path.split('?')[0]);
    });

    test('the app still reads and writes req.route as before', async () => {
      const app = express();
      app.use(tw.tracing({ tracerProvider: otel.provider }));
      const router = express.Router();
      // Both majors export Route; Express 5's type declarations do not list it.
      const { Route } = express as unknown as { Route: new (path: string) => unknown };
      router.get('/users/:id', (req, res) => {
        const before = { path: req.route.path, get: req.route.methods.get, route: req.route instanceof Route };
        req.route = { path: '/rewritten' };
        res.json({ before, after: req.route.path, present: 'route' in req });
      });
      app.use('/api', router);
      const { server } = await listen(app);
      const res = await request(server).get('/api/users/1');
      expect(res.body).toEqual({
        before: { path: '/users/:id', get: true, route: true },
        after: '/rewritten',
        present: true,
      });
      // A route the app assigns itself is taken as the template, with the prefix at that time.
      expect((await waitForSpans(otel.spans, 1))[0]!.name).toBe('GET /api/rewritten');
    });

    test('a route that passes on with next() and a later route: the one that answered names the span', async () => {
      const app = express();
      app.use(tw.tracing({ tracerProvider: otel.provider }));
      app.get('/users/:id', (req, res, next) => (req.params.id === 'me' ? next() : res.send('by id')));
      app.get('/users/me', (_req, res) => {
        res.send('me');
      });
      const { server } = await listen(app);
      expect((await request(server).get('/users/me')).text).toBe('me');
      expect((await waitForSpans(otel.spans, 1))[0]!.name).toBe('GET /users/me');
    });

    test('the parent comes from traceparent; a malformed or oversized one gives a root span and the same response', async () => {
      const { server } = await listen(nestedApp());
      const good = await request(server).get('/api/users/1').set('traceparent', TRACEPARENT);
      const bad = await request(server).get('/api/users/1').set('traceparent', '00-not-a-trace-01');
      const huge = await request(server)
        .get('/api/users/1')
        .set('traceparent', `00-${'a'.repeat(4000)}-b7ad6b7169203331-01`);
      for (const res of [good, bad, huge]) expect(res.body).toEqual({ id: '1', route: '/users/:id' });
      const spans = await waitForSpans(otel.spans, 3);
      expect(spans[0]!.spanContext().traceId).toBe(TRACE_ID);
      expect(spans[0]!.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
      for (const span of spans.slice(1)) {
        expect(span.parentSpanContext).toBeUndefined();
        expect(span.spanContext().traceId).not.toBe(TRACE_ID);
      }
    });

    test('ignore: no span, the request is served, and its extracted context still reaches children', async () => {
      const app = express();
      app.use(tw.tracing({ tracerProvider: otel.provider, ignore: (req) => req.url === '/health' }));
      app.get('/health', (_req, res) => {
        const child = otel.provider.getTracer('app').startSpan('health check');
        child.end();
        res.send('healthy');
      });
      app.get('/work', (_req, res) => {
        res.send('done');
      });
      const { server } = await listen(app);
      const health = await request(server).get('/health').set('traceparent', TRACEPARENT);
      expect(health.status).toBe(200);
      expect(health.text).toBe('healthy');
      await request(server).get('/work');
      const spans = await waitForSpans(otel.spans, 2);
      expect(spans.map((span) => span.name)).toEqual(['health check', 'GET /work']);
      expect(spans[0]!.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
      expect(spans[0]!.spanContext().traceId).toBe(TRACE_ID);
    });

    test('spanName, requestHook and responseHook see the route and Express req/res', async () => {
      const seen: string[] = [];
      const app = nestedApp({
        spanName: (info) => `${info.kind} ${info.method} ${info.route ?? info.path} (${info.path})`,
        requestHook: (span, req) => {
          seen.push(`request ${typeof (req as Request).app}`);
          span.setAttribute('app.tenant', String(req.headers['x-tenant']));
        },
        responseHook: (span, res) => {
          seen.push(`response ${typeof (res as Response).locals}`);
          span.setAttribute('app.cache', String(res.getHeader('content-type')));
        },
      });
      const { server } = await listen(app);
      await request(server).get('/api/users/5').set('x-tenant', 'acme');
      const [span] = await waitForSpans(otel.spans, 1);
      expect(span!.name).toBe('server GET /api/users/:id (/api/users/5)');
      expect(span!.attributes['app.tenant']).toBe('acme');
      expect(span!.attributes['app.cache']).toMatch(/^application\/json/);
      expect(seen).toEqual(['request function', 'response object']);
    });

    test('hooks typed with Express Request and Response (tracing<Request, Response>())', async () => {
      const app = express();
      app.use(
        tw.tracing<Request, Response>({
          tracerProvider: otel.provider,
          ignore: (req) => req.originalUrl === '/health',
          responseHook: (span, res) => span.setAttribute('app.user', String(res.locals.user)),
        }),
      );
      app.get('/me', (_req, res) => {
        res.locals.user = 'ada';
        res.send('ok');
      });
      const { server } = await listen(app);
      await request(server).get('/me');
      expect((await waitForSpans(otel.spans, 1))[0]!.attributes['app.user']).toBe('ada');
    });

    test('captureHeaders records only the listed headers', async () => {
      const app = express();
      app.use(
        tw.tracing({
          tracerProvider: otel.provider,
          captureHeaders: { request: ['X-Request-Id'], response: ['x-cache'] },
        }),
      );
      app.get('/', (_req, res) => {
        res.set('x-cache', 'HIT').set('x-secret', 'nope').send('ok');
      });
      const { server } = await listen(app);
      await request(server).get('/').set('x-request-id', 'r-1').set('authorization', 'Bearer t').set('cookie', 'a=b');
      const [span] = await waitForSpans(otel.spans, 1);
      const headers = Object.keys(span!.attributes).filter((key) => key.includes('.header.'));
      expect(headers.sort()).toEqual(['http.request.header.x-request-id', 'http.response.header.x-cache']);
      expect(span!.attributes['http.request.header.x-request-id']).toEqual(['r-1']);
      expect(span!.attributes['http.response.header.x-cache']).toEqual(['HIT']);
    });

    test('hooks and a propagator that throw never change the response', async () => {
      const warnings: string[] = [];
      diag.setLogger({ warn: (m: string) => warnings.push(m), error() {}, info() {}, debug() {}, verbose() {} });
      try {
        const boom = () => {
          throw new Error('hook failed');
        };
        const propagator = { inject: boom, extract: boom, fields: () => ['traceparent'] };
        const traced = nestedApp({ ignore: boom, spanName: boom, requestHook: boom, responseHook: boom, propagator });
        const { server } = await listen(traced);
        const res = await request(server).get('/api/users/3').set('traceparent', TRACEPARENT);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ id: '3', route: '/users/:id' });
        const [span] = await waitForSpans(otel.spans, 1);
        expect(span!.name).toBe('GET /api/users/:id');
        expect(span!.parentSpanContext).toBeUndefined();
        expect(warnings.length).toBeGreaterThanOrEqual(4);
      } finally {
        diag.disable();
      }
    });

    test('without options: the global tracer provider and propagator, never set by the middleware', async () => {
      expect(trace.setGlobalTracerProvider(otel.provider)).toBe(true);
      try {
        const app = express();
        app.use(tw.tracing());
        app.get('/x', (_req, res) => {
          res.send('x');
        });
        const { server } = await listen(app);
        await request(server).get('/x').set('traceparent', TRACEPARENT);
        const [span] = await waitForSpans(otel.spans, 1);
        expect(span!.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
        // Nothing was registered by the middleware: the global propagator is still the no-op one.
        expect(propagation.fields()).toEqual([]);
      } finally {
        trace.disable();
      }
    });
  });
});
