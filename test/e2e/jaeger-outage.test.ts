// The outage scenario of test/reliability/outage.test.ts against a real
// Jaeger v2: an Express app traced by @tracewire/node (default OTLP/HTTP
// exporter, default export timeout and batch settings) serves 400 requests a
// second while Jaeger is stopped and started again on the same ports. The
// spans are read back through Jaeger's query API. Jaeger keeps spans in
// memory, so those from before the restart are gone with it; what is checked
// is what came after: the first accepted span within 1 s of Jaeger listening
// again, at least 99 % of the requests sent from 1 s later, one warning for
// the outage and nothing else logged, no failed request, heap bounded.

import { appUnderLoad, droppedOf, firstAnswer, sentBetween } from '../reliability/support/outage';
import { ask, type Child, stopChild } from '../reliability/support/processes';
import { JAEGER, Jaeger, type JaegerTrace, locateJaeger, sleep, tag } from './jaeger';
import { jaegerTurn } from './jaeger-turn';

const located = locateJaeger();
if (!located.found) console.warn(`end-to-end outage test against Jaeger skipped: ${located.reason}`);
const describeJaeger = located.found ? describe : describe.skip;

const RATE = 400;
// Healthy, down, up.
const PHASES_S = [4, 6, 7];
const SECONDS = PHASES_S.reduce((a, b) => a + b, 0);

/** Every trace of `service` Jaeger holds, started in [from, to] (ms). */
async function tracesOf(service: string, from: number, to: number): Promise<JaegerTrace[]> {
  const query = new URLSearchParams({
    service,
    start: String(from * 1000),
    end: String(to * 1000),
    limit: '100000',
  });
  const response = await fetch(`${JAEGER.query}/api/traces?${query}`);
  if (!response.ok) throw new Error(`GET /api/traces: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: JaegerTrace[] }).data;
}

describeJaeger('a Jaeger outage under load', () => {
  let release: (() => void) | undefined;
  let jaeger: Jaeger | undefined;
  const children: Child[] = [];

  beforeAll(async () => {
    release = await jaegerTurn(240_000);
  }, 250_000);
  afterAll(async () => {
    for (const child of children) await stopChild(child);
    await jaeger?.stop();
    release?.();
  }, 20_000);

  test(`${RATE} requests/s, Jaeger stopped and started again on the same ports`, async () => {
    const bin = located.bin;
    jaeger = await Jaeger.start(bin);
    const target = `${JAEGER.otlpHttp}/v1/traces`;
    const { app, results, heapBefore } = await appUnderLoad(target, RATE, SECONDS, PHASES_S[0]!, children);

    const stoppedAt = Date.now();
    await jaeger.stop();
    const stopTook = Date.now() - stoppedAt;
    await sleep(PHASES_S[1]! * 1000 - stopTook);
    // The restart is when the OTLP receiver answers again, which may come before Jaeger calls itself ready.
    const answering = firstAnswer(target, 30_000);
    const startedAt = Date.now();
    jaeger = await Jaeger.start(bin);
    const readyAt = Date.now();
    const restartedAt = await answering;

    const { sentAt, outcome } = await results;
    await ask(app.child, 'flush', 'flushed');
    const heapAfter = (await ask<{ bytes: number }>(app.child, 'heap', 'heap')).bytes;

    // Jaeger batches what it ingests: poll until the count settles.
    const after = sentBetween(sentAt, restartedAt + 1000, Number.POSITIVE_INFINITY);
    const duringOutage = sentBetween(sentAt, stoppedAt, restartedAt);
    let found = new Set<number>();
    for (let tries = 0; tries < 50; tries++) {
      const traces = await tracesOf('outage', stoppedAt - 60_000, Date.now() + 1000);
      const ids = new Set<number>();
      for (const trace of traces) {
        for (const span of trace.spans) {
          const n = Number(/^\/users\/(\d+)$/.exec(String(tag(span.tags, 'url.path')))?.[1]);
          if (Number.isInteger(n)) ids.add(n);
        }
      }
      const settled = ids.size === found.size && after.every((n) => ids.has(n));
      found = ids;
      if (settled) break;
      await sleep(200);
    }

    const lines = app.lines.map((l) => l.text);
    const warnings = app.lines.filter((l) => /^diag (warn|error): /.test(l.text));
    const recoveries = app.lines.filter((l) => l.text.includes('@tracewire/node: backend '));
    const failed = outcome.filter((o) => o !== 200).length;
    const traced = after.filter((n) => found.has(n)).length;
    const row = {
      'stop took ms': stopTook,
      'start took ms': readyAt - startedAt,
      'answering before ready ms': readyAt - restartedAt,
      'warning after stop ms': (warnings[0]?.at ?? Number.NaN) - stoppedAt,
      'recovery line after restart ms': (recoveries[0]?.at ?? Number.NaN) - restartedAt,
      'outage requests in Jaeger (the probe)': duringOutage.filter((n) => found.has(n)).length,
      'requests from restart + 1 s': after.length,
      'with their span': traced,
      share: traced / after.length,
      dropped: recoveries[0] ? droppedOf(recoveries[0].text) : undefined,
    };
    console.log(
      `${sentAt.length} requests at ${RATE}/s, ${failed} failed; Jaeger holds ${found.size} of their spans; ` +
        `heap growth ${((heapAfter - heapBefore) / 1024 / 1024).toFixed(1)} MB\n${JSON.stringify(row)}\n` +
        `app log (debug lines left out):\n${lines.filter((l) => !l.startsWith('diag debug')).join('\n')}`,
    );

    expect({ requests: sentAt.length, failed }).toEqual({ requests: RATE * SECONDS, failed: 0 });
    expect(warnings.map((l) => l.text)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^diag warn: @tracewire/node: cannot export spans to ${target} \\(.+\\); dropping them until it answers$`,
        ),
      ),
    ]);
    expect(lines.filter((l) => l.includes('maxQueueSize'))).toEqual([]);
    expect(recoveries.map((l) => l.text)).toEqual([
      expect.stringMatching(
        new RegExp(`^diag info: @tracewire/node: backend ${target} back after \\d+\\.\\d s; [\\d,]+ spans dropped$`),
      ),
    ]);
    expect(warnings[0]!.at).toBeGreaterThan(stoppedAt);
    // The probe Jaeger accepted is the first span after the restart: within 1 s, and it holds spans of the outage.
    expect(row['recovery line after restart ms']).toBeLessThanOrEqual(1000);
    expect(row['outage requests in Jaeger (the probe)']).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(RATE * 4);
    expect(row.share).toBeGreaterThanOrEqual(0.99);
    expect(heapAfter - heapBefore).toBeLessThan(30 * 1024 * 1024);
  }, 60_000);
});
