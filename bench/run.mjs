// The throughput benchmark (`pnpm bench`): every variant of every app under
// the same load, interleaved round by round, medians reported.
//
//   node bench/run.mjs [--node 20] [--node 24] [--duration 10] [--rounds 3]
//                      [--connections 50] [--warmup 2] [--frameworks express,koa]
//                      [--scenarios users,fetch] [--otel3] [--out docs/benchmarks.md]
//
// --otel3: on Node 22 and later, every variant with an SDK runs a second time
// on OpenTelemetry JS 3.x (the copy of the workspace scripts/otel3.mjs makes),
// interleaved with the 2.x ones in the same rounds.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ask, load, nodeBinary, startChild, stopChild } from './lib/processes.mjs';
import { median, table, writeBlock } from './lib/report.mjs';

const VARIANTS = [
  'bare',
  'tracewire',
  'sdk',
  'otlp',
  'lean',
  'lean-otlp',
  'auto',
  'minimal',
  'minimal-otlp',
  'minimal-lean',
];
const LABELS = {
  bare: '1 bare (no tracing)',
  tracewire: '2 tracewire, no SDK',
  sdk: '3 tracewire + SDK (dropping exporter)',
  otlp: '4 tracewire + SDK + OTLP/HTTP export',
  auto: '5 OTel auto-instrumentation + SDK (dropping exporter)',
  minimal: 'R reference: minimal OTel middleware + SDK (server span only, dropping exporter)',
  'minimal-otlp': 'R reference + OTLP/HTTP export',
  lean: '3t tracewire + our provider (dropping exporter)',
  'lean-otlp': '4t tracewire + our provider + our OTLP/HTTP protobuf export',
  'minimal-lean': 'Rt minimal OTel middleware + our provider (dropping exporter)',
};
/** The variants that run an SDK, and so run again on OTel 3.x with --otel3. */
const SDK_VARIANTS = ['sdk', 'otlp', 'auto', 'minimal', 'minimal-otlp'];
const OTEL3 = '@otel3';
for (const variant of SDK_VARIANTS) LABELS[`${variant}${OTEL3}`] = `${LABELS[variant]}, OTel 3.x`;
const root = join(fileURLToPath(import.meta.url), '..', '..');
const SCENARIOS = { users: '/users/42', fetch: '/users/42/messages' };

const { values } = parseArgs({
  options: {
    node: { type: 'string', multiple: true, default: [process.versions.node.split('.')[0]] },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '2' },
    frameworks: { type: 'string', default: 'express,koa' },
    scenarios: { type: 'string', default: 'users,fetch' },
    variants: { type: 'string', default: VARIANTS.join(',') },
    otel3: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const variants = values.variants.split(',');
for (const v of variants) if (!VARIANTS.includes(v)) throw new Error(`--variants: unknown variant ${v}`);
if (!variants.includes('bare')) throw new Error('--variants must include bare: ratios are taken against it');

/** The variant 3 / `other` throughput ratio, median over rounds, when both ran. */
function sdkOver(results, other, name) {
  const ratios = results
    .filter((r) => r.variant === 'sdk')
    .map((r) => r.rps / (results.find((a) => a.round === r.round && a.variant === other)?.rps ?? Number.NaN))
    .filter(Number.isFinite);
  return ratios.length ? ` Variant 3 / ${name} throughput: ${median(ratios).toFixed(2)}.` : '';
}

/** The variants of one Node major: with --otel3 and Node >= 22, each SDK variant again on OTel 3.x, beside its 2.x row. */
function variantsFor(major) {
  if (!values.otel3 || Number(major) < 22) return variants;
  return variants.flatMap((v) => (SDK_VARIANTS.includes(v) ? [v, `${v}${OTEL3}`] : [v]));
}

async function measure(node, framework, scenario, variant, shared) {
  const otel3 = variant.endsWith(OTEL3);
  const server = await startChild(
    otel3 ? join(root, '.otel3', 'bench', 'server.cjs') : 'server.cjs',
    {
      BENCH_FRAMEWORK: framework,
      BENCH_VARIANT: otel3 ? variant.slice(0, -OTEL3.length) : variant,
      BENCH_DOWNSTREAM: `http://127.0.0.1:${shared.downstream.port}`,
      BENCH_OTLP_URL: `http://127.0.0.1:${shared.receiver.port}/v1/traces`,
    },
    node,
  );
  try {
    const url = `http://127.0.0.1:${server.port}${SCENARIOS[scenario]}`;
    const warmup = Number(values.warmup);
    if (warmup > 0) await load(url, { connections, duration: warmup }); // JIT warm-up, not measured
    await ask(server.child, 'begin', 'begun');
    const result = await load(url, { connections, duration });
    const { micros } = await ask(server.child, 'end', 'cpu');
    const served = result.requests.total;
    return {
      rps: served / result.duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      cpuPerRequest: micros / Math.max(served, 1),
      errors: result.errors + result.timeouts + result.non2xx,
    };
  } finally {
    await stopChild(server);
  }
}

if (values.otel3) {
  // The 3.x copy of the workspace, built, with this checkout's bench in it.
  execFileSync(process.execPath, [join(root, 'scripts', 'otel3.mjs'), '--', 'npx', '-y', 'pnpm@10.34.9', 'build'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const sections = [];
for (const major of values.node) {
  const nodeVariants = variantsFor(major);
  const node = nodeBinary(major);
  const shared = { receiver: await startChild('receiver.cjs', {}), downstream: await startChild('downstream.cjs', {}) };
  const version = (await import('node:child_process')).execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  const parts = [`### Node ${version}`];
  try {
    for (const framework of values.frameworks.split(',')) {
      for (const scenario of values.scenarios.split(',')) {
        const results = [];
        for (let round = 1; round <= rounds; round++) {
          for (const variant of nodeVariants) {
            const result = await measure(node, framework, scenario, variant, shared);
            results.push({ round, variant, ...result });
            console.error(
              `node ${version} ${framework} ${scenario} round ${round} ${variant}: ${Math.round(result.rps)} req/s`,
            );
          }
        }
        parts.push(
          `#### ${framework === 'express' ? 'Express 5' : 'Koa 3'}, \`GET ${SCENARIOS[scenario]}\`${scenario === 'fetch' ? ' (one downstream fetch per request)' : ''}`,
          '',
          table(results, nodeVariants, LABELS),
          '',
          `Medians of ${rounds} rounds.${sdkOver(results, 'auto', 'variant 5')}${sdkOver(results, 'minimal', 'reference')}${sdkOver(results, `sdk${OTEL3}`, 'variant 3 on OTel 3.x')}`,
          '',
        );
      }
    }
  } finally {
    await stopChild(shared.receiver);
    await stopChild(shared.downstream);
  }
  const header = [
    `Run on ${new Date().toISOString().slice(0, 10)}, Node ${version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}).`,
    `Command: \`node bench/run.mjs ${process.argv.slice(2).join(' ')}\` (${connections} connections, ${duration} s per run, variants interleaved).`,
    '',
  ];
  sections.push({ key: `node${major}`, markdown: [...parts.slice(0, 1), '', ...header, ...parts.slice(1)].join('\n') });
}

for (const { key, markdown } of sections) {
  console.log(markdown);
  if (values.out) writeBlock(values.out, key, markdown);
}
