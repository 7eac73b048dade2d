// Privacy: no query string in span names or attributes, url.full without user
// info or signed-URL credentials, and captureHeaders records authorization or
// cookie headers only when listed explicitly; the READMEs say so.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { BUILDS, load } from '../support/builds';
import { createApp, FRAMEWORKS, type Served, send, serve, startDownstream, type Tracewire } from './support/apps';
import { recordingTracing, until } from './support/tracing';

const SECRET = 's3cr3t';
const root = join(__dirname, '..', '..');

/** Every string a span carries: name, attributes, status, events. */
function strings(span: ReadableSpan): string[] {
  const values = (attributes: object) => Object.values(attributes).flat().map(String);
  return [
    span.name,
    ...Object.keys(span.attributes),
    ...values(span.attributes),
    span.status.message ?? '',
    ...span.events.flatMap((event) => [event.name, ...values(event.attributes ?? {})]),
  ];
}

const headerAttributes = (span: ReadableSpan) =>
  Object.keys(span.attributes).filter((key) => /^http\.(request|response)\.header\./.test(key));

const otel = recordingTracing();
afterAll(() => otel.close());

describe.each(BUILDS)('privacy (%s build)', (build) => {
  let tracewire: Tracewire;
  let downstream: Awaited<ReturnType<typeof startDownstream>>;
  const agent = new http.Agent({ keepAlive: true });

  beforeAll(async () => {
    tracewire = {
      express: await load('@tracewire/express', build),
      koa: await load('@tracewire/koa', build),
      fetch: await load('@tracewire/fetch', build),
    };
    downstream = await startDownstream();
  });
  afterAll(async () => {
    agent.destroy();
    await downstream.close();
  });
  afterEach(() => otel.reset());

  describe.each(FRAMEWORKS)('%s', (framework) => {
    async function traced(options: Record<string, unknown> = {}): Promise<Served> {
      return serve(
        createApp({
          framework,
          tracing: { tracewire, options: { tracerProvider: otel.provider, ...options } },
          tracerProvider: otel.provider,
          downstream: downstream.url,
        }),
      );
    }

    /** Sends the request with credentials everywhere and returns the spans it made. */
    async function spansOf(app: Served, path: string): Promise<ReadableSpan[]> {
      otel.reset();
      await send(
        app.port,
        path,
        {
          authorization: `Bearer ${SECRET}`,
          cookie: `session=${SECRET}`,
          'x-request-id': 'r-1',
          'user-agent': 'privacy-test',
        },
        agent,
      );
      return until(
        () => (otel.spans().some((s) => s.kind === SpanKind.SERVER) ? otel.spans() : undefined),
        `the spans of ${path}`,
      );
    }

    test('no query string in span names or attributes, matched route or not', async () => {
      const app = await traced();
      try {
        for (const path of [
          `/users/7?token=${SECRET}`,
          `/missing/7?token=${SECRET}`,
          `/fail/7?token=${SECRET}`,
          `/down/7?token=${SECRET}`,
        ]) {
          for (const span of await spansOf(app, path)) {
            expect(span.name).not.toContain('?');
            expect(strings(span).filter((s) => s.includes(SECRET))).toEqual([]);
          }
        }
      } finally {
        await app.close();
      }
    });

    test('captureHeaders: nothing by default, only the listed names, credentials only when listed', async () => {
      const plain = await traced();
      const listed = await traced({ captureHeaders: { request: ['x-request-id'], response: ['x-app'] } });
      const optIn = await traced({
        captureHeaders: { request: ['Authorization', 'cookie'], response: ['set-cookie'] },
      });
      try {
        for (const path of ['/users/7', '/login']) {
          for (const span of await spansOf(plain, path)) {
            expect(headerAttributes(span)).toEqual([]);
            expect(strings(span).filter((s) => s.includes(SECRET))).toEqual([]);
          }
          const [server] = (await spansOf(listed, path)).filter((s) => s.kind === SpanKind.SERVER);
          expect(headerAttributes(server!).sort()).toEqual(
            path === '/login'
              ? ['http.request.header.x-request-id']
              : ['http.request.header.x-request-id', 'http.response.header.x-app'],
          );
          expect(strings(server!).filter((s) => s.includes(SECRET))).toEqual([]);
        }
        // Listed explicitly, they are recorded: the default above is a choice, not an inability.
        const [server] = (await spansOf(optIn, '/login')).filter((s) => s.kind === SpanKind.SERVER);
        expect(server!.attributes['http.request.header.authorization']).toEqual([`Bearer ${SECRET}`]);
        expect(server!.attributes['http.request.header.cookie']).toEqual([`session=${SECRET}`]);
        expect(String(server!.attributes['http.response.header.set-cookie'])).toContain(`session=${SECRET}`);
      } finally {
        await Promise.all([plain.close(), listed.close(), optIn.close()]);
      }
    });
  });

  test('traceFetch: url.full without user info or signed-URL credentials, name without query, no headers recorded', async () => {
    const calls: unknown[] = [];
    const fake = async (input: unknown) => {
      calls.push(input);
      return new Response('ok', { headers: { 'set-cookie': `session=${SECRET}` } });
    };
    const fetch = tracewire.fetch.traceFetch(fake as typeof globalThis.fetch, { tracerProvider: otel.provider });
    const url =
      `https://alice:${SECRET}@storage.example.com:8443/bucket/object?AWSAccessKeyId=AK${SECRET}` +
      `&Signature=${SECRET}&sig=${SECRET}&X-Goog-Signature=${SECRET}&page=2`;
    await fetch(url, { headers: { authorization: `Bearer ${SECRET}`, cookie: `session=${SECRET}` } });
    const [span] = otel.spans();
    expect(span?.name).toBe('GET /bucket/object');
    expect(span?.attributes['url.full']).toBe(
      'https://storage.example.com:8443/bucket/object?AWSAccessKeyId=REDACTED&Signature=REDACTED&sig=REDACTED&X-Goog-Signature=REDACTED&page=2',
    );
    expect(headerAttributes(span!)).toEqual([]);
    expect(strings(span!).filter((s) => s.includes(SECRET))).toEqual([]);
    expect(calls).toEqual([url]); // the request itself is untouched
  });
});

describe('the READMEs say that authorization and cookie are never recorded unless listed', () => {
  test.each(['core', 'express', 'koa', 'fetch'])('packages/%s/README.md', (pkg) => {
    const readme = readFileSync(join(root, 'packages', pkg, 'README.md'), 'utf8');
    const row = readme.split('\n').find((line) => line.startsWith('| `captureHeaders`'));
    expect(row).toBeDefined();
    expect(row).toMatch(/`authorization`/);
    expect(row).toMatch(/`cookie`/);
    expect(row).toMatch(/never recorded unless you list them/);
  });
});
