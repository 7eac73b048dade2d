import { SpanStatusCode } from '@opentelemetry/api';
import type KoaApplication from 'koa';
import request from 'supertest';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing, waitForSpans } from '../../../test/support/otel';
import { close, KOAS, type KoaClass, type KoaModule, listen, quietApp, TRACEPARENT } from './helpers';

const otel = memoryTracing();
afterAll(() => otel.close());

class PaymentError extends Error {}

type Handler = (ctx: KoaApplication.Context) => unknown;

const HANDLERS: Record<string, Handler> = {
  ok: (ctx) => {
    ctx.body = 'ok';
  },
  'throws RangeError': () => {
    throw new RangeError('out of range');
  },
  'rejects after await': async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    throw new PaymentError('card declined');
  },
  'ctx.throw(404)': (ctx) => ctx.throw(404),
  'ctx.throw(400, msg)': (ctx) => ctx.throw(400, 'bad input'),
  'ctx.throw(503)': (ctx) => ctx.throw(503, 'down for maintenance'),
  'Error with status 409': () => {
    throw Object.assign(new Error('taken'), { status: 409, expose: true });
  },
  'sets 502, no exception': (ctx) => {
    ctx.status = 502;
    ctx.body = 'upstream failed';
  },
  'throws a string': () => {
    throw 'plain string';
  },
  'unrouted 404': () => undefined,
};

