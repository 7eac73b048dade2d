// One benchmark server process. BENCH_FRAMEWORK (express|koa) and
// BENCH_VARIANT choose what runs; the parent drives it over IPC:
// 'begin' and 'end' bracket a measurement (CPU time), 'flush' exports spans.
'use strict';

const framework = process.env.BENCH_FRAMEWORK;
if (process.env.BENCH_COUNT) {
  // The sustained check says why a span went missing: the exporters' and buffers' own lines.
  const { diag, DiagConsoleLogger, DiagLogLevel } = require('@opentelemetry/api');
  diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.INFO);
}
const variant = process.env.BENCH_VARIANT;
const downstream = process.env.BENCH_DOWNSTREAM ?? 'http://127.0.0.1:9';

let provider;
if (variant === 'auto') {
  // Auto-instrumentation must be registered before the frameworks load.
  const { registerInstrumentations } = require('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
  const instrumentation =
    framework === 'express'
      ? new (require('@opentelemetry/instrumentation-express').ExpressInstrumentation)()
      : new (require('@opentelemetry/instrumentation-koa').KoaInstrumentation)();
  const { dropExporter, registerSdk } = require('./sdk.cjs');
  provider = registerSdk(dropExporter);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [new HttpInstrumentation(), instrumentation],
  });
} else if (variant === 'sdk' || variant === 'otlp' || variant === 'minimal' || variant === 'minimal-otlp') {
  // Like with like: variant 3 and R drop their spans, variant 4 and R+OTLP export them.
  const { dropExporter, otlpExporter, registerSdk } = require('./sdk.cjs');
  const exports = variant === 'otlp' || variant === 'minimal-otlp';
  provider = registerSdk(exports ? otlpExporter(process.env.BENCH_OTLP_URL) : dropExporter);
} else if (variant === 'lean' || variant === 'lean-otlp' || variant === 'minimal-lean') {
  // The same, on @tracewire/node's own provider; lean-otlp with our own OTLP protobuf exporter.
  const { dropExporter, ourOtlpExporter, registerSdk } = require('./sdk.cjs');
  const exporter = variant === 'lean-otlp' ? ourOtlpExporter(process.env.BENCH_OTLP_URL) : dropExporter;
  provider = registerSdk(exporter, { ours: true });
}

const traced = ['tracewire', 'sdk', 'otlp', 'lean', 'lean-otlp'].includes(variant);
const fetch = traced ? require('@tracewire/fetch').traceFetch(globalThis.fetch) : globalThis.fetch;
const middleware = traced
  ? require(`@tracewire/${framework}`).tracing()
  : variant === 'minimal' || variant === 'minimal-otlp' || variant === 'minimal-lean'
    ? require('./minimal.cjs')[framework]()
    : undefined;
const apps = require('./apps.cjs');
const listen =
  framework === 'express'
    ? apps.express(require('express5'), middleware, fetch, downstream)
    : apps.koa(require('koa3'), require('@koa/router'), middleware, fetch, downstream);

let cpu = process.cpuUsage();
const server = listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
server.keepAliveTimeout = 60_000;

// Only for the sustained check: every request the server handled, finished or
// aborted, since each one makes exactly one server span.
let handled = 0;
let peakRss = 0;
if (process.env.BENCH_COUNT) {
  server.on('request', (_req, res) => res.once('close', () => handled++));
  // The memory a sustained load holds: resident set size, sampled 4 times a second.
  setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 250).unref();
}

process.on('message', async (message) => {
  if (message === 'begin') {
    cpu = process.cpuUsage();
    process.send({ type: 'begun' });
  } else if (message === 'end') {
    const used = process.cpuUsage(cpu);
    process.send({ type: 'cpu', micros: used.user + used.system });
  } else if (message === 'handled') {
    process.send({ type: 'handled', requests: handled, peakRss });
  } else if (message === 'flush') {
    await provider?.forceFlush();
    process.send({ type: 'flushed' });
  }
});
process.on('disconnect', () => process.exit(0));
