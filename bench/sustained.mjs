// Variant 4 under a fixed rate, on the OTel SDK and on our provider: does
// every span reach the OTLP receiver, and how much memory does the app hold?
//   node bench/sustained.mjs [--rate 5000] [--duration 60] [--framework express] [--variants otlp,lean-otlp]
//                            [--node 24] [--out docs/benchmarks.md]
import { parseArgs } from 'node:util';
import { ask, load, nodeBinary, startChild, stopChild } from './lib/processes.mjs';
import { writeBlock } from './lib/report.mjs';

const LABELS = {
  otlp: '4 tracewire + SDK + OTLP/HTTP (OTel exporter)',
  'lean-otlp': '4t tracewire + our provider + our OTLP/HTTP protobuf',
};

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '5000' },
    duration: { type: 'string', default: '60' },
    framework: { type: 'string', default: 'express,koa' },
    variants: { type: 'string', default: 'otlp,lean-otlp' },
    node: { type: 'string', default: process.versions.node.split('.')[0] },
    out: { type: 'string' },
  },
});

const node = nodeBinary(values.node);
const receiver = await startChild('receiver.cjs', {});
const rows = [];
try {
  for (const framework of values.framework.split(','))
    for (const variant of values.variants.split(',')) {
      const server = await startChild(
        'server.cjs',
        {
          BENCH_FRAMEWORK: framework,
          BENCH_VARIANT: variant,
          BENCH_COUNT: '1',
          BENCH_OTLP_URL: `http://127.0.0.1:${receiver.port}/v1/traces`,
        },
        node,
      );
      try {
        await ask(receiver.child, 'reset', 'reset');
        const result = await load(`http://127.0.0.1:${server.port}/users/42`, {
          connections: 50,
          duration: Number(values.duration),
          rate: Number(values.rate),
        });
        // Requests still in flight when the load stops are handled too; wait for them.
        await new Promise((resolve) => setTimeout(resolve, 500));
        await ask(server.child, 'flush', 'flushed');
        const { requests, peakRss } = await ask(server.child, 'handled', 'handled');
        const { spans } = await ask(receiver.child, 'count', 'count');
        rows.push(
          `| ${framework} | ${LABELS[variant]} | ${values.rate} | ${values.duration} | ${Math.round(result['2xx'] / result.duration)} | ${requests} | ${spans} | ${requests - spans} | ${Math.round(peakRss / 2 ** 20)} |`,
        );
        console.error(`${framework} ${variant}: handled ${requests}, spans received ${spans}`);
      } finally {
        await stopChild(server);
      }
    }
} finally {
  await stopChild(receiver);
}

const markdown = [
  `Variant 4 at a fixed rate, exporting to a loopback receiver, Node ${values.node}, \`node bench/sustained.mjs ${process.argv.slice(2).join(' ')}\`:`,
  '',
  '| app | variant | target req/s | seconds | achieved req/s | requests handled | spans received | dropped | peak RSS MB |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ...rows,
].join('\n');
console.log(markdown);
if (values.out) writeBlock(values.out, `sustained-node${values.node}`, markdown);
