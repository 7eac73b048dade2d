import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import * as undici from 'undici';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing } from '../../../test/support/otel';
import { closedPort, type Downstream, type Received, startDownstream } from './server';

type Pkg = typeof import('@tracewire/fetch');
type Core = typeof import('@tracewire/core');
// biome-ignore lint/suspicious/noExplicitAny: the two fetch implementations have different argument types
type AnyFetch = (input: any, init?: any) => Promise<Response>;

interface Impl {
  name: string;
  fetch: AnyFetch;
  Request: new (input: string, init?: object) => Request;
  Headers: new (init: Record<string, string>) => Headers;
}

const IMPLS: Impl[] = [
  {
    name: "Node's global fetch",
    fetch: globalThis.fetch,
    Request: globalThis.Request,
    Headers: globalThis.Headers as Impl['Headers'],
  },
  {
    name: "undici's fetch",
    fetch: undici.fetch as unknown as AnyFetch,
    Request: undici.Request as unknown as Impl['Request'],
    Headers: undici.Headers as unknown as Impl['Headers'],
  },
];

const STALE_TRACEPARENT = '00-11111111111111111111111111111111-2222222222222222-01';

type Outcome = { ok: true; value: Response } | { ok: false; error: unknown };

async function settle(promise: Promise<Response>): Promise<Outcome> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Records what the wrapped fetch itself returned, to compare with what the traced one hands back. */
function spyOn(impl: AnyFetch) {
  const calls: Array<{ input: unknown; init: unknown; promise: Promise<Response> }> = [];
  const fetch: AnyFetch = (input, init) => {
    const promise = impl(input, init);
    calls.push({ input, init, promise });
    return promise;
  };
  return { fetch, calls };
}

function traceparentOf(span: ReadableSpan): string {
  return `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`;
}

/** What a request looked like on the wire, leaving out the trace header. */
function wire(received: Received | undefined) {
  if (!received) throw new Error('the server received nothing');
  const { traceparent: _traceparent, ...headers } = received.headers;
  return { method: received.method, url: received.url, body: received.body, headers };
}

function textStream(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
}

/** One way of calling fetch; `snapshot` captures the caller's objects, to prove they were not mutated. */
interface Form {
  input: unknown;
  init?: object;
  snapshot: () => unknown;
}

const FORMS: Array<[string, (base: string, impl: Impl) => Form]> = [
  ['a string', (base) => ({ input: `${base}/form?q=1`, snapshot: () => null })],
  [
    'a URL',
    (base) => {
      const url = new URL(`${base}/form?q=1`);
      return { input: url, snapshot: () => url.href };
    },
  ],
  [
    'a Request with its own headers (a stale traceparent among them) and body',
    (base, impl) => {
      const request = new impl.Request(`${base}/form`, {
        method: 'POST',
        headers: { 'x-own': 'request', traceparent: STALE_TRACEPARENT },
        body: 'payload',
      });
      return { input: request, snapshot: () => [...request.headers] };
    },
  ],
  [
    "a Request and init headers (which replace the Request's, as fetch does)",
    (base, impl) => {
      const request = new impl.Request(`${base}/form`, { method: 'PUT', headers: { 'x-own': 'request' }, body: 'b' });
      const headers = new impl.Headers({ 'x-init': 'init' });
      const init = { headers };
      return {
        input: request,
        init,
        snapshot: () => ({ request: [...request.headers], init: Object.keys(init), same: init.headers === headers }),
      };
    },
  ],
  [
    'a Request and an init without headers',
    (base, impl) => {
      const request = new impl.Request(`${base}/form`, { method: 'POST', headers: { 'x-own': 'request' }, body: 'b' });
      const init = { method: 'PATCH' };
      return { input: request, init, snapshot: () => ({ request: [...request.headers], init: { ...init } }) };
    },
  ],
  [
    'init headers as a Headers',
    (base, impl) => {
      const headers = new impl.Headers({ 'x-a': '1', traceparent: STALE_TRACEPARENT });
      const init = { method: 'POST', headers, body: 'body' };
      return {
        input: `${base}/form`,
        init,
        snapshot: () => ({ keys: Object.keys(init), same: init.headers === headers, entries: [...headers] }),
      };
    },
  ],
  [
    'init headers as an array of pairs (a name repeated)',
    (base) => {
      const headers = [
        ['x-a', '1'],
        ['x-a', '2'],
        ['TraceParent', STALE_TRACEPARENT],
      ];
      const init = { headers };
      return {
        input: `${base}/form`,
        init,
        snapshot: () => ({ same: init.headers === headers, headers: structuredClone(headers) }),
      };
    },
  ],
  [
    'init headers as a record',
    (base) => {
      const headers = { 'X-A': '1', traceparent: STALE_TRACEPARENT };
      const init = { method: 'delete', headers };
      return {
        input: new URL(`${base}/form`),
        init,
        snapshot: () => ({ same: init.headers === headers, headers: { ...headers } }),
      };
    },
  ],
  [
    'a stream body (duplex: half)',
    (base) => {
      const init = { method: 'POST', body: textStream('streamed'), duplex: 'half', headers: { 'x-a': '1' } };
      return {
        input: `${base}/form`,
        init,
        snapshot: () => ({ keys: Object.keys(init), headers: { ...init.headers } }),
      };
    },
  ],
  [
    'a Request with a stream body',
    (base, impl) => {
      const request = new impl.Request(`${base}/form`, {
        method: 'POST',
        body: textStream('streamed request'),
        duplex: 'half',
        headers: { 'x-own': 'request' },
      });
      return { input: request, snapshot: () => [...request.headers] };
    },
  ],
  [
    'an init that is a class instance with getters',
    (base) => {
      class Options {
        get method() {
          return 'POST';
        }
        get body() {
          return 'from a getter';
        }
        get headers() {
          return { 'x-a': 'getter' };
        }
      }
      const init = new Options();
      return { input: `${base}/form`, init, snapshot: () => Object.keys(init) };
    },
  ],
];

