import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs';
import { context, SpanKind, trace } from '@opentelemetry/api';
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
  sleep,
  TRACE_ID,
  TRACEPARENT,
} from './helpers';

const otel = memoryTracing();
afterAll(() => otel.close());

const activeSpanId = () => trace.getSpan(context.active())?.spanContext().spanId;

describe.each(BUILDS)('@tracewire/koa active context (%s build)', (build) => {
  let koa: KoaModule;
  beforeAll(async () => {
    koa = await load<KoaModule>('@tracewire/koa', build);
  });
  afterEach(() => otel.reset());

  describe.each(KOAS)('%s', (_name, Koa: KoaClass) => {
    test('the server span is active downstream, after await, in timers and callbacks; children are parented to it', async () => {
      const seen: Record<string, string | undefined> = {};
      const app = quietApp(Koa);
      app.use(koa.tracing({ tracerProvider: otel.provider }));
      app.use(async (_ctx, next) => {
        seen.middleware = activeSpanId();
        await next();
        seen.afterNext = activeSpanId();
      });
      app.use(async (ctx) => {
        await sleep(1);
        seen.afterAwait = activeSpanId();
        await new Promise<void>((resolve) =>
          setTimeout(() => {
            seen.timeout = activeSpanId();
            resolve();
          }, 1),
        );
        await new Promise<void>((resolve) =>
          setImmediate(() => {
            seen.immediate = activeSpanId();
            resolve();
          }),
        );
        await new Promise<void>((resolve) =>
          readFile(__filename, () => {
            seen.fsCallback = activeSpanId();
            resolve();
          }),
        );
        const emitter = new EventEmitter();
        const emitted = new Promise<void>((resolve) =>
          emitter.once('ready', () => {
            seen.emitter = activeSpanId();
            resolve();
          }),
        );
        setTimeout(() => emitter.emit('ready'), 1);
        await emitted;
        await new Promise<void>((resolve) =>
          setTimeout(() => {
            otel.provider.getTracer('app').startSpan('load user').end();
            resolve();
          }, 1),
        );
        ctx.body = 'ok';
      });
      const server = await listen(app);
      try {
        await request(server).get('/').set('traceparent', TRACEPARENT).expect(200);
        const spans = await waitForSpans(otel.spans, 2);
        const serverSpan = spans.find((span) => span.kind === SpanKind.SERVER)!;
        const child = spans.find((span) => span.name === 'load user')!;
        const id = serverSpan.spanContext().spanId;
        expect(seen).toEqual({
          middleware: id,
          afterAwait: id,
          timeout: id,
          immediate: id,
          fsCallback: id,
          emitter: id,
          afterNext: id,
        });
        expect(child.parentSpanContext?.spanId).toBe(id);
        expect(child.spanContext().traceId).toBe(TRACE_ID);
        expect(serverSpan.parentSpanContext?.spanId).toBe(PARENT_ID);
        // Nothing leaks out of the request into the test's own context.
        expect(activeSpanId()).toBeUndefined();
      } finally {
        await close(server);
      }
    });

    test('listeners on ctx.req and ctx.res (a body reader, an access logger) run in the span', async () => {
      const seen: Record<string, string | undefined> = {};
      let serverSpanId: string | undefined;
      let markFinished: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => {
        markFinished = resolve;
      });
      const app = quietApp(Koa);
      app.use(koa.tracing({ tracerProvider: otel.provider }));
      app.use(async (ctx) => {
        serverSpanId = activeSpanId();
        ctx.res.once('finish', () => {
          seen.finish = activeSpanId();
          markFinished();
        });
        ctx.body = await new Promise<string>((done) => {
          let body = '';
          ctx.req.on('data', (chunk: Buffer) => {
            seen.data = activeSpanId();
            body += chunk;
          });
          ctx.req.on('end', () => {
            seen.end = activeSpanId();
            done(body);
          });
        });
      });
      const server = await listen(app);
      try {
        await request(server).post('/echo').send('hello').expect(200, 'hello');
        await finished;
        expect(serverSpanId).toEqual(expect.any(String));
        expect(seen).toEqual({ data: serverSpanId, end: serverSpanId, finish: serverSpanId });
      } finally {
        await close(server);
      }
    });

    test('a traceFetch call made in the request is its child, and the next service continues the trace', async () => {
      const tracewireFetch = await load<typeof import('@tracewire/fetch')>('@tracewire/fetch', build);
      const fetch = tracewireFetch.traceFetch(require('undici').fetch, { tracerProvider: otel.provider });
      const back = quietApp(Koa);
      back.use(koa.tracing({ tracerProvider: otel.provider }));
      back.use((ctx) => {
        ctx.body = 'user 42';
      });
      const backServer = await listen(back);
      const front = quietApp(Koa);
      front.use(koa.tracing({ tracerProvider: otel.provider }));
      front.use(async (ctx) => {
        await sleep(1);
        const res = await fetch(`http://127.0.0.1:${portOf(backServer)}/users/42`);
        ctx.body = await res.text();
      });
      const frontServer = await listen(front);
      try {
        await request(frontServer).get('/profile').set('traceparent', TRACEPARENT).expect(200, 'user 42');
        const spans = await waitForSpans(otel.spans, 3);
        const byName = new Map(spans.map((span) => [span.name, span]));
        const frontSpan = byName.get('GET /profile')!;
        const clientSpan = byName.get('GET /users/42')!;
        const backSpan = spans.find((span) => span.kind === SpanKind.SERVER && span !== frontSpan)!;
        expect(clientSpan.kind).toBe(SpanKind.CLIENT);
        expect(clientSpan.parentSpanContext?.spanId).toBe(frontSpan.spanContext().spanId);
        expect(backSpan.parentSpanContext?.spanId).toBe(clientSpan.spanContext().spanId);
        expect(new Set(spans.map((span) => span.spanContext().traceId))).toEqual(new Set([TRACE_ID]));
      } finally {
        await close(frontServer);
        await close(backServer);
      }
    });

    test('200 concurrent requests with distinct parents: no cross-talk', async () => {
      let inFlight = 0;
      let maxInFlight = 0;
      const app = quietApp(Koa);
      app.use(koa.tracing({ tracerProvider: otel.provider }));
      app.use(async (ctx) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        const before = trace.getSpan(context.active())?.spanContext();
        // Interleave the requests: each waits a different time, twice.
        const delay = Number(ctx.query.n) % 7;
        await sleep(delay);
        const child = otel.provider.getTracer('app').startSpan(`child ${ctx.query.n}`);
        await sleep(6 - delay);
        child.end();
        inFlight--;
        const after = trace.getSpan(context.active())?.spanContext();
        ctx.body = { before: before?.spanId, after: after?.spanId, traceId: after?.traceId };
      });
      const server = await listen(app);
      const count = 200;
      const traceIdOf = (i: number) => (i + 1).toString(16).padStart(32, '0');
      try {
        const responses = await Promise.all(
          Array.from({ length: count }, (_, i) =>
            request(server)
              .get(`/work?n=${i}`)
              .set('traceparent', `00-${traceIdOf(i)}-${PARENT_ID}-01`),
          ),
        );
        const spans = await waitForSpans(otel.spans, 2 * count);
        const servers = new Map(
          spans.filter((span) => span.kind === SpanKind.SERVER).map((span) => [span.spanContext().traceId, span]),
        );
        expect(maxInFlight).toBeGreaterThan(10);
        expect(servers.size).toBe(count);
        responses.forEach((res, i) => {
          const serverSpan = servers.get(traceIdOf(i))!;
          const spanId = serverSpan.spanContext().spanId;
          expect(res.body).toEqual({ before: spanId, after: spanId, traceId: traceIdOf(i) });
          const child = spans.find((span) => span.name === `child ${i}`)!;
          expect(child.spanContext().traceId).toBe(traceIdOf(i));
          expect(child.parentSpanContext?.spanId).toBe(spanId);
        });
      } finally {
        await close(server);
      }
    });

    test('ignore(ctx): no span, the request is served, its context still flows to children', async () => {
      const ignored: string[] = [];
      const app = quietApp(Koa);
      app.use(
        koa.tracing({
          tracerProvider: otel.provider,
          ignore: (ctx) => {
            ignored.push(ctx.path);
            return ctx.path === '/health';
          },
        }),
      );
      app.use(async (ctx) => {
        await sleep(1);
        const active = trace.getSpanContext(context.active());
        otel.provider.getTracer('app').startSpan(`child of ${ctx.path}`).end();
        ctx.body = { traceId: active?.traceId, spanId: active?.spanId };
      });
      const server = await listen(app);
      try {
        const health = await request(server).get('/health').set('traceparent', TRACEPARENT).expect(200);
        expect(health.body).toEqual({ traceId: TRACE_ID, spanId: PARENT_ID });
        await request(server).get('/health').expect(200, {});
        await request(server).get('/work').set('traceparent', TRACEPARENT).expect(200);
        const spans = await waitForSpans(otel.spans, 4);
        expect(spans.map((span) => span.name).sort()).toEqual([
          'GET /work',
          'child of /health',
          'child of /health',
          'child of /work',
        ]);
        const [traced, untraced] = spans.filter((span) => span.name === 'child of /health');
        // Untraced, but the incoming parent carries on to the children.
        expect(traced?.parentSpanContext?.spanId).toBe(PARENT_ID);
        expect(traced?.spanContext().traceId).toBe(TRACE_ID);
        expect(untraced?.parentSpanContext).toBeUndefined();
        expect(ignored).toEqual(['/health', '/health', '/work']);
      } finally {
        await close(server);
      }
    });
  });
});
