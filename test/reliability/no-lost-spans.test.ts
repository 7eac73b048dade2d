// No lost spans: under load (10,000 requests per app at concurrency 50, with
// errors, 404s and requests the client aborts), every request the server
// received has exactly one ended SERVER span, and every response a client
// got has its span. A SimpleSpanProcessor exports each span as it ends.
import http from 'node:http';
import { context, DiagLogLevel, diag, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOnSampler, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { BUILDS, load } from '../support/builds';
import { createApp, FRAMEWORKS, type Framework, serve, type Tracewire } from './support/apps';
import { RecordingExporter, until } from './support/tracing';

const REQUESTS = 10_000;
const CONCURRENCY = 50;

/** Request `i` of the mix: mostly 200s, some 500s and 404s, and one in ten aborted by the client mid-request. */
function planFor(i: number): { path: string; abortAfterMs?: number } {
  switch (i % 10) {
    case 6:
      return { path: `/fail/${i}` };
    case 7:
      return { path: `/missing/${i}` };
    case 8:
      return { path: `/slow/50/${i}`, abortAfterMs: 5 };
    default:
      return { path: `/users/${i}` };
  }
}

type Outcome = 'response' | 'aborted';

function request(port: number, agent: http.Agent, path: string, abortAfterMs?: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve('response'));
      res.on('error', () => resolve('aborted'));
    });
    req.on('error', () => resolve('aborted'));
    if (abortAfterMs !== undefined) setTimeout(() => req.destroy(), abortAfterMs);
  });
}

const exporter = new RecordingExporter();
const provider = new TracerProvider({
  sampler: new AlwaysOnSampler(),
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
afterAll(async () => {
  await provider.shutdown();
  context.disable();
  trace.disable();
  propagation.disable();
});

describe.each(BUILDS)('no lost spans (%s build)', (build) => {
  let tracewire: Tracewire;
  const warnings: string[] = [];

  beforeAll(async () => {
    tracewire = {
      express: await load('@tracewire/express', build),
      koa: await load('@tracewire/koa', build),
      fetch: await load('@tracewire/fetch', build),
    };
    const keep = (message: string) => warnings.push(message);
    diag.setLogger({ error: keep, warn: keep, info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);
  });
  afterAll(() => diag.disable());

  test.each(FRAMEWORKS)(
    `%s: ${REQUESTS} requests, one ended server span for each`,
    async (framework: Framework) => {
      exporter.records = [];
      const served = await serve(
        createApp({
          framework,
          tracing: { tracewire, options: { tracerProvider: provider } },
          tracerProvider: provider,
        }),
      );
      // What the server received, by path: each request has a path of its own.
      const received = new Map<string, number>();
      served.server.on('request', (req: http.IncomingMessage) => {
        const path = (req.url ?? '').split('?')[0] as string;
        received.set(path, (received.get(path) ?? 0) + 1);
      });
      const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
      const answered: string[] = [];
      const aborted: string[] = [];
      let next = 0;
      try {
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next < REQUESTS) {
              const { path, abortAfterMs } = planFor(next++);
              const outcome = await request(served.port, agent, path, abortAfterMs);
              (outcome === 'response' ? answered : aborted).push(path);
            }
          }),
        );
        // An aborted request's span ends when its connection closes; let the last ones close.
        const server = () => exporter.records.filter((r) => r.kind === SpanKind.SERVER);
        await until(() => (server().length >= received.size ? true : undefined), 'every server span', 10_000).catch(
          () => undefined,
        );
        await new Promise((resolve) => setTimeout(resolve, 100));

        const spans = new Map<string, number>();
        for (const record of server()) spans.set(record.path, (spans.get(record.path) ?? 0) + 1);
        // Every request the server received: exactly one span; no span without a request.
        expect([...received.values()].every((n) => n === 1)).toBe(true);
        expect(server()).toHaveLength(received.size);
        expect([...spans.entries()].filter(([, n]) => n !== 1)).toEqual([]);
        expect([...received.keys()].filter((path) => !spans.has(path))).toEqual([]);
        // Every response a client got has its span.
        expect(answered.length + aborted.length).toBe(REQUESTS);
        expect(answered.filter((path) => spans.get(path) !== 1)).toEqual([]);
        // The mix did what it should: errors, and aborts that reached the server and show on their spans.
        const abortedSpans = server().filter((r) => r.message === 'request aborted by the client');
        const failed = server().filter((r) => r.status === SpanStatusCode.ERROR && r.path.startsWith('/fail/'));
        expect(failed.length).toBe(REQUESTS / 10);
        expect(abortedSpans.length).toBeGreaterThan(0);
        expect(abortedSpans.every((r) => r.path.startsWith('/slow/'))).toBe(true);
        // No span was ended twice (the SDK would warn about an ended span).
        expect(warnings.filter((w) => /ended Span/i.test(w))).toEqual([]);
        console.log(
          `${build} ${framework}: ${REQUESTS} requests, ${received.size} received by the server, ${answered.length} answered, ` +
            `${aborted.length} aborted by the client (${abortedSpans.length} of them after reaching the server), ` +
            `${server().length} server spans`,
        );
      } finally {
        agent.destroy();
        await served.close();
      }
    },
    120_000,
  );
});