describe.each(BUILDS)('traceFetch (%s build)', (build) => {
  let pkg: Pkg;
  let core: Core;
  let otel: ReturnType<typeof memoryTracing>;
  let server: Downstream;

  beforeAll(async () => {
    pkg = await load<Pkg>('@tracewire/fetch', build);
    core = await load<Core>('@tracewire/core', build);
    otel = memoryTracing();
    server = await startDownstream();
  });
  afterAll(async () => {
    await server.close();
    await otel.close();
  });
  afterEach(() => {
    otel.reset();
    server.received.length = 0;
  });

  const clientSpans = () => otel.spans().filter((span) => span.kind === SpanKind.CLIENT);

  /** Runs `fn` inside a parent span of the in-memory provider, as a handler of a traced server would. */
  async function inParent<T>(fn: () => Promise<T>): Promise<{ parent: Span; result: T }> {
    const parent = otel.provider.getTracer('test').startSpan('parent');
    try {
      return { parent, result: await context.with(trace.setSpan(ROOT_CONTEXT, parent), fn) };
    } finally {
      parent.end();
    }
  }

  test('VERSION equals package.json version, and is the instrumentation scope version', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(pkg.VERSION).toBe(manifest.version);
  });

  test('the fetch to trace defaults to globalThis.fetch', async () => {
    const traced = pkg.traceFetch(undefined, { tracerProvider: otel.provider });
    const response = await traced(`${server.url}/default`);
    expect(await response.text()).toBe('ok');
    expect(clientSpans()).toHaveLength(1);
    expect(server.received[0]?.headers.traceparent).toBe(traceparentOf(clientSpans()[0]!));
    // And with no arguments at all: the global (here no-op) provider, nothing breaks.
    expect((await pkg.traceFetch()(`${server.url}/bare`)).status).toBe(200);
  });

  test('options are checked at setup, naming the bad one', () => {
    expect(() => pkg.traceFetch(fetch, { propagateTo: 'example.com' } as never)).toThrow(
      'tracewire: option "propagateTo" must be a function, got string example.com',
    );
    expect(() => pkg.traceFetch(fetch, { propagateto: () => true } as never)).toThrow(
      'tracewire: unknown option "propagateto"',
    );
    expect(() => pkg.traceFetch(fetch, { spanName: 'x' } as never)).toThrow('option "spanName" must be a function');
    expect(() => pkg.traceFetch({ tracerProvider: otel.provider } as never)).toThrow(
      'tracewire: the fetch to trace must be a function, got an object',
    );
    expect(() => pkg.traceFetch(fetch, { propagateTo: () => false })).not.toThrow();
  });

  test('one trace across two real servers traced by core (upstream server -> client -> downstream server)', async () => {
    const scope = { name: '@tracewire/test-server', version: '0.0.0' };
    const tracing = new core.HttpServerTracing({ scope, route: () => undefined }, { tracerProvider: otel.provider });
    const traced = pkg.traceFetch(fetch, { tracerProvider: otel.provider });
    const serve = (handler: (res: import('node:http').ServerResponse) => void | Promise<void>): Server =>
      createServer((req, res) => {
        const request = tracing.start(req, res, req, res);
        if (request === undefined) throw new Error('expected a traced request');
        const ctx = core.isTraced(request) ? request.ctx : request;
        void context.with(ctx, () => handler(res));
      });
    const downstream = serve((res) => {
      res.end('down');
    });
    const upstream = serve(async (res) => {
      const port = (downstream.address() as AddressInfo).port;
      const reply = await traced(`http://127.0.0.1:${port}/down`);
      res.end(`up:${await reply.text()}`);
    });
    const listen = (s: Server) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    await listen(downstream);
    await listen(upstream);
    try {
      const response = await fetch(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}/up`);
      expect(await response.text()).toBe('up:down');
      const deadline = Date.now() + 5000;
      while (otel.spans().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      const spans = otel.spans();
      const up = spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'GET /up');
      const client = spans.find((s) => s.kind === SpanKind.CLIENT);
      const down = spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'GET /down');
      expect(spans).toHaveLength(3);
      expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
      expect(up?.parentSpanContext).toBeUndefined();
      expect(client?.parentSpanContext?.spanId).toBe(up?.spanContext().spanId);
      expect(down?.parentSpanContext?.spanId).toBe(client?.spanContext().spanId);
    } finally {
      upstream.closeAllConnections();
      downstream.closeAllConnections();
      await Promise.all([upstream, downstream].map((s) => new Promise((r) => s.close(r))));
    }
  });

  describe.each(IMPLS)('with $name', (impl) => {
    function traced(options: Parameters<Pkg['traceFetch']>[1] = {}, fetchImpl: AnyFetch = impl.fetch): AnyFetch {
      return pkg.traceFetch(fetchImpl, { tracerProvider: otel.provider, ...options });
    }

    test('one CLIENT span, child of the active span, with the contract attributes, and its context sent', async () => {
      const { parent, result } = await inParent(() => traced()(`${server.url}/users/42?page=2`));
      expect(await result.text()).toBe('ok');
      const spans = clientSpans();
      expect(spans).toHaveLength(1);
      const span = spans[0]!;
      expect(span.name).toBe('GET /users/42');
      expect(span.spanContext().traceId).toBe(parent.spanContext().traceId);
      expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(span.instrumentationScope).toEqual({
        name: '@tracewire/fetch',
        version: pkg.VERSION,
        schemaUrl: undefined,
      });
      expect(span.attributes).toEqual({
        component: 'HTTP',
        'http.request.method': 'GET',
        'url.full': `${server.url}/users/42?page=2`,
        'server.address': '127.0.0.1',
        'server.port': server.port,
        'http.response.status_code': 200,
      });
      expect(span.status).toEqual({ code: SpanStatusCode.UNSET });
      expect(span.events).toEqual([]);
      expect(server.received[0]?.headers.traceparent).toBe(traceparentOf(span));
    });

    test('with no active span, the client span is a root span', async () => {
      await traced()(`${server.url}/root`);
      const [span] = clientSpans();
      expect(span?.parentSpanContext).toBeUndefined();
      expect(server.received[0]?.headers.traceparent).toBe(traceparentOf(span!));
    });

    test.each([
      [200, SpanStatusCode.UNSET, undefined],
      [204, SpanStatusCode.UNSET, undefined],
      [302, SpanStatusCode.UNSET, undefined],
      [399, SpanStatusCode.UNSET, undefined],
      [400, SpanStatusCode.ERROR, '400'],
      [404, SpanStatusCode.ERROR, '404'],
      [500, SpanStatusCode.ERROR, '500'],
      [503, SpanStatusCode.ERROR, '503'],
    ])('status %i gives span status %i, error.type %s', async (code, status, errorType) => {
      const response = await traced()(`${server.url}/status/${code}?q=1`, { redirect: 'manual' });
      expect(response.status).toBe(code);
      const [span] = clientSpans();
      expect(span?.name).toBe(`GET /status/${code}`);
      expect(span?.status.code).toBe(status);
      expect(span?.attributes['error.type']).toBe(errorType);
      expect(span?.attributes['http.response.status_code']).toBe(code);
      expect(span?.events).toEqual([]);
    });

    test.each(FORMS)(
      'input form: %s — same request on the wire as untraced, new traceparent, nothing mutated',
      async (_, make) => {
        const plain = make(server.url, impl);
        const untraced = await settle(impl.fetch(plain.input, plain.init));
        if (untraced.ok) await untraced.value.text();
        const untracedWire = untraced.ok ? wire(server.received.at(-1)) : undefined;

        const form = make(server.url, impl);
        const before = form.snapshot();
        const { result: outcome } = await inParent(() => settle(traced()(form.input, form.init)));
        expect(form.snapshot()).toEqual(before);
        expect(outcome.ok).toBe(untraced.ok);
        if (!outcome.ok || !untraced.ok) {
          expect(String(outcome.ok ? '' : outcome.error)).toBe(String(untraced.ok ? '' : untraced.error));
          return;
        }
        await outcome.value.text();
        expect(server.received).toHaveLength(2);
        expect(wire(server.received.at(-1))).toEqual(untracedWire);
        const [span] = clientSpans();
        expect(server.received.at(-1)?.headers.traceparent).toBe(traceparentOf(span!));
        expect(span?.attributes['http.request.method']).toBe(server.received.at(-1)?.method);
        expect(span?.name).toBe(`${server.received.at(-1)?.method} /form`);
      },
    );

    test('resolves with the very Response object the wrapped fetch resolved with', async () => {
      const spy = spyOn(impl.fetch);
      const response = await traced({}, spy.fetch)(`${server.url}/same`);
      expect(spy.calls).toHaveLength(1);
      expect(response).toBe(await spy.calls[0]!.promise);
    });

    const failures: Array<[string, string, (base: string) => Promise<[string, RequestInit?]>]> = [
      ['connection refused', 'TypeError', async () => [`http://127.0.0.1:${await closedPort()}/refused`]],
      [
        'an AbortSignal aborted in flight',
        'AbortError',
        async (base) => {
          const controller = new AbortController();
          setTimeout(() => controller.abort(), 100);
          return [`${base}/slow`, { signal: controller.signal }];
        },
      ],
      ['an already aborted signal', 'AbortError', async (base) => [`${base}/slow`, { signal: AbortSignal.abort() }]],
      ['AbortSignal.timeout', 'TimeoutError', async (base) => [`${base}/slow`, { signal: AbortSignal.timeout(100) }]],
    ];

    test.each(failures)(
      '%s: rejects with the very same error; ERROR span with error.type %s',
      async (_, errorType, make) => {
        const [url, init] = await make(server.url);
        const spy = spyOn(impl.fetch);
        const outcome = await settle(traced({}, spy.fetch)(url, init));
        expect(outcome.ok).toBe(false);
        const inner = await settle(spy.calls[0]!.promise);
        expect(inner.ok).toBe(false);
        const error = outcome.ok ? undefined : outcome.error;
        expect(error).toBe(inner.ok ? undefined : inner.error);
        expect((error as Error).name).toBe(errorType);
        const [span] = clientSpans();
        expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        expect(span?.attributes['error.type']).toBe(errorType);
        expect(span?.attributes['http.response.status_code']).toBeUndefined();
        expect(span?.events.map((event) => event.name)).toEqual(['exception']);
        expect(span?.name).toBe(`GET ${new URL(url).pathname}`);
      },
    );

    test('the span ends when the response headers arrive, before the body is read', async () => {
      const response = await traced()(`${server.url}/hold`);
      expect(clientSpans()).toHaveLength(1);
      expect(clientSpans()[0]?.attributes['http.response.status_code']).toBe(200);
      server.release();
      expect(await response.text()).toBe('first part;second part');
      expect(clientSpans()).toHaveLength(1);
    });

    test('url.full has signed-URL credentials redacted; the span name has no query', async () => {
      const query = 'AWSAccessKeyId=AKIA1&Signature=s1&sig=s2&X-Goog-Signature=s3&keep=me';
      await traced()(`${server.url}/signed?${query}`);
      const [span] = clientSpans();
      expect(span?.name).toBe('GET /signed');
      expect(span?.attributes['url.full']).toBe(
        `${server.url}/signed?AWSAccessKeyId=REDACTED&Signature=REDACTED&sig=REDACTED&X-Goog-Signature=REDACTED&keep=me`,
      );
      expect(server.received[0]?.url).toBe(`/signed?${query}`);
    });

    test('url.full has user info removed (fetch itself then rejects such a URL)', async () => {
      const spy = spyOn(impl.fetch);
      const outcome = await settle(traced({}, spy.fetch)(`http://user:hunter2@127.0.0.1:${server.port}/private`));
      const inner = await settle(spy.calls[0]!.promise);
      expect(outcome.ok ? undefined : outcome.error).toBe(inner.ok ? undefined : inner.error);
      const [span] = clientSpans();
      expect(span?.attributes['url.full']).toBe(`http://127.0.0.1:${server.port}/private`);
      expect(JSON.stringify(span?.attributes)).not.toContain('hunter2');
      expect(span?.attributes['error.type']).toBe('TypeError');
    });

    test('standard methods are upper-cased as fetch does; others are kept', async () => {
      await traced()(`${server.url}/m`, { method: 'post', body: 'x' });
      await traced()(`${server.url}/m`, { method: 'PATCH', body: 'x' });
      const [post, patch] = clientSpans();
      expect(post?.name).toBe('POST /m');
      expect(post?.attributes['http.request.method']).toBe('POST');
      expect(patch?.name).toBe('PATCH /m');
      expect(server.received.map((r) => r.method)).toEqual(['POST', 'PATCH']);
    });

    test('propagateTo false: no trace headers to that URL, the span is still made, own headers untouched', async () => {
      const asked: unknown[] = [];
      const fetch = traced({
        propagateTo: (url) => {
          asked.push(url);
          return url.pathname !== '/third-party';
        },
      });
      const init = { headers: { 'x-a': '1', traceparent: STALE_TRACEPARENT } };
      await inParent(async () => {
        await fetch(`${server.url}/third-party`, init);
        await fetch(`${server.url}/first-party`);
      });
      expect(asked.map((url) => (url as URL).pathname)).toEqual(['/third-party', '/first-party']);
      expect(asked[0]).toBeInstanceOf(URL);
      const [third, first] = server.received;
      // The caller's own traceparent is theirs to send; none of ours is added.
      expect(third?.headers.traceparent).toBe(STALE_TRACEPARENT);
      expect(third?.headers['x-a']).toBe('1');
      const spans = clientSpans();
      expect(spans.map((s) => s.name)).toEqual(['GET /third-party', 'GET /first-party']);
      expect(first?.headers.traceparent).toBe(traceparentOf(spans[1]!));
      expect(spans[0]?.spanContext().traceId).toBe(spans[1]?.spanContext().traceId);
    });

    test('propagateTo that throws or returns a non-boolean sends no trace headers, and the call succeeds', async () => {
      const throwing = traced({
        propagateTo: () => {
          throw new Error('boom');
        },
      });
      const sloppy = traced({ propagateTo: (() => 'yes') as never });
      expect((await throwing(`${server.url}/a`)).status).toBe(200);
      expect((await sloppy(`${server.url}/b`)).status).toBe(200);
      expect(server.received.map((r) => r.headers.traceparent)).toEqual([undefined, undefined]);
      expect(clientSpans()).toHaveLength(2);
    });

    test('a followed redirect is one span: the final status, the trace context sent on every hop', async () => {
      const response = await traced()(`${server.url}/status/302`);
      expect(response.status).toBe(200);
      const spans = clientSpans();
      expect(spans).toHaveLength(1);
      expect(spans[0]?.attributes['http.response.status_code']).toBe(200);
      expect(server.received.map((r) => r.url)).toEqual(['/status/302', '/elsewhere']);
      expect(server.received.map((r) => r.headers.traceparent)).toEqual([
        traceparentOf(spans[0]!),
        traceparentOf(spans[0]!),
      ]);
    });

    test('options.propagator writes the outgoing headers', async () => {
      const propagator = {
        inject: (
          ctx: import('@opentelemetry/api').Context,
          carrier: unknown,
          setter: import('@opentelemetry/api').TextMapSetter,
        ) => {
          setter.set(carrier, 'x-trace-id', trace.getSpanContext(ctx)?.traceId ?? '');
        },
        extract: (ctx: import('@opentelemetry/api').Context) => ctx,
        fields: () => ['x-trace-id'],
      };
      await traced({ propagator })(`${server.url}/custom`, { headers: { 'x-a': '1' } });
      expect(server.received[0]?.headers['x-trace-id']).toBe(clientSpans()[0]?.spanContext().traceId);
      expect(server.received[0]?.headers.traceparent).toBeUndefined();
      expect(server.received[0]?.headers['x-a']).toBe('1');
    });

    test('a baggage set by the app travels with the default propagator', async () => {
      const { propagation } = await import('@opentelemetry/api');
      const baggage = propagation.createBaggage({ tenant: { value: 'acme' } });
      await context.with(propagation.setBaggage(ROOT_CONTEXT, baggage), () => traced()(`${server.url}/baggage`));
      expect(server.received[0]?.headers.baggage).toBe('tenant=acme');
    });

    test('spanName overrides the name and is given kind, method, path and the redacted url', async () => {
      const infos: unknown[] = [];
      const fetch = traced({
        spanName: (info) => {
          infos.push(info);
          return `call ${info.path}`;
        },
      });
      await fetch(`${server.url}/named?sig=secret`, { method: 'PUT', body: 'x' });
      expect(infos).toEqual([
        { kind: 'client', method: 'PUT', path: '/named', url: `${server.url}/named?sig=REDACTED` },
      ]);
      expect(clientSpans()[0]?.name).toBe('call /named');
    });

    test('requestHook gets the span and the call; responseHook the span and the very Response', async () => {
      const seen: { request?: unknown; response?: unknown } = {};
      const fetch = traced({
        requestHook: (span, info) => {
          seen.request = info;
          span.setAttribute('app.request', info.method);
        },
        responseHook: (span, response) => {
          seen.response = response;
          span.setAttribute('app.response', response.status);
        },
      });
      const init = { method: 'POST', body: 'x' };
      const response = await fetch(`${server.url}/hooks`, init);
      expect(seen.response).toBe(response);
      const info = seen.request as { method: string; url: URL; input: unknown; init: unknown };
      expect(info.method).toBe('POST');
      expect(info.url.href).toBe(`${server.url}/hooks`);
      expect(info.input).toBe(`${server.url}/hooks`);
      expect(info.init).toBe(init);
      expect(clientSpans()[0]?.attributes).toMatchObject({ 'app.request': 'POST', 'app.response': 200 });
    });

    test('ignore(info) true: no span, no trace headers, the call goes through unchanged', async () => {
      const spy = spyOn(impl.fetch);
      const fetch = traced({ ignore: (info) => info.url.pathname === '/health' }, spy.fetch);
      const init = { headers: { 'x-a': '1' } };
      await inParent(() => fetch(`${server.url}/health`, init));
      expect(clientSpans()).toHaveLength(0);
      expect(server.received[0]?.headers.traceparent).toBeUndefined();
      expect(spy.calls[0]?.init).toBe(init);
    });

    test('captureHeaders records only the listed request and response headers', async () => {
      const fetch = traced({ captureHeaders: { request: ['X-A'], response: ['x-reply', 'x-missing'] } });
      await fetch(`${server.url}/capture`, { headers: { 'x-a': '1', authorization: 'Bearer t' } });
      const attributes = clientSpans()[0]?.attributes ?? {};
      expect(attributes['http.request.header.x-a']).toEqual(['1']);
      expect(attributes['http.response.header.x-reply']).toEqual(['yes']);
      expect(Object.keys(attributes).filter((key) => key.includes('header'))).toEqual([
        'http.request.header.x-a',
        'http.response.header.x-reply',
      ]);
    });

    test('the client span is active while the wrapped fetch runs', async () => {
      let active: string | undefined;
      const inner: AnyFetch = (input, init) => {
        active = trace.getActiveSpan()?.spanContext().spanId;
        return impl.fetch(input, init);
      };
      await inParent(() => traced({}, inner)(`${server.url}/active`));
      expect(active).toBe(clientSpans()[0]?.spanContext().spanId);
    });

    describe('never breaks the app', () => {
      const boom = () => {
        throw new Error('boom');
      };
      const broken: Array<[string, () => Parameters<Pkg['traceFetch']>[1]]> = [
        ['requestHook throws', () => ({ requestHook: boom })],
        ['responseHook throws', () => ({ responseHook: boom })],
        ['spanName throws', () => ({ spanName: boom })],
        ['ignore throws', () => ({ ignore: boom })],
        [
          'the propagator throws',
          () => ({ propagator: { inject: boom, extract: boom, fields: () => ['traceparent'] } }),
        ],
        [
          'the tracer cannot start spans',
          () => ({
            tracerProvider: { getTracer: () => ({ startSpan: boom, startActiveSpan: boom }) } as never,
          }),
        ],
        [
          'span methods throw',
          () => ({
            tracerProvider: {
              getTracer: () => ({
                startSpan: () => ({
                  spanContext: () =>
                    trace
                      .wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 })
                      .spanContext(),
                  isRecording: () => true,
                  setAttribute: boom,
                  setAttributes: boom,
                  setStatus: boom,
                  recordException: boom,
                  updateName: boom,
                  end: boom,
                }),
              }),
            } as never,
          }),
        ],
      ];

      test.each(broken)('%s: the same Response, the request still sent', async (_, options) => {
        const spy = spyOn(impl.fetch);
        const response = await traced(options(), spy.fetch)(`${server.url}/broken`, { headers: { 'x-a': '1' } });
        expect(response).toBe(await spy.calls[0]!.promise);
        expect(await response.text()).toBe('ok');
        expect(server.received[0]?.headers['x-a']).toBe('1');
      });

      test.each(broken)('%s: the same error on failure', async (_, options) => {
        const spy = spyOn(impl.fetch);
        const outcome = await settle(traced(options(), spy.fetch)(`http://127.0.0.1:${await closedPort()}/`));
        const inner = await settle(spy.calls[0]!.promise);
        expect(outcome.ok).toBe(false);
        expect(outcome.ok ? undefined : outcome.error).toBe(inner.ok ? undefined : inner.error);
      });

      test.each([
        ['a URL that does not parse', ['/relative/only']],
        ['headers fetch rejects', [`http://127.0.0.1:1/`, { headers: { 'bad name': 'x' } }]],
        ['null headers', [`http://127.0.0.1:1/`, { headers: null }]],
        ['a Request whose body was already read', [null]],
      ] as Array<[string, unknown[]]>)('%s: the very error of fetch itself', async (name, args) => {
        if (name.startsWith('a Request')) {
          const request = new impl.Request(`${server.url}/used`, { method: 'POST', body: 'once' });
          await request.text();
          args[0] = request;
        }
        const spy = spyOn(impl.fetch);
        const outcome = await settle(traced({}, spy.fetch)(...(args as [string])));
        const inner = await settle(spy.calls[0]!.promise);
        expect(outcome.ok).toBe(false);
        expect(outcome.ok ? undefined : outcome.error).toBe(inner.ok ? undefined : inner.error);
        expect((outcome as { error: Error }).error.name).toBe('TypeError');
      });

      test('a fetch that throws synchronously: the same error, thrown synchronously, ERROR span', () => {
        const error = new RangeError('sync');
        const fetch = traced({}, () => {
          throw error;
        });
        expect(() => fetch(`${server.url}/sync`)).toThrow(error);
        expect(clientSpans()[0]?.attributes['error.type']).toBe('RangeError');
      });
    });
  });
});
