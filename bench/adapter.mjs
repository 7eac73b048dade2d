// What the Express adapter itself costs per request, over the minimal
// middleware (bench/minimal.cjs), both on our provider with a dropping
// exporter: `node bench/adapter.mjs [--out docs/benchmarks.md]`. Each
// iteration makes a real IncomingMessage/ServerResponse pair, runs the
// middleware, then ends the response as Node does ('finish', then 'close').
import { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { writeBlock } from './lib/report.mjs';

const require = createRequire(import.meta.url);
const { values } = parseArgs({ options: { out: { type: 'string' }, time: { type: 'string', default: '2000' } } });
const { dropExporter, registerSdk } = require('./sdk.cjs');
registerSdk(dropExporter, { ours: true });
const minimal = require('./minimal.cjs').express();
const tracewire = require('@tracewire/express').tracing();

const socket = new Socket();
const headers = { host: '127.0.0.1:3000', 'user-agent': 'autocannon', accept: '*/*' };
const next = () => {};

function serve(middleware) {
  return () => {
    const req = new IncomingMessage(socket);
    req.method = 'GET';
    req.url = '/users/42';
    req.headers = headers;
    req.httpVersion = '1.1';
    const res = new ServerResponse(req);
    if (middleware) middleware(req, res, next);
    // What Node has done by 'finish': status and headers sent, the body written.
    res.statusCode = 200;
    res._header = 'HTTP/1.1 200 OK\r\n\r\n';
    res.finished = true;
    res.emit('finish');
    res.emit('close');
  };
}

const bench = new Bench({ time: Number(values.time), warmupTime: 500 });
bench
  .add('no middleware', serve(undefined))
  .add('minimal middleware', serve(minimal))
  .add('tracewire', serve(tracewire));
await bench.run();
const ns = Object.fromEntries(bench.tasks.map((task) => [task.name, task.result.latency.mean * 1e6]));
const table = [
  `Express adapter work per request on our provider (dropping exporter), Node ${process.version}, \`node bench/adapter.mjs\`:`,
  '',
  '| case | ns per request | over the minimal middleware |',
  '|---|---:|---:|',
  ...bench.tasks.map(
    (task) =>
      `| ${task.name} | ${Math.round(ns[task.name]).toLocaleString('en-US')} | ${task.name === 'tracewire' ? Math.round(ns.tracewire - ns['minimal middleware']).toLocaleString('en-US') : ''} |`,
  ),
].join('\n');
console.log(table);
if (values.out) writeBlock(values.out, `adapter-node${process.versions.node.split('.')[0]}`, table);
