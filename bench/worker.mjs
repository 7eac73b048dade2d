// Does a worker thread take OTLP work off the request thread? Main-thread
// CPU time per exported span (process.threadCpuUsage, Node 23.9 and later)
// while batches of 512 server spans are exported to the loopback receiver:
//   encode only    the encoding alone, for scale
//   main           encode and POST on the main thread (what ships)
//   worker-send    encode on the main thread, the bytes moved to a worker that POSTs
//   worker-encode  the spans copied to a worker (structured clone) that encodes and POSTs
// `node bench/worker.mjs [--batches 200] [--out docs/benchmarks.md]`
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { startChild, stopChild } from './lib/processes.mjs';
import { writeBlock } from './lib/report.mjs';
import { serverSpans } from './lib/spans.mjs';

const require = createRequire(import.meta.url);
const { values } = parseArgs({ options: { out: { type: 'string' }, batches: { type: 'string', default: '200' } } });
const { encodeTraceRequest, TracewireTracerProvider } = require('@tracewire/node');
// Not a public entry point: the sender's own file, next to the package's main file.
const senderFile = join(dirname(require.resolve('@tracewire/node')), 'export', 'otlp-http-sender.js');
const { OtlpHttpSender } = require(senderFile);

const spans = serverSpans(TracewireTracerProvider);

/** What a worker needs to rebuild a span for the encoder: plain data only. */
function plain(span) {
  return {
    name: span.name,
    kind: span.kind,
    context: span.spanContext(),
    parent: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    attributes: span.attributes,
    status: span.status,
    events: span.events,
    links: span.links,
    scope: span.instrumentationScope,
  };
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { encodeTraceRequest } = require(workerData.node);
const { OtlpHttpSender } = require(workerData.sender);
const sender = new OtlpHttpSender({ url: workerData.url, headers: {}, timeoutMillis: 10000, compression: 'none' });
const resource = { attributes: {} };
parentPort.on('message', async (message) => {
  const body = message.bytes ?? encodeTraceRequest(message.spans.map((s) => ({
    ...s, spanContext: () => s.context, parentSpanContext: s.parent, resource, instrumentationScope: s.scope,
    droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
  })));
  await sender.send(body);
  parentPort.postMessage('sent');
});`;

async function run(mode, url) {
  const sender = new OtlpHttpSender({ url, headers: {}, timeoutMillis: 10000, compression: 'none' });
  const worker =
    mode === 'main' || mode === 'encode only'
      ? undefined
      : new Worker(WORKER, {
          eval: true,
          workerData: { url, node: require.resolve('@tracewire/node'), sender: senderFile },
        });
  let pending = 0;
  const sent = () => new Promise((resolve) => worker.once('message', resolve));
  const start = process.threadCpuUsage();
  for (let i = 0; i < Number(values.batches); i++) {
    if (mode === 'encode only') {
      encodeTraceRequest(spans);
    } else if (mode === 'main') {
      await sender.send(encodeTraceRequest(spans));
    } else if (mode === 'worker-send') {
      const bytes = encodeTraceRequest(spans);
      worker.postMessage({ bytes }, [bytes.buffer]);
      await sent();
    } else {
      worker.postMessage({ spans: spans.map(plain) });
      await sent();
    }
    pending++;
  }
  const used = process.threadCpuUsage(start);
  await worker?.terminate();
  return (used.user + used.system) / (pending * spans.length);
}

const receiver = await startChild('receiver.cjs', {});
const url = `http://127.0.0.1:${receiver.port}/v1/traces`;
const rows = [];
for (const mode of ['encode only', 'main', 'worker-send', 'worker-encode']) {
  await run(mode, url); // warm-up
  const results = [];
  for (let round = 0; round < 3; round++) results.push(await run(mode, url));
  results.sort((a, b) => a - b);
  rows.push(`| ${mode} | ${results[1].toFixed(2)} |`);
}
await stopChild(receiver);
const table = [
  `Main-thread CPU time per exported span, batches of 512 to the loopback receiver (Node ${process.version}, ${cpus().length} CPUs), \`node bench/worker.mjs\`, median of 3:`,
  '',
  '| mode | main-thread CPU µs per span |',
  '|---|---:|',
  ...rows,
].join('\n');
console.log(table);
if (values.out) writeBlock(values.out, `worker-node${process.versions.node.split('.')[0]}`, table);
