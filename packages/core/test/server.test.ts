import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing } from '../../../test/support/otel';

type Core = typeof import('@tracewire/core');

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

// What HttpServerTracing.start returned for one real request, by kind.
async function startedFor(
  core: Core,
  options: import('@tracewire/core').TracingOptions,
  headers: Record<string, string>,
): Promise<{ kind: 'none' | 'context' | 'traced'; traceId?: string }> {
  return startedWith(core, serverTracing(core, options), headers);
}

function serverTracing(core: Core, options: import('@tracewire/core').TracingOptions) {
  return new core.HttpServerTracing<unknown, unknown>(
    { scope: { name: 'test', version: '0' }, route: () => undefined },
    options,
  );
}

async function startedWith(
  core: Core,
  tracing: import('@tracewire/core').HttpServerTracing<unknown, unknown>,
  headers: Record<string, string>,
): Promise<{ kind: 'none' | 'context' | 'traced'; traceId?: string }> {
  let result: { kind: 'none' | 'context' | 'traced'; traceId?: string } = { kind: 'none' };
  const server = http.createServer((req, res) => {
    const started = tracing.start(req, res, req, res);
    if (started === undefined) result = { kind: 'none' };
    else if (core.isTraced(started)) result = { kind: 'traced', traceId: started.span.spanContext().traceId };
    else result = { kind: 'context', traceId: trace.getSpanContext(started)?.traceId };
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await fetch(`http://127.0.0.1:${port}/`, { headers });
  await new Promise((resolve) => server.close(resolve));
  return result;
}

describe.each(BUILDS)('HttpServerTracing.start (%s build)', (build) => {
  let core: Core;
  const otel = memoryTracing();
  beforeAll(async () => {
    core = await load<Core>('@tracewire/core', build);
  });
  afterEach(() => otel.reset());

  test('a recording span: a traced request', async () => {
    expect(await startedFor(core, { tracerProvider: otel.provider }, {})).toMatchObject({ kind: 'traced' });
  });

  test('no SDK and no trace headers: nothing to do, the adapter just calls next', async () => {
    expect(await startedFor(core, {}, {})).toEqual({ kind: 'none' });
  });

  test('an SDK registered globally after the middleware was made traces from the next request on', async () => {
    const tracing = serverTracing(core, {});
    try {
      expect(await startedWith(core, tracing, {})).toEqual({ kind: 'none' });
      expect(trace.setGlobalTracerProvider(otel.provider)).toBe(true);
      expect(await startedWith(core, tracing, {})).toMatchObject({ kind: 'traced' });
    } finally {
      trace.disable();
    }
    expect(await startedFor(core, {}, {})).toEqual({ kind: 'none' });
  });

  test('an SDK registered later through another instance of the API (its other build) is found too', async () => {
    // Since API 1.10 `require` and `import` load two instances of the API; an
    // isolated module registry gives a second one on either line.
    let otherApi: typeof import('@opentelemetry/api') | undefined;
    jest.isolateModules(() => {
      otherApi = require('@opentelemetry/api');
    });
    expect(otherApi!.trace).not.toBe(trace);
    const tracing = serverTracing(core, {});
    try {
      expect(await startedWith(core, tracing, {})).toEqual({ kind: 'none' });
      expect(otherApi!.trace.setGlobalTracerProvider(otel.provider)).toBe(true);
      expect(await startedWith(core, tracing, {})).toMatchObject({ kind: 'traced' });
    } finally {
      otherApi!.trace.disable();
    }
  });

  test('no SDK but an incoming traceparent: its context is carried on, unrecorded', async () => {
    expect(await startedFor(core, {}, { traceparent: TRACEPARENT })).toEqual({
      kind: 'context',
      traceId: '0af7651916cd43dd8448eb211c80319c',
    });
  });

  test('no SDK but baggage only: the baggage is carried on', async () => {
    expect((await startedFor(core, {}, { baggage: 'a=1' })).kind).toBe('context');
  });

  test('ignored with a traceparent: the incoming context flows on; without one, nothing to do', async () => {
    const ignore = () => true;
    expect(await startedFor(core, { tracerProvider: otel.provider, ignore }, { traceparent: TRACEPARENT })).toEqual({
      kind: 'context',
      traceId: '0af7651916cd43dd8448eb211c80319c',
    });
    expect(await startedFor(core, { tracerProvider: otel.provider, ignore }, {})).toEqual({ kind: 'none' });
    expect(otel.spans()).toHaveLength(0);
  });
});

describe.each(BUILDS)('Tracer.carries (%s build)', (build) => {
  let core: Core;
  beforeAll(async () => {
    core = await load<Core>('@tracewire/core', build);
  });

  test('extraction runs only when a propagator field is present', () => {
    let extracted = 0;
    const propagator = {
      inject() {},
      extract(ctx: never) {
        extracted++;
        return ctx;
      },
      fields: () => ['x-trace'],
    };
    const tracer = new core.Tracer('server', { name: 't', version: '0' }, { propagator });
    const a = tracer.start(ROOT_CONTEXT, 'HTTP', 'op', { other: '1' }, core.recordGetter);
    expect(extracted).toBe(0);
    const b = tracer.start(ROOT_CONTEXT, 'HTTP', 'op', { 'X-Trace': '1' }, core.recordGetter);
    expect(extracted).toBe(1);
    tracer.end(a.ctx, a.span);
    tracer.end(b.ctx, b.span);
  });

  test('the default propagator reads nothing from a request without trace headers', () => {
    const tracer = new core.Tracer('server', { name: 't', version: '0' });
    expect(tracer.carries({ host: 'x' }, core.recordGetter)).toBe(false);
    expect(tracer.carries({ traceparent: TRACEPARENT }, core.recordGetter)).toBe(true);
    expect(tracer.carries({ baggage: 'a=1' }, core.recordGetter)).toBe(true);
    // The default is used without registering anything globally.
    expect(propagation.fields()).toEqual([]);
  });
});
