// `pnpm demo`: builds the packages, starts FerretDB (a MongoDB-wire server,
// built once per machine by scripts/ferretdb.sh, which needs Go; without Go
// the messages stay in memory) and the two example services as their own
// processes exporting OTLP/HTTP to a receiver run here on loopback, sends one
// request that works, one that fails and one that goes over gRPC, stops the
// services (they flush their spans on SIGTERM) and prints each trace as a
// waterfall.
//
// With OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
// OTEL_TRACES_EXPORTER) set, the spans go to that backend instead and the
// trace ids are printed to look up there. `--no-build` skips the build.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFerretDB, locateFerretDB, startFerretDB } from '../../../scripts/ferretdb.cjs';
import { startService } from './processes.mjs';
import { startReceiver } from './receiver.mjs';
import { formatWaterfall } from './waterfall.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const log = (line = '') => process.stdout.write(`${line}\n`);

const REQUESTS = [
  { title: 'a request that works', path: '/users/42/messages?count=3' },
  { title: 'a request that fails in the message service', path: '/users/0/messages?count=3' },
  { title: 'a request that works, over gRPC', path: '/users/42/messages-grpc?count=3' },
];

/** pnpm as the demo was started with (`pnpm demo` sets npm_execpath), else the pinned version through npx. */
function pnpm(args) {
  const execpath = process.env.npm_execpath;
  if (execpath && basename(execpath).startsWith('pnpm')) {
    return /\.[cm]?js$/.test(execpath) ? [process.execPath, [execpath, ...args]] : [execpath, args];
  }
  const { packageManager } = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
  return ['npx', ['-y', packageManager, ...args]];
}

function build() {
  log('building the packages (pnpm -r --filter ./packages/* build) ...');
  const [command, args] = pnpm(['-r', '--filter', './packages/*', 'build']);
  try {
    execFileSync(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    process.stderr.write(`${error.stdout ?? ''}${error.stderr ?? ''}`);
    throw new Error('the build failed');
  }
}

/** Where spans go: our own receiver, unless the environment names a backend. */
async function exportTarget() {
  const env = process.env;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_TRACES_EXPORTER) {
    return { receiver: undefined, env: {} };
  }
  const receiver = await startReceiver();
  return {
    receiver,
    env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.tracesUrl },
  };
}

const IN_MEMORY = 'the messages stay in memory, no MongoDB spans';

/**
 * FerretDB for the message service's messages, built first if needed;
 * undefined (the messages stay in memory, said in one line) without Go or
 * when the build fails.
 */
async function startDatabase() {
  let located = locateFerretDB();
  if (!located.found) {
    const go = spawnSync('go', ['version'], { stdio: 'ignore' });
    if (go.error || go.status !== 0) {
      log(`no FerretDB and no Go to build it (scripts/ferretdb.sh): ${IN_MEMORY}`);
      return undefined;
    }
    log(
      'building FerretDB (scripts/ferretdb.sh), once per machine: Go compiles FerretDB and its SQLite backend ' +
        'from source, which takes about a minute ...',
    );
    try {
      located = { found: true, bin: await buildFerretDB() };
    } catch (error) {
      const why = String(error?.message ?? error)
        .trim()
        .split('\n')
        .pop();
      log(`building FerretDB failed (${why}): ${IN_MEMORY}`);
      return undefined;
    }
  }
  return startFerretDB(located.bin);
}

async function send(userService, { title, path }) {
  const response = await fetch(`${userService.url}${path}`, { signal: AbortSignal.timeout(30_000) });
  const body = await response.json().catch(() => undefined);
  const traceId = response.headers.get('x-trace-id') ?? undefined;
  const summary = Array.isArray(body?.messages)
    ? `${body.user?.name ?? 'user'} with ${body.messages.length} messages`
    : (body?.error ?? '');
  log(`${title}: GET ${path} -> ${response.status} ${summary}`);
  log(`  trace id ${traceId ?? '(none: the user service sent no x-trace-id)'}`);
  return traceId;
}

async function main() {
  if (!process.argv.includes('--no-build')) build();
  const target = await exportTarget();
  const services = [];
  let database;
  try {
    database = await startDatabase();
    const env = (name, extra = {}) => ({ ...process.env, ...target.env, OTEL_SERVICE_NAME: name, PORT: '0', ...extra });
    const messageService = await startService({
      name: 'message-service',
      script: resolve(root, 'examples/message-service/src/main.js'),
      env: env('message-service', { GRPC_PORT: '0', ...(database ? { MONGODB_URL: database.url } : {}) }),
    });
    services.push(messageService);
    const userService = await startService({
      name: 'user-service',
      script: resolve(root, 'examples/user-service/src/main.js'),
      env: env('user-service', { MESSAGE_SERVICE_URL: messageService.url, MESSAGE_SERVICE_GRPC: messageService.grpc }),
    });
    services.push(userService);
    log(`message-service on ${messageService.url} (gRPC ${messageService.grpc}), user-service on ${userService.url}`);
    if (database) log(`messages in FerretDB on ${database.url}, traced by @tracewire/mongodb`);
    log(
      target.receiver ? `spans go to the demo's OTLP receiver on ${target.receiver.url}` : 'spans go to your backend',
    );
    log();

    const traceIds = [];
    for (const request of REQUESTS) traceIds.push(await send(userService, request));

    log();
    log('stopping the services (SIGTERM: each flushes its spans, then exits)');
    for (const service of services.splice(0).reverse()) {
      const { code, signal } = await service.stop();
      if (code !== 0)
        throw new Error(`${service.name} exited with code ${code} (signal ${signal})\n${service.output()}`);
    }

    if (!target.receiver) {
      log();
      log('look these traces up in your backend (e.g. Jaeger: http://localhost:16686/trace/<trace id>):');
      for (const traceId of traceIds) log(`  ${traceId}`);
      return;
    }
    const { spans } = target.receiver;
    log(`the receiver got ${spans.length} spans in ${new Set(spans.map((span) => span.traceId)).size} traces`);
    for (const [i, traceId] of traceIds.entries()) {
      log();
      log(`${REQUESTS[i].title}:`);
      const spans = traceId ? target.receiver.trace(traceId) : [];
      for (const line of formatWaterfall(spans)) log(line);
    }
  } finally {
    await Promise.all(services.map((service) => service.stop()));
    await database?.stop();
    await target.receiver?.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`demo failed: ${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
