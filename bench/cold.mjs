// The SDK's span start/end with warm caches (a tight loop) and right after
// a request-sized sweep of memory has evicted them, as between two requests
// of a server: `node bench/cold.mjs [--sweep-mb 1,4,16] [--spans 3000]`.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { TracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace');
const { SpanKind } = require('@opentelemetry/api');
const { dropExporter } = require('./sdk.cjs');

const { values } = parseArgs({
  options: { 'sweep-mb': { type: 'string', default: '1,4,16' }, spans: { type: 'string', default: '3000' } },
});
const spans = Number(values.spans);
const tracer = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: dropExporter })] }).getTracer(
  'bench',
);
const sizes = values['sweep-mb'].split(',').map(Number);
const memory = new Uint8Array(Math.max(...sizes) << 20);
let sink = 0;

// Touches one byte per cache line, so that little of the SDK stays cached.
function sweep(bytes) {
  for (let i = 0; i < bytes; i += 64) sink += memory[i]++;
}

const fmt = (ns) => Math.round(ns).toLocaleString('en-US');

function span(i) {
  const s = tracer.startSpan('GET /users/:id', {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'GET', 'url.path': '/users/42', 'url.scheme': 'http' },
  });
  s.setAttribute('client.address', '127.0.0.1');
  s.setAttribute('network.peer.port', 40_000 + (i % 1000));
  s.setAttribute('http.response.status_code', 200);
  s.end();
}

async function measure(sweepBytes) {
  let total = 0;
  for (let i = 0; i < spans; i++) {
    if (sweepBytes > 0) sweep(sweepBytes);
    const start = performance.now();
    span(i);
    total += performance.now() - start;
    if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve)); // let the batch processor export
  }
  return (total / spans) * 1e6; // ns per span
}

await measure(0); // JIT warm-up
const rows = [`| warm (tight loop) | ${fmt(await measure(0))} |`];
for (const mb of sizes) rows.push(`| after a ${mb} MB memory sweep | ${fmt(await measure(mb << 20))} |`);
console.log(
  [
    `SDK span start + 6 attributes + end (Node ${process.version}), \`node bench/cold.mjs\`:`,
    '',
    '| caches | ns per span |',
    '|---|---:|',
    ...rows,
  ].join('\n'),
);
if (sink === -1) console.log(sink); // keeps the sweep from being optimized away
