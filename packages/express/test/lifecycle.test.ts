import http from 'node:http';
import { diag, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { type ReadableSpan, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import request from 'supertest';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing, waitForSpans } from '../../../test/support/otel';
import { hostProcess } from '../../../test/support/process';
import {
  closeAll,
  defer,
  EXPRESSES,
  type ExpressModule,
  listen,
  send,
  TRACEPARENT,
  type TracewireExpress,
  traceparentFor,
} from './helpers';

const otel = memoryTracing();
afterAll(() => otel.close());

const later = (ms = 2) => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects OTel diagnostics: a span ended twice, or touched after its end, warns there. */
function captureDiag(): { messages: string[]; stop: () => void } {
  const messages: string[] = [];
  const push = (message: string) => messages.push(message);
  diag.setLogger({ warn: push, error: push, info() {}, debug() {}, verbose() {} });
  return { messages, stop: () => diag.disable() };
}

describe.each(BUILDS)('@tracewire/express request lifecycle (%s build)', (build) => {
  let tw: TracewireExpress;
  beforeAll(async () => {
    tw = await load<TracewireExpress>('@tracewire/express', build);
  });
  afterEach(async () => {
    await closeAll();
    otel.reset();
  });

  describe.each(EXPRESSES)('%s', (_name, express: ExpressModule) => {
    const tracer = () => otel.provider.getTracer('app');
    const activeId = () => trace.getActiveSpan()?.spanContext().spanId ?? 'none';

    test('the span is active in middleware, after await, in timers, in callbacks and in req/res listeners', async () => {
      const seen: Record<string, string> = {};
      const app = express();
      app.use(tw.tracing({ tracerProvider: otel.provider }));
      app.use((req, _res, next) => {
        if (req.path.startsWith('/orders')) seen.middleware = activeId();
        next();
      });
      app.post('/orders/:id', express.json(), async (req, res, next) => {
        try {
          seen.afterBodyParser = activeId();
          await later();
          seen.afterAwait = activeId();
          await new Promise<void>((resolve) =>
            setTimeout(() => {
              seen.timer = activeId();
              tracer().startSpan('in timer').end();
              resolve();
            }, 1),
          );
          await new Promise<void>((resolve) =>
            setImmediate(() => {
              seen.immediate = activeId();
              resolve();
            }),
          );
          res.on('finish', () => {
            seen.resFinish = activeId();
          });
          res.json({ received: req.body });
        } catch (error) {
          next(error);
        }
      });
      app.post('/raw', (req, res) => {
        req.on('data', () => {
          seen.reqData = activeId();
        });
        req.on('end', () => {
          seen.reqEnd = activeId();
          res.send('ok');
        });
      });
      const { server } = await listen(app);
      const res = await request(server).post('/orders/1').send({ n: 1 });
      expect(res.body).toEqual({ received: { n: 1 } });
      await request(server).post('/raw').send('x'.repeat(100_000));
      const spans = await waitForSpans(otel.spans, 3);
      const [timerSpan, orders, raw] = spans;
      const ordersId = orders!.spanContext().spanId;
      expect(orders!.name).toBe('POST /orders/:id');
      expect(timerSpan!.parentSpanContext?.spanId).toBe(ordersId);
      expect(timerSpan!.spanContext().traceId).toBe(orders!.spanContext().traceId);
      expect(seen).toMatchObject({
        middleware: ordersId,
        afterBodyParser: ordersId,
        afterAwait: ordersId,
        timer: ordersId,
        immediate: ordersId,
        resFinish: ordersId,
        reqData: raw!.spanContext().spanId,
        reqEnd: raw!.spanContext().spanId,
      });
    });

    test('200 concurrent requests with distinct traceparents: each span has its own parent, no cross-talk', async () => {
      const app = express();
      app.use(tw.tracing({ tracerProvider: otel.provider }));
      app.get('/work/:n', async (req, res) => {
        const n = Number(req.params.n);
        await later(n % 7);
        const child = tracer().startSpan(`child ${n}`);
        await later(n % 3);
        child.end();
        res.json({ n, active: activeId() });
      });
      const { port } = await listen(app);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
      try {
        const replies = await Promise.all(
          Array.from({ length: 200 }, (_, n) =>
            send(port, `/work/${n}`, { agent, headers: { traceparent: traceparentFor(n).traceparent } }),
          ),
        );
        const spans = await waitForSpans(otel.spans, 400);
        const servers = new Map<string, ReadableSpan>();
        const children = new Map<string, ReadableSpan>();
        for (const span of spans) {
          if (span.name.startsWith('child ')) children.set(span.name.slice(6), span);
          else servers.set(String(span.attributes['url.path']).slice(6), span);
        }
        expect(servers.size).toBe(200);
        expect(children.size).toBe(200);
        for (let n = 0; n < 200; n++) {
          const incoming = traceparentFor(n);
          const serverSpan = servers.get(String(n))!;
          const child = children.get(String(n))!;
          expect(serverSpan.spanContext().traceId).toBe(incoming.traceId);
          expect(serverSpan.parentSpanContext?.spanId).toBe(incoming.spanId);
          expect(child.spanContext().traceId).toBe(incoming.traceId);
          expect(child.parentSpanContext?.spanId).toBe(serverSpan.spanContext().spanId);
          expect(JSON.parse(replies[n]!.body)).toEqual({ n, active: serverSpan.spanContext().spanId });
        }
      } finally {
        agent.destroy();
      }
    });

    test('a client that disconnects first: the span ends once, ERROR with error.type aborted', async () => {
      const diagnostics = captureDiag();
      try {
        const entered = defer();
        const release = defer();
        const finished: string[] = [];
        const app = express();
        app.use(tw.tracing({ tracerProvider: otel.provider }));
        app.get('/slow', async (_req, res, next) => {
          entered.resolve();
          await release.promise;
          res.on('finish', () => finished.push('finish'));
          try {
            res.send('too late');
          } catch (error) {
            next(error);
          }
        });
        app.use(tw.tracingErrors());
        const { port } = await listen(app);
        const client = http.request({ host: '127.0.0.1', port, path: '/slow?q=1', agent: false });
        client.on('error', () => undefined);
        client.end();
        await entered.promise;
        client.destroy();
        const [span] = await waitForSpans(otel.spans, 1);
        expect(span!.name).toBe('GET /slow');
        expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'request aborted by the client' });
        expect(span!.attributes['error.type']).toBe('aborted');
        expect(span!.attributes['http.response.status_code']).toBeUndefined();
        // The handler goes on and answers into the closed connection: nothing more happens to the span.
        release.resolve();
        await later(30);
        expect(otel.spans()).toHaveLength(1);
        expect(diagnostics.messages).toEqual([]);
      } finally {
        diagnostics.stop();
      }
    });

    test('10,000 keep-alive requests on one connection: no listener leak, one span each, no context leak between them', async () => {
      let ended = 0;
      let wrongParent = 0;
      const counter: SpanProcessor = {
        onStart() {},
        onEnd(span) {
          ended++;
          const path = String(span.attributes['url.path']);
          const parent = span.parentSpanContext?.spanId;
          if (path === '/fresh' ? parent !== undefined : parent !== 'b7ad6b7169203331') wrongParent++;
        },
        forceFlush: async () => undefined,
        shutdown: async () => undefined,
      };
      const provider = new TracerProvider({ spanProcessors: [counter] });
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      hostProcess().on('warning', onWarning);
      const sockets = new Set<unknown>();
      const listenerCounts = new Set<string>();
      const app = express();
      app.use(tw.tracing({ tracerProvider: provider }));
      app.get(['/fresh', '/child'], (req, res) => {
        sockets.add(req.socket);
        const socket = req.socket;
        listenerCounts.add(['close', 'end', 'error', 'timeout'].map((e) => socket.listenerCount(e)).join(','));
        res.send('ok');
      });
      const { port } = await listen(app);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const total = 10_000;
        let next = 0;
        // A few requests queued at a time; the agent sends them one after another on its one socket.
        const worker = async () => {
          while (next < total) {
            const n = next++;
            const headers: http.OutgoingHttpHeaders = n % 2 === 0 ? { traceparent: TRACEPARENT } : {};
            const reply = await send(port, n % 2 === 0 ? '/child' : '/fresh', { agent, headers });
            if (reply.status !== 200) throw new Error(`request ${n}: ${reply.status}`);
          }
        };
        await Promise.all([worker(), worker(), worker(), worker()]);
        const deadline = Date.now() + 5000;
        while (ended < total && Date.now() < deadline) await later(5);
        await new Promise((resolve) => setImmediate(resolve));
        expect(sockets.size).toBe(1);
        expect(ended).toBe(total);
        expect(wrongParent).toBe(0);
        expect(listenerCounts.size).toBe(1);
        expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
      } finally {
        hostProcess().off('warning', onWarning);
        agent.destroy();
      }
    }, 120_000);

    test('a request whose tracing fails at the start is still served', async () => {
      const diagnostics = captureDiag();
      try {
        const broken = {
          getTracer: () => ({
            startSpan(): Span {
              throw new Error('no spans today');
            },
            startActiveSpan() {
              throw new Error('no spans today');
            },
          }),
        };
        const app = express();
        app.use(tw.tracing({ tracerProvider: broken as never }));
        app.get('/', (_req, res) => {
          res.send('still here');
        });
        app.use(tw.tracingErrors());
        const { server } = await listen(app);
        const res = await request(server).get('/');
        expect(res.text).toBe('still here');
        expect(diagnostics.messages.some((m) => m.includes('starting a span failed'))).toBe(true);
      } finally {
        diagnostics.stop();
      }
    });
  });
});
