// Dead backend: @tracewire/node's setupTracing exports over OTLP/HTTP to a
// closed port, or to a port that accepts connections and never answers,
// while an Express or a Koa app serves 20,000 requests at concurrency 50.
// Compared with the same app exporting to a working receiver: no failed
// request, heap after GC grows by less than 30 MB, p99 latency within 1.5 x,
// and the export failure logged a bounded number of times.
//
// The app, the receiver and the load generator (autocannon) each run in a
// process of their own; the app's process is started with --expose-gc. The
// exporter timeout is 0.5 s (default 10 s), so that a run of a few seconds
// meets dozens of failed exports: an outage compressed in time. The variants
// run in interleaved chunks and their p99 is the median over the chunks, so
// that a burst of load from elsewhere on the machine hits all of them alike.
// The child loads the packages' CommonJS builds; both builds are exercised by
// the other reliability tests.
import net from 'node:net';
import { FRAMEWORKS, type Framework } from './support/apps';
import { ask, type Child, type LoadResult, load, startChild, stopChild } from './support/processes';

const REQUESTS = 20_000;
const CONNECTIONS = 50;
const CHUNKS = 4;
const WARMUP = 2_000;
const MAX_HEAP_GROWTH = 30 * 1024 * 1024;
const MAX_P99_RATIO = 1.5;

type Variant = 'working' | 'closed port' | 'no answer';
const VARIANTS: Variant[] = ['working', 'closed port', 'no answer'];

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

describe('a dead tracing backend never hurts the service', () => {
  let receiver: Child;
  let silent: net.Server;
  let silentConnections = 0;
  const sockets = new Set<net.Socket>();
  let closedPort: number;

  beforeAll(async () => {
    receiver = await startChild('bench/receiver.cjs', {});
    // Accepts every connection, reads nothing, answers nothing.
    silent = net.createServer((socket) => {
      silentConnections++;
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
  afterAll(async () => {
    await stopChild(receiver);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  function endpoint(variant: Variant): string {
    const port =
      variant === 'working'
        ? receiver.port
        : variant === 'closed port'
          ? closedPort
          : (silent.address() as net.AddressInfo).port;
    return `http://127.0.0.1:${port}/v1/traces`;
  }

  test.each(FRAMEWORKS)(
    `%s: ${REQUESTS} requests at concurrency ${CONNECTIONS}, exporting to a working receiver, a closed port, a port that never answers`,
    async (framework: Framework) => {
      const apps = new Map<Variant, Child>();
      try {
        for (const variant of VARIANTS) {
          apps.set(
            variant,
            await startChild(
              'test/reliability/fixtures/traced-server.cjs',
              {
                RELIABILITY_FRAMEWORK: framework,
                RELIABILITY_OTLP_URL: endpoint(variant),
                OTEL_EXPORTER_OTLP_TIMEOUT: '500',
              },
              ['--expose-gc'],
            ),
          );
        }
        const url = (variant: Variant) => `http://127.0.0.1:${apps.get(variant)!.port}/users/42`;
        const heapBefore = new Map<Variant, number>();
        for (const variant of VARIANTS) {
          await load(url(variant), WARMUP, CONNECTIONS); // JIT and connection warm-up, not measured
          heapBefore.set(variant, (await ask<{ bytes: number }>(apps.get(variant)!.child, 'heap', 'heap')).bytes);
        }
        const silentBefore = silentConnections;

        const chunks = new Map<Variant, LoadResult[]>(VARIANTS.map((v) => [v, []]));
        for (let chunk = 0; chunk < CHUNKS; chunk++) {
          // A different variant goes first in each chunk.
          const order = VARIANTS.map((_, i) => VARIANTS[(i + chunk) % VARIANTS.length] as Variant);
          for (const variant of order) {
            chunks.get(variant)!.push(await load(url(variant), REQUESTS / CHUNKS, CONNECTIONS));
          }
        }

        const rows: Record<string, string | number>[] = [];
        const results = new Map<
          Variant,
          { requests: number; failed: number; p99: number; heap: number; logged: string[] }
        >();
        for (const variant of VARIANTS) {
          const child = apps.get(variant)!.child;
          const heapAfter = (await ask<{ bytes: number }>(child, 'heap', 'heap')).bytes;
          const { messages } = await ask<{ messages: string[] }>(child, 'diag', 'diag');
          const runs = chunks.get(variant)!;
          const result = {
            requests: runs.reduce((sum, r) => sum + r.requests, 0),
            failed: runs.reduce((sum, r) => sum + r.failed, 0),
            p99: median(runs.map((r) => r.p99)),
            heap: heapAfter - (heapBefore.get(variant) as number),
            logged: messages.filter((m) => !m.startsWith('info: ')),
          };
          results.set(variant, result);
          rows.push({
            framework,
            variant,
            requests: result.requests,
            failed: result.failed,
            'p50 ms': median(runs.map((r) => r.p50)),
            'p99 ms (median of chunks)': result.p99,
            'heap growth MB': (result.heap / 1024 / 1024).toFixed(1),
            'warnings/errors logged': result.logged.length,
            'info messages': messages.length - result.logged.length,
          });
        }
        const { spans } = await ask<{ spans: number }>(receiver.child, 'count', 'count');
        console.log(
          `${framework}, receiver holds ${spans} spans, the silent port took ${silentConnections - silentBefore} connections\n` +
            rows.map((row) => JSON.stringify(row)).join('\n'),
        );

        const working = results.get('working')!;
        expect(working.logged).toEqual([]);
        expect(spans).toBeGreaterThan(0);
        for (const variant of VARIANTS) {
          const result = results.get(variant)!;
          expect({ variant, requests: result.requests, failed: result.failed }).toEqual({
            variant,
            requests: REQUESTS,
            failed: 0,
          });
          expect(result.heap).toBeLessThan(MAX_HEAP_GROWTH);
          if (variant === 'working') continue;
          expect(result.p99).toBeLessThanOrEqual(MAX_P99_RATIO * Math.max(working.p99, 1));
          // Once, not once per failed export (dozens) nor per span (thousands).
          const ours = result.logged.filter((m) => m.includes('@tracewire/node: cannot export spans'));
          expect(ours).toHaveLength(1);
          expect(result.logged.length).toBeLessThanOrEqual(2);
        }
        // The exporter did keep trying the silent port: many exports, one log line.
        expect(silentConnections - silentBefore).toBeGreaterThan(3);
      } finally {
        for (const app of apps.values()) await stopChild(app);
      }
    },
    180_000,
  );
});
