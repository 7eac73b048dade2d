// Runs the demo as `pnpm demo` would (after `pnpm build`, hence --no-build)
// and checks what it prints: three traces through user -> message service, the
// second one failing in the message service, the third one over gRPC, with
// the message service's MongoDB commands (FerretDB) as spans, or in memory
// without FerretDB and Go.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

type ReceiverModule = typeof import('../src/receiver.mjs', { with: { 'resolution-mode': 'import' }});

const root = resolve(__dirname, '../../..');
const main = resolve(__dirname, '../src/main.mjs');
const TIMEOUT = 180_000;
const LIST_MESSAGES = '/tracewire.example.MessageService/ListMessages';
const { locateFerretDB } = require('../../../scripts/ferretdb.cjs') as typeof import('../../../scripts/ferretdb.cjs');
// CI names the binary (FERRETDB_BIN: missing, this throws). Elsewhere, without
// it, the runs that show the MongoDB spans are skipped (the demo would spend
// minutes building it), and the in-memory run still runs.
const ferretdb = locateFerretDB();
if (!ferretdb.found) console.warn(`pnpm demo tests with FerretDB skipped: ${ferretdb.reason}`);
const testWithFerretDB = ferretdb.found ? test : test.skip;

/** The environment without any OTEL_* variable, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
  return { ...env, ...extra };
}

function runDemo(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [main, '--no-build'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT - 10_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

interface Row {
  depth: number;
  service: string;
  name: string;
  kind: string;
  error: string | undefined;
}

const ROW =
  /^ {2}((?: {2})*)(\S+) (.+?) +(SERVER|CLIENT|INTERNAL|PRODUCER|CONSUMER) +\d+\.\d+ ms \|[█ ]+\|(?: {2}ERROR (.*))?$/;

/** Each printed waterfall: its trace id and its span rows. */
function waterfalls(stdout: string): { traceId: string; rows: Row[] }[] {
  const found: { traceId: string; rows: Row[] }[] = [];
  for (const line of stdout.split('\n')) {
    const header = /^trace ([0-9a-f]{32}) {2}(\d+) spans/.exec(line);
    if (header) {
      found.push({ traceId: header[1]!, rows: [] });
      continue;
    }
    const row = ROW.exec(line);
    if (row && found.length > 0) {
      found[found.length - 1]!.rows.push({
        depth: row[1]!.length / 2,
        service: row[2]!,
        name: row[3]!,
        kind: row[4]!,
        error: row[5],
      });
    }
  }
  return found;
}

/** The trace ids the demo printed for its two requests, in order. */
function printedTraceIds(stdout: string): string[] {
  return [...stdout.matchAll(/^ {2}trace id ([0-9a-f]{32})$/gm)].map((match) => match[1]!);
}

