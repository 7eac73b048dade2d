// Nothing is patched or required before the driver: loading the package
// loads no driver, tracing changes no driver prototype, and an app bundled
// into one file with esbuild (where require hooks see nothing) is traced.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build as esbuild } from 'esbuild';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing } from '../../../test/support/otel';
import { DRIVERS, type FerretDB, ferretdbOrSkip, type Pkg, startFerretDB } from './helpers';

const root = resolve(__dirname, '../../..');
const dist = resolve(__dirname, '../dist');
const otel = memoryTracing();
afterAll(() => otel.close());

function filesOf(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesOf(join(dir, entry.name)) : entry.name.endsWith('.js') ? [join(dir, entry.name)] : [],
  );
}

/** Every own property descriptor along a prototype chain, by name, to compare before and after. */
function descriptors(proto: object | null): Record<string, PropertyDescriptor>[] {
  const chain: Record<string, PropertyDescriptor>[] = [];
  for (let p = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    chain.push(Object.getOwnPropertyDescriptors(p));
  }
  return chain;
}

describe('@tracewire/mongodb patches nothing', () => {
  test('neither build imports a driver', () => {
    for (const file of filesOf(dist)) {
      expect(readFileSync(file, 'utf8')).not.toMatch(/require\(["']mongodb|from ["']mongodb|import\(["']mongodb/);
    }
  });

  test('loading the CJS build loads no mongodb module', () => {
    const loaded = execFileSync(
      process.execPath,
      [
        '-e',
        "require('@tracewire/mongodb'); console.log(JSON.stringify(Object.keys(require.cache).filter((p) => /[\\\\/]mongodb(@|[\\\\/])/.test(p.replace(/@tracewire[\\\\/]mongodb|packages[\\\\/]mongodb/g, '')))))",
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(JSON.parse(loaded)).toEqual([]);
  });

  test("a driver's own MongoClient type is accepted, for 6.x and 7.x", async () => {
    const pkg = await load<Pkg>('@tracewire/mongodb', 'cjs');
    const { MongoClient: Client6 } = require('mongodb6') as typeof import('mongodb6');
    const { MongoClient: Client7 } = require('mongodb7') as typeof import('mongodb7');
    const six: InstanceType<typeof Client6> = new Client6('mongodb://127.0.0.1:1/');
    const seven: InstanceType<typeof Client7> = new Client7('mongodb://127.0.0.1:1/');
    // Type-checked by `pnpm lint`; run here, it traces and untraces.
    for (const tracing of [pkg.traceMongoClient(six), pkg.traceMongoClient(seven)]) tracing.untrace();
  });

  test.each(DRIVERS.flatMap((driver) => BUILDS.map((build) => ({ driver, build }))))(
    'driver $driver.major ($build build): tracing a client changes no prototype of the driver',
    async ({ driver, build }) => {
      const pkg = await load<Pkg>('@tracewire/mongodb', build);
      const protos = [driver.MongoClient.prototype];
      const before = protos.map(descriptors);
      const client = new driver.MongoClient('mongodb://127.0.0.1:1/?directConnection=true');
      const ownBefore = Object.keys(client).sort();
      const tracing = pkg.traceMongoClient(client, { tracerProvider: otel.provider });
      expect(protos.map(descriptors)).toEqual(before);
      // The client itself gets listeners and monitorCommands (its public option), nothing else.
      expect(Object.keys(client).sort()).toEqual(ownBefore);
      expect(client.monitorCommands).toBe(true);
      tracing.untrace();
    },
  );
});

const { describe: describeFerret, bin } = ferretdbOrSkip('MongoDB esbuild bundle test against FerretDB');

describeFerret('an app bundled with esbuild', () => {
  let server: FerretDB;
  let dir: string;
  beforeAll(async () => {
    server = await startFerretDB(bin);
    dir = mkdtempSync(join(tmpdir(), 'tracewire-esbuild-'));
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test.each(['mongodb6', 'mongodb7'])(
    '%s and @tracewire/mongodb in one file: the find is traced, child of the active span',
    async (driver) => {
      // A recording tracer provider and a context manager written against the API alone, bundled with the app.
      const app = `
      import { AsyncLocalStorage } from 'node:async_hooks';
      import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
      import { MongoClient } from '${driver}';
      import { traceMongoClient } from '@tracewire/mongodb';
      // A context manager on AsyncLocalStorage, as the SDK's, with the API alone.
      const storage = new AsyncLocalStorage();
      context.setGlobalContextManager({
        active: () => storage.getStore() ?? ROOT_CONTEXT,
        with: (ctx, fn, thisArg, ...args) => storage.run(ctx, () => fn.call(thisArg, ...args)),
        bind: (ctx, target) => target,
        enable() { return this; },
        disable() { return this; },
      });
      const ended = [];
      let next = 1;
      const id = (n, length) => n.toString(16).padStart(length, '0');
      const tracer = {
        startSpan(name, options, ctx) {
          const parent = trace.getSpanContext(ctx);
          const spanContext = { traceId: parent ? parent.traceId : id(next, 32), spanId: id(next++, 16), traceFlags: 1 };
          const attributes = { ...options.attributes };
          const span = {
            spanContext: () => spanContext,
            setAttribute: (key, value) => { attributes[key] = value; return span; },
            setAttributes: (more) => { Object.assign(attributes, more); return span; },
            setStatus: () => span,
            recordException: () => {},
            updateName: () => span,
            addEvent: () => span,
            isRecording: () => true,
            end: () => ended.push({ name, kind: options.kind, parent: parent && parent.spanId, spanId: spanContext.spanId, attributes }),
          };
          return span;
        },
      };
      const client = new MongoClient(process.argv[2], { directConnection: true });
      const tracing = traceMongoClient(client, { tracerProvider: { getTracer: () => tracer } });
      const request = tracer.startSpan('GET /', { kind: 1 }, ROOT_CONTEXT);
      await context.with(trace.setSpan(ROOT_CONTEXT, request), () => client.db('app').collection('messages').find({}).toArray());
      request.end();
      tracing.untrace();
      await client.close();
      console.log(JSON.stringify(ended));
    `;
      const entry = join(dir, `${driver}.mjs`);
      const outfile = join(dir, `${driver}.bundle.mjs`);
      writeFileSync(entry, app);
      await esbuild({
        entryPoints: [entry],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        absWorkingDir: root,
        nodePaths: [join(root, 'node_modules')],
        // The driver's optional dependencies, absent here; it requires them lazily, in try/catch.
        external: [
          '@aws-sdk/credential-providers',
          '@mongodb-js/zstd',
          'gcp-metadata',
          'kerberos',
          'mongodb-client-encryption',
          'snappy',
          'socks',
          'aws4',
        ],
        banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
        logLevel: 'silent',
      });
      // One file: the driver and tracewire are inside it, nothing resolves from node_modules.
      const bundled = readFileSync(outfile, 'utf8');
      expect(bundled).toContain('commandStarted');
      expect(bundled).not.toMatch(/from ["'](mongodb\d?|@tracewire\/mongodb)["']/);
      const out = execFileSync(process.execPath, [outfile, server.url], { cwd: dir, encoding: 'utf8' });
      const spans = JSON.parse(out.trim().split('\n').pop() as string) as {
        name: string;
        kind: number;
        parent?: string;
        spanId: string;
        attributes: Record<string, unknown>;
      }[];
      const request = spans.find((span) => span.name === 'GET /');
      const find = spans.find((span) => span.name === 'find messages');
      expect(find?.parent).toBe(request?.spanId);
      expect(find?.attributes).toMatchObject({
        component: 'mongodb',
        'db.system.name': 'mongodb',
        'db.operation.name': 'find',
      });
    },
  );
});
