// What tracing a MongoClient costs, in two parts:
//   `node bench/mongodb.mjs [--out docs/benchmarks.md] [--seconds 5] [--rounds 3]`
// 1. against FerretDB on loopback (built by scripts/ferretdb.sh), one server
//    for every variant of the run: findOne by _id, 8 at a time, for each
//    variant in turn (interleaved, medians of the rounds): operations per
//    second and client CPU per operation, against an untraced client;
// 2. the listener path alone, without I/O: a stand-in client emits
//    commandStarted + commandSucceeded, in ns per command.
// Every command runs inside a request's context (a span of a sampled trace,
// as under @tracewire/express), except in the "outside any trace" variant,
// where requireParentSpan (the default) makes no span.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { median, writeBlock } from './lib/report.mjs';

const require = createRequire(import.meta.url);
const { context, ROOT_CONTEXT, trace } = require('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { BatchSpanProcessor, TracerProvider } = require('@opentelemetry/sdk-trace');
const { MongoClient } = require('mongodb7');
const { traceMongoClient } = require('@tracewire/mongodb');
const { Tracer } = require('@tracewire/core');
const { locateFerretDB, startFerretDB } = require('../scripts/ferretdb.cjs');
const { dropExporter } = require('./sdk.cjs');

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = 8;

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const sdk = new TracerProvider({
  spanProcessors: [new BatchSpanProcessor({ exporter: dropExporter, maxQueueSize: 100_000 })],
});
// The request a command runs in: a span of a sampled trace, the same for every variant.
const REQUEST = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: 1,
});

// [key, label, traceMongoClient options (undefined: untraced), context the commands run in]
const VARIANTS = [
  ['bare', 'untraced client', undefined, REQUEST],
  ['nosdk', 'traced, no SDK registered', {}, REQUEST],
  ['noparent', 'traced + SDK, outside any trace (no span)', { tracerProvider: sdk }, ROOT_CONTEXT],
  ['sdk', 'traced + SDK (dropping exporter)', { tracerProvider: sdk }, REQUEST],
  ['text', 'traced + SDK + queryText', { tracerProvider: sdk, queryText: true }, REQUEST],
];

async function measure(url, options, ctx) {
  const client = new MongoClient(url, { directConnection: true, monitorCommands: options !== undefined });
  const tracing = options === undefined ? undefined : traceMongoClient(client, options);
  const messages = client.db('bench').collection('messages');
  await messages.findOne({ _id: 1 });
  let ops = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, () =>
      context.with(ctx, async () => {
        while (performance.now() < deadline) {
          await messages.findOne({ _id: 1 + (ops % 100) });
          ops++;
        }
      }),
    ),
  );
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  tracing?.untrace();
  await client.close();
  return { opsPerSecond: ops / elapsed, cpuPerOp: (used.user + used.system) / ops };
}

const fmt = (value, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function againstFerretDB() {
  const located = locateFerretDB();
  if (!located.found) return `(not measured against FerretDB: ${located.reason})`;
  const server = await startFerretDB(located.bin);
  try {
    const seed = new MongoClient(server.url, { directConnection: true });
    await seed
      .db('bench')
      .collection('messages')
      .insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: i + 1, userId: String(i % 7), text: `message ${i}` })));
    await seed.close();
    const results = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const [key, , options, ctx] of VARIANTS) {
        results.push({ round, key, ...(await measure(server.url, options, ctx)) });
      }
    }
    const lines = [
      `findOne by _id against FerretDB 1.24 (SQLite) on loopback, ${CONCURRENCY} at a time, driver 7.x, ${ROUNDS} rounds of ${SECONDS} s (medians):`,
      '',
      '| variant | ops/s | × untraced | client CPU µs/op | + µs/op |',
      '|---|---:|---:|---:|---:|',
    ];
    const bare = results.filter((r) => r.key === 'bare');
    const bareCpu = median(bare.map((r) => r.cpuPerOp));
    for (const [key, label] of VARIANTS) {
      const runs = results.filter((r) => r.key === key);
      const ratios = runs.map((run) => run.opsPerSecond / bare.find((b) => b.round === run.round).opsPerSecond);
      const cpu = median(runs.map((r) => r.cpuPerOp));
      lines.push(
        `| ${label} | ${fmt(median(runs.map((r) => r.opsPerSecond)))} | ${fmt(median(ratios), 2)} | ${fmt(cpu, 1)} | ${key === 'bare' ? '' : fmt(cpu - bareCpu, 1)} |`,
      );
    }
    return lines.join('\n');
  } finally {
    await server.stop();
  }
}

/**
 * A stand-in client: the events a find emits, with the command and reply of a
 * real one. Each variant is measured inside its context, entered once (not
 * per command, which would add the context switch to every row).
 */
async function listenerBench() {
  const command = {
    find: 'messages',
    filter: { _id: 1 },
    limit: 1,
    singleBatch: true,
    lsid: { id: 'x' },
    $db: 'bench',
  };
  const reply = { cursor: { firstBatch: [{ _id: 1 }], id: 0, ns: 'bench.messages' }, ok: 1 };
  const address = '127.0.0.1:27017';
  const rows = [];
  const measureIn = async (ctx, label, fn) => {
    const bench = new Bench({ time: 2000 });
    bench.add(label, fn);
    await context.with(ctx, () => bench.run());
    rows.push([label, bench.tasks[0].result.latency.mean * 1e6]);
  };
  for (const [, label, options, ctx] of VARIANTS.slice(1)) {
    const client = new EventEmitter();
    client.options = { monitorCommands: true };
    traceMongoClient(client, options);
    let requestId = 0;
    await measureIn(ctx, label, () => {
      const id = ++requestId;
      client.emit('commandStarted', {
        requestId: id,
        connectionId: 1,
        commandName: 'find',
        databaseName: 'bench',
        command,
        address,
      });
      client.emit('commandSucceeded', {
        requestId: id,
        connectionId: 1,
        address,
        commandName: 'find',
        reply,
        duration: 0.1,
      });
    });
  }
  // The reference: what core's start and end of a span with the same 7 attributes cost, with the same SDK.
  const tracer = new Tracer('client', { name: 'bench', version: '0' }, { tracerProvider: sdk });
  const attributes = {
    'db.system.name': 'mongodb',
    'db.namespace': 'bench',
    'db.operation.name': 'find',
    'db.collection.name': 'messages',
    'server.address': '127.0.0.1',
    'server.port': 27017,
  };
  await measureIn(REQUEST, '(reference) core Tracer.start + end of one span with these attributes, SDK', () => {
    const { ctx, span } = tracer.start(context.active(), 'mongodb', 'find messages', undefined, undefined, attributes);
    tracer.end(ctx, span);
  });
  return rows;
}

const database = await againstFerretDB();
const listener = await listenerBench();
const markdown = [
  `MongoDB command spans (Node ${process.version}), \`node bench/mongodb.mjs\`.`,
  '',
  database,
  '',
  'The listener path alone (commandStarted + commandSucceeded of one find, no I/O):',
  '',
  '| variant | ns per command |',
  '|---|---:|',
  ...listener.map(([name, ns]) => `| ${name} | ${fmt(ns)} |`),
].join('\n');
console.log(markdown);
if (values.out) writeBlock(values.out, `mongodb-node${process.versions.node.split('.')[0]}`, markdown);
await sdk.shutdown();
