// End to end against a real Jaeger v2 process on loopback (built by
// scripts/jaeger.sh): what the pack exports is what Jaeger shows.
// One file on purpose: Jaeger binds fixed ports, so one instance serves every test.
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { Jaeger, locateJaeger, tag } from './jaeger';

const located = locateJaeger();
if (!located.found) {
  console.warn(`end-to-end tests against Jaeger skipped: ${located.reason}`);
}
const describeJaeger = located.found ? describe : describe.skip;

// The SDK packages @tracewire/node depends on, resolved from its folder.
const fromNode = createRequire(join(resolve(__dirname, '../..'), 'packages/node/package.json'));

describeJaeger('Jaeger v2 on loopback', () => {
  let jaeger: Jaeger;

  beforeAll(async () => {
    jaeger = await Jaeger.start(located.bin);
  }, 60_000);

  afterAll(async () => {
    await jaeger?.stop();
  }, 15_000);

  test('listens on 127.0.0.1 only', () => {
    const addresses = jaeger.listeningAddresses();
    expect(addresses).toEqual(expect.arrayContaining(['tcp 127.0.0.1:4318', 'tcp 127.0.0.1:16686']));
    expect(addresses.filter((address) => !/ 127\.0\.0\.1:\d+$/.test(address))).toEqual([]);
  });

  test('a span sent by the SDK OTLP/HTTP exporter reads back from the query API', async () => {
    const { OTLPTraceExporter } = fromNode('@opentelemetry/exporter-trace-otlp-http');
    const { resourceFromAttributes } = fromNode('@opentelemetry/resources');
    const { BasicTracerProvider, SimpleSpanProcessor } = fromNode('@opentelemetry/sdk-trace-base');
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'e2e-probe' }),
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: 'http://127.0.0.1:4318/v1/traces' }))],
    });
    const span = provider.getTracer('e2e').startSpan('probe', { attributes: { component: 'HTTP' } });
    span.end();
    await provider.shutdown();

    const { traceId, spanId } = span.spanContext();
    const trace = await jaeger.trace(traceId, 1);
    expect(trace.traceID).toBe(traceId);
    expect(trace.spans).toHaveLength(1);
    const [read] = trace.spans;
    expect(read).toMatchObject({ spanID: spanId, operationName: 'probe', references: [] });
    expect(tag(read!.tags, 'component')).toBe('HTTP');
    expect(tag(read!.tags, 'otel.scope.name')).toBe('e2e');
    expect(trace.processes[read!.processID]?.serviceName).toBe('e2e-probe');
  });
});
