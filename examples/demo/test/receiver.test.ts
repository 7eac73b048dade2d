import { gzipSync } from 'node:zlib';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

type ReceiverModule = typeof import('../src/receiver.mjs', { with: { 'resolution-mode': 'import' }});
type Receiver = Awaited<ReturnType<ReceiverModule['startReceiver']>>;
type NodeSetup = typeof import('@tracewire/node');

describe('the demo OTLP receiver', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    const { startReceiver } = (await import('../src/receiver.mjs')) as ReceiverModule;
    receiver = await startReceiver();
  });
  afterEach(() => receiver.close());

  test.each(['http/protobuf', 'http/json'] as const)(
    'keeps the spans an OTLP %s exporter sends, decoded',
    async (protocol) => {
      const { setupTracing } = (await import('@tracewire/node')) as unknown as NodeSetup;
      const tracing = setupTracing({ endpoint: receiver.url, serviceName: 'svc', protocol });
      try {
        const tracer = trace.getTracer('@tracewire/test', '1.2.3');
        tracer.startActiveSpan('parent', { kind: SpanKind.SERVER }, (parent) => {
          const child = tracer.startSpan('child', { kind: SpanKind.CLIENT, attributes: { n: 7, ok: true } });
          child.recordException(new TypeError('boom'));
          child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
          child.end();
          parent.end();
        });
        await tracing.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
      }
      const spans = await receiver.waitFor((all) => all.length === 2);
      const parent = spans.find((s) => s.name === 'parent')!;
      const child = spans.find((s) => s.name === 'child')!;
      expect(receiver.tracesUrl).toBe(`${receiver.url}/v1/traces`);
      expect(receiver.trace(parent.traceId)).toHaveLength(2);
      expect(parent).toMatchObject({ kind: 'SERVER', service: 'svc', parentSpanId: undefined });
      expect(parent.status.code).toBe('UNSET');
      expect(child).toMatchObject({
        kind: 'CLIENT',
        parentSpanId: parent.spanId,
        traceId: parent.traceId,
        scope: { name: '@tracewire/test', version: '1.2.3' },
        attributes: { n: 7, ok: true },
        status: { code: 'ERROR', message: 'boom' },
      });
      expect(child.events[0]).toMatchObject({
        name: 'exception',
        attributes: { 'exception.type': 'TypeError', 'exception.message': 'boom' },
      });
      expect(child.durationMs).toBeGreaterThanOrEqual(0);
      expect(child.endNs).toBeGreaterThanOrEqual(child.startNs);
    },
  );

  const request = (body: unknown) => ({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 's' } }] },
        scopeSpans: [{ scope: { name: 'x' }, spans: [body] }],
      },
    ],
  });
  const oneSpan = {
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    name: 'n',
    kind: 'SPAN_KIND_SERVER',
    startTimeUnixNano: 1000000,
    endTimeUnixNano: '3000000',
    status: { code: 'STATUS_CODE_ERROR' },
  };

  test('takes gzip bodies and enum names', async () => {
    const response = await fetch(receiver.tracesUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(request(oneSpan))),
    });
    expect(response.status).toBe(200);
    expect(receiver.spans).toHaveLength(1);
    expect(receiver.spans[0]).toMatchObject({ kind: 'SERVER', durationMs: 2, status: { code: 'ERROR' } });
  });

  test.each([
    ['GET', '/v1/traces', 'application/json', '{}', 405],
    ['POST', '/v1/metrics', 'application/json', '{}', 404],
    ['POST', '/v1/traces', 'text/plain', '{}', 415],
    ['POST', '/v1/traces', 'application/x-protobuf', 'x', 400],
    ['POST', '/v1/traces', 'application/json', '{not json', 400],
  ])('%s %s %s -> %i, nothing kept', async (method, path, contentType, body, status) => {
    const response = await fetch(`${receiver.url}${path}`, {
      method,
      headers: { 'content-type': contentType },
      body: method === 'GET' ? undefined : body,
    });
    expect(response.status).toBe(status);
    expect(receiver.spans).toEqual([]);
  });

  test('waitFor rejects when the spans do not come', async () => {
    await expect(receiver.waitFor((spans) => spans.length > 0, 50)).rejects.toThrow(/within 50 ms \(0 spans/);
  });
});
