import http from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { SpanStatusCode } from '@opentelemetry/api';
import request from 'supertest';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing, waitForSpans } from '../../../test/support/otel';
import {
  close,
  countingEnds,
  get,
  hostProcess,
  KOAS,
  type KoaClass,
  type KoaModule,
  listen,
  listenerCounts,
  portOf,
  quietApp,
  sleep,
} from './helpers';

const otel = memoryTracing();
afterAll(() => otel.close());

/** A body that sends `count` chunks, `gap` ms apart, recording when the last one went out. */
function slowBody(count: number, gap: number, sent: number[], fail?: Error): Readable {
  let i = 0;
  return new Readable({
    read() {
      setTimeout(() => {
        if (fail && i === 1) {
          this.destroy(fail);
          return;
        }
        if (i === count) {
          this.push(null);
          return;
        }
        i++;
        sent.push(Date.now());
        this.push(`chunk ${i}\n`);
      }, gap);
    },
  });
}

/** Opens a request, waits until the handler has started, then drops the connection. */
async function abortAfter(server: http.Server, path: string, started: Promise<void>): Promise<void> {
  const req = http.get({ host: '127.0.0.1', port: portOf(server), path });
  req.on('error', () => undefined);
  req.on('response', (res) => {
    res.once('data', () => req.destroy());
  });
  await started;
  if (path.includes('handler')) req.destroy();
}

