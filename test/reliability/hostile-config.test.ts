// Hostile configuration: a spanName, requestHook, responseHook, ignore or
// propagator that throws or returns garbage. Every response is identical to
// the untraced app's, and each broken piece is reported once through the
// OTel diagnostic logger, however many requests meet it.
import http from 'node:http';
import { DiagLogLevel, diag, SpanKind } from '@opentelemetry/api';
import { BUILDS, load } from '../support/builds';
import { hostProcess } from '../support/process';
import {
  createApp,
  FRAMEWORKS,
  observable,
  type Served,
  send,
  serve,
  startDownstream,
  type Tracewire,
} from './support/apps';
import { recordingTracing } from './support/tracing';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const PATHS = ['/users/7', '/fail/7', '/teapot', '/down/7', '/missing?x=1'];
const ROUNDS = 10;

const boom = () => {
  throw new Error('hook failure');
};
const propagatorWith = (overrides: Record<string, unknown>) => ({
  inject() {},
  extract: (ctx: unknown) => ctx,
  fields: () => ['traceparent', 'tracestate', 'baggage'],
  ...overrides,
});

const rejects = async () => {
  throw new Error('async hook failure');
};

/** [case, options for both tracing() and traceFetch(), the diagnostic message expected (once per component)] */
const CASES: [string, Record<string, unknown>, RegExp][] = [
  ['requestHook is async and rejects', { requestHook: rejects }, /requestHook\(\) rejected/],
  ['responseHook is async and rejects', { responseHook: rejects }, /responseHook\(\) rejected/],
  ['spanName returns a rejected promise', { spanName: rejects }, /spanName\(\) returned no non-empty string/],
  ['ignore returns a rejected promise', { ignore: rejects }, /ignore\(\) returned object, not a boolean/],
  ['spanName throws', { spanName: boom }, /spanName\(\) threw/],
  ['spanName returns a number', { spanName: () => 42 }, /spanName\(\) returned no non-empty string/],
  ['spanName returns an empty string', { spanName: () => '' }, /spanName\(\) returned no non-empty string/],
  ['requestHook throws', { requestHook: boom }, /requestHook\(\) threw/],
  ['responseHook throws', { responseHook: boom }, /responseHook\(\) threw/],
  ['ignore throws', { ignore: boom }, /ignore\(\) threw/],
  ['ignore returns a string', { ignore: () => 'yes' }, /ignore\(\) returned string, not a boolean/],
  ['propagator.extract throws', { propagator: propagatorWith({ extract: boom }) }, /propagator threw in extract/],
  [
    'propagator.extract returns garbage',
    { propagator: propagatorWith({ extract: () => 'garbage' }) },
    /propagator returned no Context/,
  ],
  ['propagator.inject throws', { propagator: propagatorWith({ inject: boom }) }, /propagator threw in inject/],
  [
    'propagator.inject writes a header fetch refuses',
    {
      propagator: propagatorWith({
        inject: (_ctx: unknown, carrier: unknown, setter: { set(c: unknown, k: string, v: string): void }) =>
          setter.set(carrier, 'traceparent', 'bad\r\nvalue'),
      }),
    },
    /propagator threw in inject/,
  ],
];

/** traceFetch's own option. */
const FETCH_CASES: [string, Record<string, unknown>, RegExp][] = [
  ['propagateTo throws', { propagateTo: boom }, /propagateTo\(\) threw/],
  ['propagateTo returns a string', { propagateTo: () => 'yes' }, /propagateTo\(\) returned string/],
  ['propagateTo returns a rejected promise', { propagateTo: rejects }, /propagateTo\(\) returned object/],
];

const otel = recordingTracing();
afterAll(() => otel.close());

describe.each(BUILDS)('hostile configuration (%s build)', (build) => {
  let tracewire: Tracewire;
  let downstream: Awaited<ReturnType<typeof startDownstream>>;
  const messages: string[] = [];
  const unhandled = jest.fn();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  beforeAll(async () => {
    tracewire = {
      express: await load('@tracewire/express', build),
      koa: await load('@tracewire/koa', build),
      fetch: await load('@tracewire/fetch', build),
    };
    downstream = await startDownstream();
    const keep = (message: string) => messages.push(message);
    diag.setLogger({ error: keep, warn: keep, info: keep, debug() {}, verbose() {} }, DiagLogLevel.INFO);
    hostProcess().on('unhandledRejection', unhandled);
  });
  afterAll(async () => {
    hostProcess().off('unhandledRejection', unhandled);
    diag.disable();
    agent.destroy();
    await downstream.close();
  });
  afterEach(() => {
    messages.length = 0;
    otel.reset();
  });

  describe.each(FRAMEWORKS)('%s', (framework) => {
    let untraced: Served;
    beforeAll(async () => {
      untraced = await serve(createApp({ framework, tracing: undefined, downstream: downstream.url }));
    });
    afterAll(() => untraced.close());

    /** Every path, ROUNDS times, to the traced app and its untraced twin: the responses must be equal. */
    async function compare(serverOptions: Record<string, unknown>, fetchOptions: Record<string, unknown>) {
      const traced = await serve(
        createApp({
          framework,
          tracing: { tracewire, options: { tracerProvider: otel.provider, ...serverOptions } },
          downstream: downstream.url,
          tracerProvider: otel.provider,
          fetchOptions,
        }),
      );
      try {
        for (let round = 0; round < ROUNDS; round++) {
          for (const path of PATHS) {
            const headers = { traceparent: TRACEPARENT, 'user-agent': 'reliability' };
            const want = observable(await send(untraced.port, path, headers, agent));
            const got = observable(await send(traced.port, path, headers, agent));
            expect(got).toEqual(want);
          }
        }
      } finally {
        await traced.close();
      }
      // Let promises a hook returned settle, so that an unhandled rejection would show.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).not.toHaveBeenCalled();
      // Requests are still traced (an ignore() that throws or says "yes" traces too), with sane names.
      const spans = otel.spans().filter((s) => s.kind === SpanKind.SERVER);
      expect(spans).toHaveLength(ROUNDS * PATHS.length);
      for (const span of spans) expect(span.name).toMatch(/^GET \/[^?]*$/);
      return {
        server: messages.filter((m) => /^@tracewire\/(express|koa): /.test(m)),
        fetch: messages.filter((m) => m.startsWith('@tracewire/fetch: ')),
      };
    }

    test.each(CASES)(
      '%s: every response as without tracing, one diagnostic message',
      async (_case, hostile, expected) => {
        const { server, fetch } = await compare(hostile, hostile);
        // One message per component that met the broken option (the server middleware, traceFetch), not one per request.
        expect(messages).toHaveLength(server.length + fetch.length);
        for (const group of [server, fetch]) {
          expect(group.length).toBeLessThanOrEqual(1);
          if (group.length === 1) expect(group[0]).toMatch(expected);
        }
        expect(/inject/.test(String(expected)) ? fetch : server).toHaveLength(1);
      },
    );

    test.each(FETCH_CASES)(
      'traceFetch %s: every response as without tracing, one diagnostic message',
      async (_case, hostile, expected) => {
        const { fetch } = await compare({}, hostile);
        expect(messages).toHaveLength(1);
        expect(fetch[0]).toMatch(expected);
      },
    );
  });
});
