// Variant 4 under a fixed rate: does every span reach the OTLP receiver?
//   node bench/sustained.mjs [--rate 5000] [--duration 60] [--framework express] [--node 24] [--out docs/benchmarks.md]
import { parseArgs } from 'node:util';
import { ask, load, nodeBinary, startChild, stopChild } from './lib/processes.mjs';
import { writeBlock } from './lib/report.mjs';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '5000' },
    duration: { type: 'string', default: '60' },
    framework: { type: 'string', default: 'express,koa' },
    node: { type: 'string', default: process.versions.node.split('.')[0] },
    out: { type: 'string' },
  },
});

const node = nodeBinary(values.node);
const receiver = await startChild('receiver.cjs', {});
const rows = [];
try {
  for (const framework of values.framework.split(',')) {
    const server = await startChild(
      'server.cjs',
      {
        BENCH_FRAMEWORK: framework,
        BENCH_VARIANT: 'otlp',
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
      const { requests } = await ask(server.child, 'handled', 'handled');
      const { spans } = await ask(receiver.child, 'count', 'count');
      rows.push(
        `| ${framework} | ${values.rate} | ${values.duration} | ${Math.round(result['2xx'] / result.duration)} | ${requests} | ${spans} | ${requests - spans} |`,
      );
      console.error(`${framework}: handled ${requests}, spans received ${spans}`);
    } finally {
      await stopChild(server);
    }
  }
} finally {
  await stopChild(receiver);
}

const markdown = [
  `Variant 4 (tracewire + SDK + OTLP/HTTP to a loopback receiver) at a fixed rate, Node ${values.node}, \`node bench/sustained.mjs ${process.argv.slice(2).join(' ')}\`:`,
  '',
  '| app | target req/s | seconds | achieved req/s | requests handled | spans received | dropped |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...rows,
].join('\n');
console.log(markdown);
if (values.out) writeBlock(values.out, `sustained-node${values.node}`, markdown);
