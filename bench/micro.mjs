// Micro-benchmark of the core start/end path of a server span, in ns per
// request: `node bench/micro.mjs [--out docs/benchmarks.md]`.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { writeBlock } from './lib/report.mjs';
import { serverSpans } from './lib/spans.mjs';

const require = createRequire(import.meta.url);
const { ROOT_CONTEXT } = require('@opentelemetry/api');
const { TracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace');
const { Tracer, nodeHeadersGetter } = require('@tracewire/core');
const { dropExporter } = require('./sdk.cjs');

const { values } = parseArgs({ options: { out: { type: 'string' }, time: { type: 'string', default: '1000' } } });
const scope = { name: 'bench', version: '0' };
const sdk = new TracerProvider({
  spanProcessors: [new BatchSpanProcessor({ exporter: dropExporter, maxQueueSize: 100_000 })],
});
const noSdk = new Tracer('server', scope);
const withSdk = new Tracer('server', scope, { tracerProvider: sdk });
const attributes = { 'http.request.method': 'GET', 'url.path': '/users/42', 'url.scheme': 'http' };
const empty = { host: '127.0.0.1:3000' };
const incoming = { host: '127.0.0.1:3000', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };

function startEnd(tracer, headers) {
  return () => {
    const { ctx, span } = tracer.start(ROOT_CONTEXT, 'HTTP', 'GET /users/:id', headers, nodeHeadersGetter, attributes);
    tracer.end(ctx, span, undefined, 200);
  };
}

const bench = new Bench({ time: Number(values.time) });
bench
  .add('no SDK, no incoming header', startEnd(noSdk, empty))
  .add('no SDK, incoming traceparent', startEnd(noSdk, incoming))
  .add('SDK, no incoming header', startEnd(withSdk, empty))
  .add('SDK, incoming traceparent', startEnd(withSdk, incoming));
await bench.run();

const rows = bench.tasks.map((task) => {
  const ns = task.result.latency.mean * 1e6;
  return `| ${task.name} | ${Math.round(ns).toLocaleString('en-US')} |`;
});
const markdown = [
  `Core \`Tracer.start\` + \`Tracer.end\` of one server span (Node ${process.version}), \`node bench/micro.mjs\`:`,
  '',
  '| case | ns per request |',
  '|---|---:|',
  ...rows,
].join('\n');
console.log(markdown);
if (values.out) writeBlock(values.out, `micro-node${process.versions.node.split('.')[0]}`, markdown);
await sdk.shutdown();
await encoding();

/**
 * OTLP encoding of a batch of 512 server spans with the 13 attributes our
 * Express middleware sets: our encoder (from spans of either provider) beside
 * OTel's protobuf and JSON serializers, in µs per span.
 */
async function encoding() {
  const { JsonTraceSerializer, ProtobufTraceSerializer } = require('@opentelemetry/otlp-transformer');
  const { encodeTraceRequest, TracewireTracerProvider } = require('@tracewire/node');
  const sdkSpans = serverSpans(TracerProvider);
  const ourSpans = serverSpans(TracewireTracerProvider);
  const encodings = new Bench({ time: Number(values.time) });
  encodings
    .add('ours, protobuf (spans of our provider)', () => encodeTraceRequest(ourSpans))
    .add('ours, protobuf (spans of the OTel SDK)', () => encodeTraceRequest(sdkSpans))
    .add("OTel's ProtobufTraceSerializer (spans of the OTel SDK)", () =>
      ProtobufTraceSerializer.serializeRequest(sdkSpans),
    )
    .add("OTel's JsonTraceSerializer (spans of the OTel SDK)", () => JsonTraceSerializer.serializeRequest(sdkSpans));
  await encodings.run();
  const table = [
    `OTLP encoding of a batch of 512 server spans with 13 attributes each (Node ${process.version}), \`node bench/micro.mjs\`:`,
    '',
    '| encoder | µs per span |',
    '|---|---:|',
    ...encodings.tasks.map((task) => `| ${task.name} | ${((task.result.latency.mean * 1000) / 512).toFixed(2)} |`),
  ].join('\n');
  console.log(table);
  if (values.out) writeBlock(values.out, `encoding-node${process.versions.node.split('.')[0]}`, table);
}
