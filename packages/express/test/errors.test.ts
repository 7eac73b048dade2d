import { SpanStatusCode } from '@opentelemetry/api';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import request from 'supertest';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing, waitForSpans } from '../../../test/support/otel';
import {
  closeAll,
  EXPRESSES,
  type ExpressModule,
  exceptionEvents,
  listen,
  observable,
  type TracewireExpress,
} from './helpers';

const otel = memoryTracing();
afterAll(() => otel.close());

class PaymentError extends Error {}

const later = () => new Promise((resolve) => setTimeout(resolve, 5));

/** How each handler fails; `status` is what the response must be. */
function failures(major: 4 | 5): Record<string, { handler: RequestHandler; status: number }> {
  const rejecting = async () => {
    await later();
    throw new PaymentError('card declined');
  };
  return {
    'a synchronous throw': {
      handler: () => {
        throw new PaymentError('card declined');
      },
      status: 500,
    },
    'next(err)': { handler: (_req, _res, next) => next(new PaymentError('card declined')), status: 500 },
    // Express 5 handles a rejected promise itself; Express 4 apps pass it on with .catch(next).
    'a rejected async handler': {
      handler: major === 5 ? rejecting : (_req, _res, next) => void rejecting().catch(next),
      status: 500,
    },
    'an error with status 404': {
      handler: () => {
        throw Object.assign(new PaymentError('no such card'), { status: 404 });
      },
      status: 404,
    },
    'a 503 sent without an exception': {
      handler: (_req, res) => {
        res.status(503).send('down');
      },
      status: 503,
    },
  };
}

describe.each(BUILDS)('@tracewire/express errors (%s build)', (build) => {
  let tw: TracewireExpress;
  beforeAll(async () => {
    tw = await load<TracewireExpress>('@tracewire/express', build);
  });
  afterEach(async () => {
    await closeAll();
    otel.reset();
  });

  describe.each(EXPRESSES)('%s', (name, express: ExpressModule) => {
    const major = name === 'Express 4' ? 4 : 5;
    let consoleError: jest.SpyInstance;
    // Express's default handler logs the stack outside the 'test' env, a tick after it responds.
    beforeAll(() => {
      consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    });
    afterAll(() => consoleError.mockRestore());

    /**
     * The failing handler inside a nested router, then Express's default error
     * handler or the app's own one. `traced` adds tracing() and tracingErrors().
     */
    function app(handler: RequestHandler, traced: 'none' | 'tracing' | 'both', ownHandler: boolean) {
      const a = express();
      // Production: the default error page has no stack trace, whose frames would differ with tracing.
      a.set('env', 'production');
      if (traced !== 'none') a.use(tw.tracing({ tracerProvider: otel.provider }));
      const api = express.Router();
      api.get('/cards/:id', handler);
      a.use('/api', api);
      if (traced === 'both') a.use(tw.tracingErrors());
      if (ownHandler) {
        a.use((err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
          res.status(err.status ?? 500).json({ error: err.message, type: err.constructor.name });
        });
      }
      return a;
    }

    async function reply(handler: RequestHandler, traced: 'none' | 'tracing' | 'both', ownHandler: boolean) {
      const { server } = await listen(app(handler, traced, ownHandler));
      const res = await request(server).get('/api/cards/1');
      return observable({ status: res.status, headers: res.headers, body: res.text });
    }

    describe.each(Object.entries(failures(major)))('%s', (_case, { handler, status }) => {
      const exception = status !== 503;
      const error = status >= 500;

      test.each([false, true])('the response is unchanged by tracing (own error handler: %s)', async (own) => {
        const plain = await reply(handler, 'none', own);
        expect(plain.status).toBe(status);
        expect(await reply(handler, 'tracing', own)).toEqual(plain);
        expect(await reply(handler, 'both', own)).toEqual(plain);
      });

      test('with tracingErrors(): the exception is recorded, status by the contract', async () => {
        const { server } = await listen(app(handler, 'both', false));
        await request(server).get('/api/cards/1');
        const [span] = await waitForSpans(otel.spans, 1);
        // The span is named from the route even though the error left the nested router.
        expect(span!.name).toBe('GET /api/cards/:id');
        expect(span!.attributes['http.route']).toBe('/api/cards/:id');
        expect(span!.attributes['http.response.status_code']).toBe(status);
        expect(span!.status.code).toBe(error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
        const events = exceptionEvents(span);
        if (exception) {
          expect(events).toHaveLength(1);
          expect(events[0]!.attributes).toMatchObject({
            'exception.type': 'Error',
            'exception.message': expect.stringMatching(/card/),
            'exception.stacktrace': expect.stringContaining('errors.test.ts'),
          });
        } else {
          expect(events).toHaveLength(0);
        }
        if (error) {
          expect(span!.attributes['error.type']).toBe(exception ? 'PaymentError' : '503');
          if (exception) expect(span!.status.message).toBe('card declined');
        } else {
          expect(span!.attributes['error.type']).toBeUndefined();
        }
      });

      test('without tracingErrors(): a 5xx is still ERROR, with no exception event', async () => {
        const { server } = await listen(app(handler, 'tracing', false));
        await request(server).get('/api/cards/1');
        const [span] = await waitForSpans(otel.spans, 1);
        expect(span!.name).toBe('GET /api/cards/:id');
        expect(exceptionEvents(span)).toHaveLength(0);
        expect(span!.status.code).toBe(error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
        expect(span!.attributes['error.type']).toBe(error ? String(status) : undefined);
      });
    });

    test('tracingErrors() passes the very same error on, and a later handler still decides the response', async () => {
      const thrown = new PaymentError('card declined');
      const received: unknown[] = [];
      const a = express();
      a.use(tw.tracing({ tracerProvider: otel.provider }));
      a.get('/pay', () => {
        throw thrown;
      });
      a.use(tw.tracingErrors());
      a.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
        received.push(err);
        res.status(402).send('pay up');
      });
      const { server } = await listen(a);
      const res = await request(server).get('/pay');
      expect(res.status).toBe(402);
      expect(res.text).toBe('pay up');
      expect(received).toEqual([thrown]);
      expect(received[0]).toBe(thrown);
      const [span] = await waitForSpans(otel.spans, 1);
      // A 4xx stays UNSET even with an exception; the exception is still recorded.
      expect(span!.status.code).toBe(SpanStatusCode.UNSET);
      expect(exceptionEvents(span)).toHaveLength(1);
    });

    test('tracingErrors() without tracing(), or for an ignored request, just passes the error on', async () => {
      for (const withTracing of [false, true]) {
        const a = express();
        if (withTracing) a.use(tw.tracing({ tracerProvider: otel.provider, ignore: () => true }));
        a.get('/', () => {
          throw new PaymentError('card declined');
        });
        a.use(tw.tracingErrors());
        const { server } = await listen(a);
        expect((await request(server).get('/')).status).toBe(500);
      }
      expect(otel.spans()).toHaveLength(0);
    });

    test('an error from a route of a mounted sub-app is named with the full template', async () => {
      const a = express();
      a.use(tw.tracing({ tracerProvider: otel.provider }));
      const admin = express();
      const reports = express.Router();
      reports.get('/:year', () => {
        throw new PaymentError('no report');
      });
      admin.use('/reports', reports);
      a.use('/admin', admin);
      a.use(tw.tracingErrors());
      const { server } = await listen(a);
      expect((await request(server).get('/admin/reports/2024')).status).toBe(500);
      const [span] = await waitForSpans(otel.spans, 1);
      expect(span!.name).toBe('GET /admin/reports/:year');
      expect(span!.attributes['error.type']).toBe('PaymentError');
    });
  });
});