describe('pnpm demo', () => {
  testWithFerretDB(
    'prints the traces of a working request, a failing one and a gRPC one as waterfalls, then exits 0',
    async () => {
      const { code, stdout, stderr } = await runDemo(cleanEnv());
      if (code !== 0) throw new Error(`demo exited ${code}\n${stdout}\n${stderr}`);

      const ids = printedTraceIds(stdout);
      expect(ids).toHaveLength(3);
      expect(new Set(ids).size).toBe(3);
      expect(stdout).toMatch(/messages in FerretDB on mongodb:\/\/127\.0\.0\.1:\d+\/, traced by @tracewire\/mongodb/);
      expect(stdout).not.toContain('in memory');
      expect(stdout).toContain('the receiver got 12 spans in 3 traces');
      expect(stdout).toMatch(/GET \/users\/42\/messages\?count=3 -> 200 User 42 with 3 messages/);
      expect(stdout).toMatch(/GET \/users\/0\/messages\?count=3 -> 502/);
      expect(stdout).toMatch(/GET \/users\/42\/messages-grpc\?count=3 -> 200 User 42 with 3 messages/);

      const [ok, failed, overGrpc] = waterfalls(stdout);
      expect(ok?.traceId).toBe(ids[0]);
      expect(ok?.rows).toEqual([
        { depth: 0, service: 'user-service', name: 'GET /users/:id/messages', kind: 'SERVER', error: undefined },
        { depth: 1, service: 'user-service', name: 'GET /messages/42', kind: 'CLIENT', error: undefined },
        { depth: 2, service: 'message-service', name: 'GET /messages/:userId', kind: 'SERVER', error: undefined },
        // The messages seeded at start, read by the handler.
        { depth: 3, service: 'message-service', name: 'find messages', kind: 'CLIENT', error: undefined },
      ]);

      expect(failed?.traceId).toBe(ids[1]);
      expect(failed?.rows).toEqual([
        {
          depth: 0,
          service: 'user-service',
          name: 'GET /users/:id/messages',
          kind: 'SERVER',
          error: 'exception UpstreamError: message-service answered 500',
        },
        { depth: 1, service: 'user-service', name: 'GET /messages/0', kind: 'CLIENT', error: 'error.type=500' },
        {
          depth: 2,
          service: 'message-service',
          name: 'GET /messages/:userId',
          kind: 'SERVER',
          error: 'exception MailboxUnavailableError: the mailbox of user 0 is unavailable',
        },
        // User 0's mailbox is a find the server refuses: ERROR with the server's code name.
        { depth: 3, service: 'message-service', name: 'find messages', kind: 'CLIENT', error: 'error.type=BadValue' },
      ]);

      // user SERVER -> user CLIENT gRPC -> message SERVER gRPC, one trace.
      expect(overGrpc?.traceId).toBe(ids[2]);
      expect(overGrpc?.rows).toEqual([
        { depth: 0, service: 'user-service', name: 'GET /users/:id/messages-grpc', kind: 'SERVER', error: undefined },
        { depth: 1, service: 'user-service', name: LIST_MESSAGES, kind: 'CLIENT', error: undefined },
        { depth: 2, service: 'message-service', name: LIST_MESSAGES, kind: 'SERVER', error: undefined },
        { depth: 3, service: 'message-service', name: 'find messages', kind: 'CLIENT', error: undefined },
      ]);
    },
    TIMEOUT,
  );

  test(
    'without FerretDB and without Go to build it: the messages stay in memory, and the traces have no MongoDB spans',
    async () => {
      // No go on /usr/bin:/bin, and an empty cache: no binary to find and none to build.
      const cache = mkdtempSync(join(tmpdir(), 'tracewire-demo-cache-'));
      try {
        const env = cleanEnv({ PATH: '/usr/bin:/bin', XDG_CACHE_HOME: cache });
        delete env.FERRETDB_BIN;
        const { code, stdout, stderr } = await runDemo(env);
        if (code !== 0) throw new Error(`demo exited ${code}\n${stdout}\n${stderr}`);
        // One line says it, and nothing fails.
        const said = stdout.split('\n').filter((text) => text.includes('in memory'));
        expect(said).toEqual([
          'no FerretDB and no Go to build it (scripts/ferretdb.sh): the messages stay in memory, no MongoDB spans',
        ]);
        expect(stdout).not.toContain('FerretDB on');
        expect(stdout).toContain('the receiver got 9 spans in 3 traces');
        expect(stdout).toMatch(/GET \/users\/42\/messages\?count=3 -> 200 User 42 with 3 messages/);
        const rows = waterfalls(stdout).flatMap((waterfall) => waterfall.rows);
        expect(rows).toHaveLength(9);
        expect(rows.filter((row) => row.name.endsWith(' messages'))).toEqual([]);
      } finally {
        rmSync(cache, { recursive: true, force: true });
      }
    },
    TIMEOUT,
  );

  test(
    'without FerretDB, with Go: says it builds FerretDB and why it takes a minute; a build that fails leaves the messages in memory',
    async () => {
      // A `go` that answers `go version` and fails everything else (as with no network), and an empty cache.
      const cache = mkdtempSync(join(tmpdir(), 'tracewire-demo-cache-'));
      try {
        const bin = join(cache, 'bin');
        mkdirSync(bin);
        writeFileSync(
          join(bin, 'go'),
          '#!/bin/sh\n[ "$1" = version ] && { echo "go version go1.0 stand-in"; exit 0; }\necho "go: no module proxy here" >&2\nexit 1\n',
          { mode: 0o755 },
        );
        const env = cleanEnv({ PATH: `${bin}:/usr/bin:/bin`, XDG_CACHE_HOME: cache });
        delete env.FERRETDB_BIN;
        const { code, stdout, stderr } = await runDemo(env);
        if (code !== 0) throw new Error(`demo exited ${code}\n${stdout}\n${stderr}`);
        expect(stdout).toContain(
          'building FerretDB (scripts/ferretdb.sh), once per machine: Go compiles FerretDB and its SQLite backend from source, which takes about a minute ...',
        );
        expect(stdout).toMatch(/^building FerretDB failed \(.+\): the messages stay in memory, no MongoDB spans$/m);
        expect(stdout).toContain('the receiver got 9 spans in 3 traces');
      } finally {
        rmSync(cache, { recursive: true, force: true });
      }
    },
    TIMEOUT,
  );

  testWithFerretDB(
    'with OTEL_EXPORTER_OTLP_ENDPOINT set, sends the spans there and prints the trace ids',
    async () => {
      const { startReceiver } = (await import('../src/receiver.mjs')) as ReceiverModule;
      const backend = await startReceiver();
      try {
        const { code, stdout, stderr } = await runDemo(cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: backend.url }));
        if (code !== 0) throw new Error(`demo exited ${code}\n${stdout}\n${stderr}`);
        expect(waterfalls(stdout)).toEqual([]);
        expect(stdout).toContain('look these traces up in your backend');
        const ids = printedTraceIds(stdout);
        expect(ids).toHaveLength(3);
        // The services flushed before exiting: every span is there already.
        const spansOf = (id: string | undefined) =>
          backend
            .trace(id as string)
            .map((span) => `${span.service} ${span.kind} ${span.name}`)
            .sort();
        expect(spansOf(ids[0])).toEqual([
          'message-service CLIENT find messages',
          'message-service SERVER GET /messages/:userId',
          'user-service CLIENT GET /messages/42',
          'user-service SERVER GET /users/:id/messages',
        ]);
        expect(spansOf(ids[1])).toEqual([
          'message-service CLIENT find messages',
          'message-service SERVER GET /messages/:userId',
          'user-service CLIENT GET /messages/0',
          'user-service SERVER GET /users/:id/messages',
        ]);
        expect(spansOf(ids[2])).toEqual([
          'message-service CLIENT find messages',
          `message-service SERVER ${LIST_MESSAGES}`,
          `user-service CLIENT ${LIST_MESSAGES}`,
          'user-service SERVER GET /users/:id/messages-grpc',
        ]);
        expect(backend.spans).toHaveLength(12);
      } finally {
        await backend.close();
      }
    },
    TIMEOUT,
  );
});
