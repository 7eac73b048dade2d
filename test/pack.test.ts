// Every package, packed as it would be published, installs with plain npm in
// an empty app the way the README's Getting started says, for the OTel line
// this workspace has (2.x on the host Node, 3.x in the copy scripts/otel3.mjs
// makes): with --strict-peer-deps, one copy of the API and of the SDK, and
// `npm ls --all` clean. Then one trace crosses Express -> traceFetch -> Koa
// in that app, loaded through import, require and an esbuild ESM bundle.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { appSource } from './support/pack-app';

const root = resolve(__dirname, '..');
const packages = readdirSync(join(root, 'packages')).map((dir) => {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  return { dir: join(root, 'packages', dir), name: manifest.name as string };
});
const apiVersion: string = JSON.parse(
  readFileSync(join(root, 'node_modules', '@opentelemetry', 'api', 'package.json'), 'utf8'),
).version;
const line = apiVersion.startsWith('1.9.') ? '2.x' : '3.x';

/** The README's install command for this line, as words: `npm install express @tracewire/... @opentelemetry/...`. */
function readmeInstall(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8').replace(/\\\n\s*/g, ' ');
  const api = line === '2.x' ? '@opentelemetry/api@~1.9.' : '@opentelemetry/api@~1.10.';
  const command = readme.split('\n').find((text) => text.startsWith('npm install ') && text.includes(api));
  if (!command) throw new Error(`README.md has no "npm install" line with ${api}`);
  return command.trim().split(/\s+/).slice(2);
}

interface Attribute {
  key: string;
  value: { stringValue?: string };
}