describe.each(BUILDS)('@tracewire/koa errors and status (%s build)', (build) => {
  let koa: KoaModule;
  beforeAll(async () => {
    koa = await load<KoaModule>('@tracewire/koa', build);
  });
  afterEach(() => otel.reset());

  describe.each(KOAS)('%s', (_name, Koa: KoaClass) => {
    /** An app with or without tracing, and the errors Koa reported through app.on('error'). */
    function app(handler: Handler, tracing: Parameters<KoaModule['tracing']>[0] | false) {
      const a = quietApp(Koa);
      const reported: unknown[] = [];
      a.on('error', (error) => reported.push(error));
      if (tracing !== false) a.use(koa.tracing(tracing));
      a.use(async (ctx) => {
        await handler(ctx);
      });
      return { app: a, reported };
    }

    async function serve(handler: Handler, tracing: Parameters<KoaModule['tracing']>[0] | false) {
      const { app: a, reported } = app(handler, tracing);
      const server = await listen(a);
      try {
        const res = await request(server).get('/work?id=1').set('traceparent', TRACEPARENT);
        const { date: _date, ...headers } = res.headers;
        return { status: res.status, text: res.text, headers, reported };
      } finally {
        await close(server);
      }
    }

    test.each([
      // [handler, status code, span status, error.type, exception type, status message]
      ['ok', 200, SpanStatusCode.UNSET, undefined, undefined, undefined],
      ['throws RangeError', 500, SpanStatusCode.ERROR, 'RangeError', 'RangeError', 'out of range'],
      ['rejects after await', 500, SpanStatusCode.ERROR, 'PaymentError', 'Error', 'card declined'],
      ['ctx.throw(404)', 404, SpanStatusCode.UNSET, undefined, 'NotFoundError', undefined],
      ['ctx.throw(400, msg)', 400, SpanStatusCode.UNSET, undefined, 'BadRequestError', undefined],
      [
        'ctx.throw(503)',
        503,
        SpanStatusCode.ERROR,
        'ServiceUnavailableError',
        'ServiceUnavailableError',
        'down for maintenance',
      ],
      ['Error with status 409', 409, SpanStatusCode.UNSET, undefined, 'Error', undefined],
      ['sets 502, no exception', 502, SpanStatusCode.ERROR, '502', undefined, undefined],
      ['throws a string', 500, SpanStatusCode.ERROR, '_OTHER', undefined, 'plain string'],
      ['unrouted 404', 404, SpanStatusCode.UNSET, undefined, undefined, undefined],
    ] as const)(
      '%s: %s, span %s, error.type %s, exception %s',
      async (name, code, status, errorType, exceptionType, message) => {
        const handler = HANDLERS[name]!;
        const plain = await serve(handler, false);
        const traced = await serve(handler, { tracerProvider: otel.provider });
        // The response and what Koa reports are exactly those of the untraced app.
        expect(traced.status).toBe(code);
        expect(traced.status).toBe(plain.status);
        expect(traced.text).toBe(plain.text);
        expect(traced.headers).toEqual(plain.headers);
        expect(traced.reported.map(String)).toEqual(plain.reported.map(String));

        const [span] = await waitForSpans(otel.spans, 1);
        expect(span?.attributes['http.response.status_code']).toBe(code);
        expect(span?.status.code).toBe(status);
        expect(span?.status.message).toBe(message);
        expect(span?.attributes['error.type']).toBe(errorType);
        const exceptions = span!.events.filter((event) => event.name === 'exception');
        const threw = !['ok', 'sets 502, no exception', 'unrouted 404'].includes(name);
        expect(exceptions).toHaveLength(threw ? 1 : 0);
        if (threw) {
          const attributes = exceptions[0]!.attributes!;
          if (exceptionType !== undefined) {
            expect(attributes['exception.type']).toBe(exceptionType);
            expect(attributes['exception.stacktrace']).toEqual(expect.stringContaining(__filename));
          }
          expect(attributes['exception.message']).toEqual(expect.any(String));
        }
      },
    );

    test('the thrown error is re-thrown unchanged: app.on("error") sees the very same object', async () => {
      const error = new RangeError('out of range');
      const { app: a, reported } = app(
        () => {
          throw error;
        },
        { tracerProvider: otel.provider },
      );
      // A user error handler upstream of tracing sees it too.
      const caught: unknown[] = [];
      a.middleware.unshift(async (_ctx, next) => {
        try {
          await next();
        } catch (thrown) {
          // Checked here, before Koa's own handler adds `status` to it.
          caught.push(thrown, Object.keys(thrown as object));
          throw thrown;
        }
      });
      const server = await listen(a);
      try {
        await request(server).get('/').expect(500, 'Internal Server Error');
        await waitForSpans(otel.spans, 1);
        expect(caught).toEqual([error, []]);
        expect(caught[0]).toBe(error);
        expect(reported).toHaveLength(1);
        expect(reported[0]).toBe(error);
        expect(error.message).toBe('out of range');
      } finally {
        await close(server);
      }
    });

    test('an error handled downstream is no escaped exception: the status alone decides', async () => {
      const a = quietApp(Koa);
      a.use(koa.tracing({ tracerProvider: otel.provider }));
      a.use(async (ctx, next) => {
        try {
          await next();
        } catch {
          ctx.status = 500;
          ctx.body = { error: 'internal' };
        }
      });
      a.use(() => {
        throw new TypeError('handled');
      });
      const server = await listen(a);
      try {
        await request(server).get('/').expect(500);
        const [span] = await waitForSpans(otel.spans, 1);
        expect(span?.status.code).toBe(SpanStatusCode.ERROR);
        expect(span?.attributes['error.type']).toBe('500');
        expect(span?.events).toEqual([]);
      } finally {
        await close(server);
      }
    });

    test.each([
      [503, SpanStatusCode.ERROR, 'PaymentError'],
      [402, SpanStatusCode.UNSET, undefined],
    ])(
      'an error handler placed before tracing() answers %s: exception recorded, status by the final response',
      async (code, status, errorType) => {
        const a = quietApp(Koa);
        a.use(async (ctx, next) => {
          try {
            await next();
          } catch (error) {
            ctx.status = code;
            ctx.body = { error: (error as Error).message };
          }
        });
        a.use(koa.tracing({ tracerProvider: otel.provider }));
        a.use(() => {
          throw new PaymentError('card declined');
        });
        const server = await listen(a);
        try {
          await request(server).get('/pay').expect(code, { error: 'card declined' });
          const [span] = await waitForSpans(otel.spans, 1);
          expect(span?.attributes['http.response.status_code']).toBe(code);
          expect(span?.status.code).toBe(status);
          expect(span?.attributes['error.type']).toBe(errorType);
          expect(span?.events.map((event) => event.attributes?.['exception.message'])).toEqual(['card declined']);
        } finally {
          await close(server);
        }
      },
    );

    test('a failure while starting the span serves the request untraced', async () => {
      const a = quietApp(Koa);
      // Sabotage: the first read of req.method (the one tracing makes) throws.
      a.use((ctx, next) => {
        const method = ctx.req.method;
        let reads = 0;
        Object.defineProperty(ctx.req, 'method', {
          configurable: true,
          get() {
            if (reads++ === 0) throw new Error('unreadable method');
            return method;
          },
        });
        return next();
      });
      a.use(koa.tracing({ tracerProvider: otel.provider }));
      a.use((ctx) => {
        ctx.body = `served ${ctx.method}`;
      });
      const server = await listen(a);
      try {
        await request(server).get('/').expect(200, 'served GET');
        await request(server).get('/').expect(200, 'served GET');
        expect(otel.spans()).toEqual([]);
      } finally {
        await close(server);
      }
    });

    test('tracing that throws everywhere never changes the response or the error', async () => {
      const boom = () => {
        throw new Error('tracing hook failure');
      };
      const evil = {
        tracerProvider: { getTracer: () => ({ startSpan: boom, startActiveSpan: boom }) } as never,
        propagator: { inject: boom, extract: boom, fields: () => ['traceparent'] },
        ignore: boom,
        requestHook: boom,
        responseHook: boom,
        spanName: boom,
      };
      const hooks = {
        tracerProvider: otel.provider,
        ignore: boom,
        requestHook: boom,
        responseHook: boom,
        spanName: boom,
        propagator: evil.propagator,
      };
      for (const name of ['ok', 'throws RangeError', 'ctx.throw(404)']) {
        const plain = await serve(HANDLERS[name]!, false);
        for (const options of [evil, hooks]) {
          const traced = await serve(HANDLERS[name]!, options);
          expect({ ...traced, reported: traced.reported.map(String) }).toEqual({
            ...plain,
            reported: plain.reported.map(String),
          });
        }
      }
      // With a working provider the span is still made and named by default.
      const spans = await waitForSpans(otel.spans, 3);
      expect(spans.map((span) => span.name)).toEqual(['GET /work', 'GET /work', 'GET /work']);
    });
  });
});