describe.each(BUILDS)('@tracewire/koa span lifecycle (%s build)', (build) => {
  let koa: KoaModule;
  beforeAll(async () => {
    koa = await load<KoaModule>('@tracewire/koa', build);
  });
  afterEach(() => otel.reset());

  describe.each(KOAS)('%s', (_name, Koa: KoaClass) => {
    test('a streamed body: the span ends when the response is finished, not when next() returns', async () => {
      const sent: number[] = [];
      let spansWhenNextReturned = -1;
      const app = quietApp(Koa);
      app.use(koa.tracing({ tracerProvider: otel.provider }));
      app.use(async (_ctx, next) => {
        await next();
        spansWhenNextReturned = otel.spans().length;
      });
      app.use((ctx) => {
        ctx.type = 'text/plain';
        ctx.body = slowBody(4, 15, sent);
      });
      const server = await listen(app);
      try {
        const res = await request(server).get('/download').expect(200);
        expect(res.text).toBe('chunk 1\nchunk 2\nchunk 3\nchunk 4\n');
        const [span] = await waitForSpans(otel.spans, 1);
        expect(spansWhenNextReturned).toBe(0);
        const endedAt = span!.endTime[0] * 1000 + span!.endTime[1] / 1e6;
        expect(endedAt).toBeGreaterThanOrEqual(sent[3]! - 1);
        expect(span?.status.code).toBe(SpanStatusCode.UNSET);
        expect(span?.attributes['http.response.status_code']).toBe(200);
      } finally {
        await close(server);
      }
    });

    test('a streamed body that fails after the headers: the stream error is recorded, not an abort', async () => {
      const sent: number[] = [];
      const failure = new RangeError('disk read failed');
      const app = quietApp(Koa);
      app.use(koa.tracing({ tracerProvider: otel.provider }));
      app.use((ctx) => {
        ctx.body = slowBody(4, 5, sent, failure);
      });
      const server = await listen(app);
      try {
        // Koa 3 destroys the response when its body fails; Koa 2 leaves it
        // open, so this client gives up after a while, as a real one would.
        const req = http.get({ host: '127.0.0.1', port: portOf(server), path: '/download' });
        req.on('error', () => undefined);
        req.on('response', (res) => {
          res.on('error', () => undefined);
          res.once('data', () => setTimeout(() => req.destroy(), 50));
        });
        const [span] = await waitForSpans(otel.spans, 1);
        expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'disk read failed' });
        expect(span?.attributes['error.type']).toBe('RangeError');
        expect(span?.events.map((event) => event.attributes?.['exception.message'])).toEqual(['disk read failed']);
      } finally {
        await close(server);
      }
    });

    test.each([
      ['in the handler', '/handler'],
      ['while the body streams', '/stream'],
    ])('a client that disconnects %s: the span ends exactly once, as aborted', async (_when, path) => {
      const counting = countingEnds(otel.provider);
      let markStarted: () => void = () => undefined;
      const started = new Promise<void>((resolve) => {
        markStarted = resolve;
      });
      let handlerDone = false;
      const app = quietApp(Koa);
      app.use(koa.tracing({ tracerProvider: counting.provider }));
      app.use(async (ctx) => {
        if (ctx.path === '/stream') {
          ctx.body = slowBody(50, 10, []);
          markStarted();
          return;
        }
        markStarted();
        // Still working when the client goes away; answers afterwards.
        await new Promise((resolve) => ctx.req.socket.once('close', resolve));
        await sleep(20);
        ctx.body = 'too late';
        handlerDone = true;
      });
      const server = await listen(app);
      try {
        await abortAfter(server, path, started);
        const [span] = await waitForSpans(otel.spans, 1);
        if (path === '/handler') {
          while (!handlerDone) await sleep(5);
          expect(span?.attributes['http.response.status_code']).toBeUndefined();
        } else {
          expect(span?.attributes['http.response.status_code']).toBe(200);
        }
        await sleep(30);
        expect(otel.spans()).toHaveLength(1);
        expect([...counting.ends.values()]).toEqual([1]);
        expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'request aborted by the client' });
        expect(span?.attributes['error.type']).toBe('aborted');
      } finally {
        await close(server);
      }
    });

    test('every finished request ends its span exactly once', async () => {
      const counting = countingEnds(otel.provider);
      const app = quietApp(Koa);
      app.use(koa.tracing({ tracerProvider: counting.provider }));
      app.use((ctx) => {
        if (ctx.path === '/boom') throw new Error('boom');
        if (ctx.path === '/missing') ctx.throw(404);
        ctx.body = ctx.path === '/stream' ? Readable.from(['a', 'b']) : 'ok';
      });
      const server = await listen(app);
      try {
        for (const path of ['/ok', '/boom', '/missing', '/stream']) await request(server).get(path);
        await waitForSpans(otel.spans, 4);
        await sleep(20);
        expect([...counting.ends.values()]).toEqual([1, 1, 1, 1]);
      } finally {
        await close(server);
      }
    });

    test('10,000 keep-alive requests on one connection: no MaxListenersExceededWarning, one span each', async () => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      hostProcess().on('warning', onWarning);
      const sockets: Socket[] = [];
      const app = quietApp(Koa);
      app.use(koa.tracing({ tracerProvider: otel.provider }));
      app.use((ctx) => {
        ctx.body = 'ok';
      });
      const server = await listen(app);
      server.on('connection', (socket) => sockets.push(socket));
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const total = 10_000;
      try {
        let served = 0;
        let spans = 0;
        let firstCounts: Record<string, number> = {};
        // 10 in flight at a time, all queued on the agent's one socket.
        for (let batch = 0; batch < total / 10; batch++) {
          const results = await Promise.all(Array.from({ length: 10 }, () => get(server, '/ping', { agent })));
          served += results.filter((res) => res.status === 200).length;
          if (batch === 0) firstCounts = listenerCounts(sockets[0]!);
          if (batch % 100 === 99) {
            spans += (await waitForSpans(otel.spans, served - spans)).length;
            otel.reset();
          }
        }
        await sleep(20);
        expect(served).toBe(total);
        expect(spans + otel.spans().length).toBe(total);
        expect(sockets).toHaveLength(1);
        expect(listenerCounts(sockets[0]!)).toEqual(firstCounts);
        expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
        expect(warnings).toEqual([]);
      } finally {
        hostProcess().off('warning', onWarning);
        agent.destroy();
        await close(server);
      }
    }, 60_000);
  });
});