interface Span {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

/** An OTLP/HTTP receiver that keeps every span it is sent (protobuf, the default, or JSON). */
async function startReceiver() {
  const { otlpJsonFromProtobuf } = (await import('../examples/demo/src/otlp-proto.mjs')) as {
    otlpJsonFromProtobuf(bytes: Uint8Array): {
      resourceSpans?: { resource?: { attributes?: Attribute[] }; scopeSpans?: { spans?: Span[] }[] }[];
    };
  };
  const spans: Span[] = [];
  const resources: Record<string, unknown>[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const request = String(req.headers['content-type']).includes('protobuf')
        ? otlpJsonFromProtobuf(body)
        : JSON.parse(body.toString());
      for (const rs of request.resourceSpans ?? []) {
        resources.push(
          Object.fromEntries((rs.resource?.attributes ?? []).map((a: Attribute) => [a.key, a.value.stringValue])),
        );
        for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
      }
      res.writeHead(200, { 'content-type': String(req.headers['content-type']) }).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, resources, close: () => server.close() };
}

describe(`packed tarballs, installed with npm as the README says (OTel ${line}, API ${apiVersion}, Node ${process.versions.node})`, () => {
  let work: string;
  // Plain npm, as a user runs it: without the npm_config_* settings pnpm passes down.
  const userEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_config_/i.test(key)));
  const run = (command: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
    execFileSync(command, args, {
      cwd: work,
      encoding: 'utf8',
      env: { ...userEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'tracewire-pack-'));
    const tarballs = new Map(
      packages.map(({ dir, name }) => {
        const out = execFileSync('npx', ['-y', 'pnpm@10.34.9', 'pack', '--pack-destination', work], {
          cwd: dir,
          encoding: 'utf8',
          env: userEnv,
        });
        return [name, out.trim().split('\n').pop()!];
      }),
    );
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'pack-check', private: true }));
    // The README's line with our packages as tarballs, plus Koa, gRPC and the
    // MongoDB driver as the README says to add them (the peers of
    // @tracewire/koa, @tracewire/grpc and @tracewire/mongodb), plus the
    // packages that line leaves out.
    const words = readmeInstall().map((word) => tarballs.get(word) ?? word);
    const rest = [...tarballs].filter(([name]) => !readmeInstall().includes(name)).map(([, file]) => file);
    run('npm', [
      'install',
      '--strict-peer-deps',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      ...words,
      ...rest,
      'koa',
      '@koa/router',
      '@grpc/grpc-js',
      'mongodb',
    ]);
    for (const [file, source] of Object.entries(appSource)) writeFileSync(join(work, file), source);
  }, 300_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('npm ls --all is clean: no missing, extraneous or invalid package, no unmet peer', () => {
    expect(() => run('npm', ['ls', '--all'])).not.toThrow();
  });

  test.each(['@opentelemetry/api', '@opentelemetry/sdk-trace', '@opentelemetry/core', '@opentelemetry/resources'])(
    'the tree holds one copy of %s, of this line',
    (name) => {
      const paths = run('npm', ['ls', name, '--all', '--parseable']).trim().split('\n').filter(Boolean);
      expect(paths).toHaveLength(1);
      const { version } = JSON.parse(readFileSync(join(paths[0]!, 'package.json'), 'utf8'));
      const minor = (v: string) => v.split('.').slice(0, 2).join('.');
      if (name === '@opentelemetry/api') expect(minor(version)).toBe(minor(apiVersion));
      else expect(version.startsWith(line === '2.x' ? '2.' : '3.')).toBe(true);
    },
  );

  test.each(packages.map((pkg) => [pkg.name]))('%s loads through require and import with the same exports', (name) => {
    const cjs = run(process.execPath, ['-e', `console.log(JSON.stringify(Object.keys(require('${name}')).sort()))`]);
    const esm = run(process.execPath, [
      '--input-type=module',
      '-e',
      `import * as m from '${name}'; console.log(JSON.stringify(Object.keys(m).sort()))`,
    ]);
    const cjsKeys = JSON.parse(cjs) as string[];
    expect(cjsKeys.length).toBeGreaterThan(0);
    expect(JSON.parse(esm)).toEqual(cjsKeys);
  });

  test.each(packages.map((pkg) => [pkg.name]))('%s ships type declarations for both builds', (name) => {
    const manifest = JSON.parse(readFileSync(join(work, 'node_modules', name, 'package.json'), 'utf8'));
    for (const condition of ['import', 'require']) {
      const types = manifest.exports['.'][condition].types as string;
      expect(readFileSync(join(work, 'node_modules', name, types), 'utf8')).toContain('export');
    }
  });

  test.each([
    ['OTEL_PROPAGATORS', 'b3', '@opentelemetry/propagator-b3'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', '@opentelemetry/exporter-trace-otlp-grpc'],
    ['OTEL_TRACES_EXPORTER', 'zipkin', '@opentelemetry/exporter-zipkin'],
  ])('%s=%s without its optional peer fails at setup, naming the package to install', (variable, value, peer) => {
    const start = () =>
      run(process.execPath, ['-e', "require('@tracewire/node').setupTracing()"], { [variable]: value });
    expect(start).toThrow(`needs the optional peer ${peer} (npm install ${peer})`);
  });

  test.each([
    ['ESM', ['app.mjs']],
    ['CommonJS', ['app.cjs']],
    ['an esbuild ESM bundle', ['bundle.mjs']],
  ])(
    'one trace crosses Express -> traceFetch -> Koa, loaded as %s, exported over OTLP/HTTP protobuf',
    async (_, [entry]) => {
      if (entry === 'bundle.mjs') {
        const esbuild = join(root, 'node_modules', 'esbuild', 'bin', 'esbuild');
        // The usual banner for CommonJS dependencies in an ES bundle; __filename stays undefined.
        const banner = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";
        run(process.execPath, [
          esbuild,
          'app.mjs',
          '--bundle',
          '--platform=node',
          '--format=esm',
          '--log-level=error',
          `--banner:js=${banner}`,
          '--outfile=bundle.mjs',
        ]);
        expect(readFileSync(join(work, 'bundle.mjs'), 'utf8')).toContain('@tracewire/node');
      }
      const receiver = await startReceiver();
      try {
        // Not execFileSync: the receiver runs on this process's event loop.
        const { stdout: out } = await promisify(execFile)(process.execPath, [entry!], {
          cwd: work,
          env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
        });
        const { traceparent } = JSON.parse(out.trim().split('\n').pop()!) as { traceparent: string };
        const byName = (name: string) => receiver.spans.find((span) => span.name === name)!;
        const express = byName('GET /users/:id');
        const client = byName('GET /messages/42');
        const koa = byName('GET /messages/:id');
        expect(receiver.spans).toHaveLength(3);
        expect([express.kind, client.kind, koa.kind]).toEqual([2, 3, 2]); // SERVER, CLIENT, SERVER
        expect(new Set([express.traceId, client.traceId, koa.traceId]).size).toBe(1);
        expect(express.parentSpanId).toBeUndefined();
        expect(client.parentSpanId).toBe(express.spanId);
        expect(koa.parentSpanId).toBe(client.spanId);
        // What crossed the wire: the W3C header naming the CLIENT span.
        expect(traceparent).toBe(`00-${client.traceId}-${client.spanId}-01`);
        // The spans say they come from the app's SDK line, not from a copy of our own.
        const sdkVersion = String(receiver.resources[0]?.['telemetry.sdk.version']);
        expect(sdkVersion.startsWith(line === '2.x' ? '2.' : '3.')).toBe(true);
        expect(receiver.resources[0]?.['service.name']).toBe('pack-check');
      } finally {
        receiver.close();
      }
    },
  );
});
