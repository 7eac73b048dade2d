// The outage guard's rules (docs/reliability.md) with a fake send and jest's
// fake clock: one warning per outage, answered at once while it lasts, the
// newest batch kept as the probe, dropped spans counted exactly, one recovery
// line, a bounded probe schedule, one probe at a time, flush and shutdown.
// The built CommonJS module is tested: it is what ships.
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';

type OutageModule = typeof import('../src/export/outage');
const built = join(resolve(__dirname, '..'), 'dist/cjs/export/outage.js');
const { OutageGuard, PATIENCE_MS, PROBE_PERIOD_MS } = require(built) as OutageModule;

interface Batch {
  id: string;
  spans: number;
}

/** A backend the test turns on and off; with `hang`, a send settles only when the test says so. */
class FakeBackend {
  up = true;
  hang = false;
  readonly sent: { id: string; kind: 'batch' | 'probe'; at: number }[] = [];
  readonly delivered: string[] = [];
  private readonly waiting: { batch: Batch; resolve: () => void; reject: (error: Error) => void }[] = [];
  inFlight = 0;
  maxInFlight = 0;

  readonly delivery = {
    send: (batch: Batch, kind: 'batch' | 'probe') => {
      this.sent.push({ id: batch.id, kind, at: Date.now() });
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      const settled = new Promise<void>((resolve, reject) => {
        if (this.hang) this.waiting.push({ batch, resolve, reject });
        else this.answer({ batch, resolve, reject });
      });
      return settled.finally(() => this.inFlight--);
    },
    spans: (batch: Batch) => batch.spans,
  };

  private answer(call: { batch: Batch; resolve: () => void; reject: (error: Error) => void }) {
    if (this.up) {
      this.delivered.push(call.batch.id);
      call.resolve();
    } else {
      call.reject(new Error('connect ECONNREFUSED 127.0.0.1:4318'));
    }
  }

  /** Settles the sends that hang, as the backend is now. */
  release(): void {
    for (const call of this.waiting.splice(0)) this.answer(call);
  }
}

const TARGET = 'http://collector:4318/v1/traces';

function logs() {
  const lines: { level: string; message: string }[] = [];
  const keep = (level: string) => (message: string) => lines.push({ level, message });
  const logger: DiagLogger = {
    error: keep('error'),
    warn: keep('warn'),
    info: keep('info'),
    debug: () => undefined,
    verbose: () => undefined,
  };
  diag.setLogger(logger, DiagLogLevel.INFO);
  return lines;
}

let n = 0;
const batch = (spans: number): Batch => ({ id: `b${++n}`, spans });
const tick = (ms: number) => jest.advanceTimersByTimeAsync(ms);

describe('OutageGuard', () => {
  let backend: FakeBackend;
  let lines: ReturnType<typeof logs>;
  let guard: InstanceType<typeof OutageGuard<Batch>>;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    backend = new FakeBackend();
    lines = logs();
    guard = new OutageGuard<Batch>(TARGET, backend.delivery);
  });
  afterEach(async () => {
    backend.hang = false;
    backend.release();
    await guard.shutdown();
    jest.useRealTimers();
    diag.disable();
  });

  /** Starts an outage with one failed batch of `spans` spans. */
  async function startOutage(spans = 10) {
    backend.up = false;
    await guard.submit(batch(spans));
    expect(guard.down).toBe(true);
  }

  test('healthy: each batch is sent, and submit resolves when its send ends', async () => {
    backend.hang = true;
    let answered = false;
    const first = guard.submit(batch(3)).then(() => {
      answered = true;
    });
    await tick(PATIENCE_MS - 50);
    expect(answered).toBe(false);
    backend.release();
    await first;
    expect(answered).toBe(true);
    backend.hang = false;
    await guard.submit(batch(2));
    expect(backend.sent.map((s) => s.kind)).toEqual(['batch', 'batch']);
    expect(backend.delivered).toHaveLength(2);
    expect(lines).toEqual([]);
  });

  test('a send that hangs holds the processor for PATIENCE_MS only; the newest batch waits for it, then goes', async () => {
    backend.hang = true;
    let answered = false;
    void guard.submit(batch(3)).then(() => {
      answered = true;
    });
    await tick(PATIENCE_MS);
    expect(answered).toBe(true);
    // Answered at once while the slow send is in flight: kept, the newest replacing the older.
    await guard.submit(batch(4));
    await guard.submit(batch(5));
    expect(backend.sent).toHaveLength(1);
    expect(backend.inFlight).toBe(1);
    await tick(2000);
    backend.hang = false;
    backend.release();
    await tick(0);
    await guard.forceFlush();
    expect(backend.delivered).toEqual([`b${n - 2}`, `b${n}`]);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe('info');
    expect(lines[0]?.message).toMatch(
      /^@tracewire\/node: backend .* was slow to answer an export \(2\.0 s past 250 ms\); 4 spans dropped meanwhile$/,
    );
    expect(guard.down).toBe(false);
  });

  test('forceFlush after a slow send waits for the batch kept meanwhile too', async () => {
    backend.hang = true;
    void guard.submit(batch(3));
    await tick(PATIENCE_MS);
    await guard.submit(batch(4));
    let done = false;
    const flushed = guard.forceFlush().then(() => {
      done = true;
    });
    // The slow send answers; the kept batch goes next, and hangs in turn.
    backend.release();
    await tick(0);
    expect(backend.sent).toHaveLength(2);
    expect(done).toBe(false);
    backend.release();
    await flushed;
    expect(backend.delivered).toEqual([`b${n - 1}`, `b${n}`]);
  });

  test('a send that hangs and then fails is one outage: one warning, what waited for it counted', async () => {
    backend.hang = true;
    void guard.submit(batch(3));
    await tick(PATIENCE_MS);
    await guard.submit(batch(4));
    await guard.submit(batch(5));
    await tick(9_750);
    backend.up = false;
    backend.release();
    await tick(0);
    expect(guard.down).toBe(true);
    expect(lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    backend.hang = false;
    backend.up = true;
    await tick(PROBE_PERIOD_MS);
    await guard.forceFlush();
    // The hung batch (3) and the replaced one (4) are lost; the newest (5) was the probe.
    expect(backend.delivered).toEqual([`b${n}`]);
    expect(lines.at(-1)?.message).toMatch(/back after 10\.\d s; 7 spans dropped$/);
  });

  test('the first failed send warns once, naming the target and the reason; later failures are silent', async () => {
    await startOutage();
    // A high rate: 1,000 batches in one second, probes failing all along.
    for (let i = 0; i < 1000; i++) {
      await guard.submit(batch(5));
      if (i % 100 === 0) await tick(100);
    }
    await tick(5000);
    expect(lines).toEqual([
      {
        level: 'warn',
        message: `@tracewire/node: cannot export spans to ${TARGET} (connect ECONNREFUSED 127.0.0.1:4318); dropping them until it answers`,
      },
    ]);
  });

  test('concurrent sends that fail together still make one warning', async () => {
    backend.hang = true;
    const sends = [guard.submit(batch(1)), guard.submit(batch(2)), guard.submit(batch(3))];
    backend.up = false;
    backend.release();
    await Promise.all(sends);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
  });

  test('during an outage every export is answered at once, and nothing is sent until the next probe', async () => {
    await startOutage();
    backend.hang = true; // a send would now never end
    const sentBefore = backend.sent.length;
    for (let i = 0; i < 50; i++) await guard.submit(batch(1));
    expect(backend.sent.length).toBe(sentBefore);
  });

  test('the newest batch is the probe; the ones it replaced count as dropped', async () => {
    await startOutage(10);
    await guard.submit(batch(1));
    await guard.submit(batch(2));
    const newest = batch(3);
    await guard.submit(newest);
    backend.up = true;
    await tick(PROBE_PERIOD_MS);
    expect(backend.sent.at(-1)).toMatchObject({ id: newest.id, kind: 'probe' });
    expect(backend.delivered).toEqual([newest.id]);
    // 10 of the failed batch + 1 + 2 replaced.
    expect(lines.at(-1)!.message).toMatch(/; 13 spans dropped$/);
  });

  test('dropped spans are counted exactly and reported in one recovery line with the duration', async () => {
    await startOutage(512);
    let handedOver = 512;
    // 12 s of outage at 400 spans/s in batches of 100, the probes failing.
    for (let i = 0; i < 47; i++) {
      await guard.submit(batch(100));
      handedOver += 100;
      await tick(250);
    }
    await tick(100);
    const last = batch(7);
    await guard.submit(last);
    handedOver += 7;
    backend.up = true;
    await tick(PROBE_PERIOD_MS);
    expect(backend.delivered).toEqual([last.id]);
    const recovery = lines.filter((l) => l.message.includes('back after'));
    expect(recovery).toEqual([
      {
        level: 'info',
        message: `@tracewire/node: backend ${TARGET} back after 12.0 s; ${(handedOver - 7).toLocaleString('en-US')} spans dropped`,
      },
    ]);
    expect(handedOver - 7).toBe(5212);
    expect(recovery[0]!.message).toContain('5,212 spans dropped');
    // Healthy again: the next batch is sent and answered as usual, no other line.
    await guard.submit(batch(1));
    expect(backend.sent.at(-1)!.kind).toBe('batch');
    expect(lines).toHaveLength(2);
  });

  test('a failed probe stays the next probe when nothing newer came, so no span is dropped twice or lost', async () => {
    await startOutage(4);
    const only = batch(6);
    await guard.submit(only);
    await tick(PROBE_PERIOD_MS * 3); // three failed probes of the same batch
    expect(backend.sent.filter((s) => s.kind === 'probe').map((s) => s.id)).toEqual([only.id, only.id, only.id]);
    backend.up = true;
    await tick(PROBE_PERIOD_MS);
    expect(backend.delivered).toEqual([only.id]);
    expect(lines.at(-1)!.message).toMatch(/; 4 spans dropped$/);
  });

  test('recovery comes at the first probe after the backend answers again, within one probe period', async () => {
    await startOutage();
    for (let i = 0; i < 20; i++) {
      await guard.submit(batch(10));
      await tick(100);
    }
    backend.up = true;
    const upAt = Date.now();
    await guard.submit(batch(10));
    await tick(PROBE_PERIOD_MS);
    expect(guard.down).toBe(false);
    const recoveredAt = backend.sent.find((s) => s.kind === 'probe' && s.at >= upAt)!.at;
    expect(recoveredAt - upAt).toBeLessThanOrEqual(PROBE_PERIOD_MS);
  });

  test('the probe schedule is bounded: one probe per period at most, however fast probes fail', async () => {
    await startOutage();
    for (let i = 0; i < 100; i++) {
      await guard.submit(batch(1));
      await tick(100); // 10 s in all
    }
    const probes = backend.sent.filter((s) => s.kind === 'probe');
    expect(probes.length).toBeGreaterThanOrEqual(10_000 / PROBE_PERIOD_MS - 1);
    expect(probes.length).toBeLessThanOrEqual(10_000 / PROBE_PERIOD_MS + 1);
    for (let i = 1; i < probes.length; i++) {
      expect(probes[i]!.at - probes[i - 1]!.at).toBeGreaterThanOrEqual(PROBE_PERIOD_MS);
    }
  });

  test('at most one probe is in flight, however long it takes', async () => {
    await startOutage();
    backend.hang = true;
    for (let i = 0; i < 40; i++) {
      await guard.submit(batch(1));
      await tick(100);
    }
    expect(backend.sent.filter((s) => s.kind === 'probe')).toHaveLength(1);
    expect(backend.maxInFlight).toBe(1);
    backend.release(); // still down: fails
    backend.hang = false;
    await tick(PROBE_PERIOD_MS);
    expect(backend.sent.filter((s) => s.kind === 'probe')).toHaveLength(2);
  });

  test('a batch kept while the successful probe was in flight goes right after it, freshest first', async () => {
    await startOutage(1);
    const probe = batch(2);
    await guard.submit(probe);
    backend.hang = true;
    backend.up = true;
    await tick(PROBE_PERIOD_MS);
    const during = batch(3);
    await guard.submit(during);
    backend.hang = false;
    backend.release();
    await guard.forceFlush();
    expect(backend.delivered).toEqual([probe.id, during.id]);
    expect(backend.sent.map((s) => s.kind)).toEqual(['batch', 'probe', 'batch']);
    expect(lines.at(-1)!.message).toMatch(/; 1 span dropped$/);
  });

  test('forceFlush waits for the send in flight, and during an outage not for the outage to end', async () => {
    backend.hang = true;
    void guard.submit(batch(1));
    let flushed = false;
    const flush = guard.forceFlush().then(() => {
      flushed = true;
    });
    await tick(500);
    expect(flushed).toBe(false);
    backend.up = false;
    backend.release();
    await flush;
    expect(guard.down).toBe(true);

    // Outage, a probe hanging: the flush waits for that probe only.
    await guard.submit(batch(1));
    await tick(PROBE_PERIOD_MS);
    flushed = false;
    const during = guard.forceFlush().then(() => {
      flushed = true;
    });
    await tick(10);
    expect(flushed).toBe(false);
    backend.release();
    await during;
    expect(guard.down).toBe(true);
    // No probe in flight: it resolves at once.
    await expect(guard.forceFlush()).resolves.toBeUndefined();
  });

  test('shutdown sends the kept batch once more, stops probing, and never rejects', async () => {
    await startOutage(5);
    await guard.submit(batch(1));
    const kept = batch(2);
    await guard.submit(kept);
    const sentBefore = backend.sent.length;
    await expect(guard.shutdown()).resolves.toBeUndefined();
    expect(backend.sent.slice(sentBefore)).toEqual([expect.objectContaining({ id: kept.id, kind: 'probe' })]);
    expect(lines.at(-1)).toEqual({
      level: 'info',
      message: `@tracewire/node: stopped while backend ${TARGET} was down (for 0.0 s); 8 spans dropped`,
    });
    await tick(10_000);
    expect(backend.sent.length).toBe(sentBefore + 1);
  });

  test('shutdown during an outage delivers the kept batch if the backend is back', async () => {
    await startOutage(5);
    const kept = batch(2);
    await guard.submit(kept);
    backend.up = true;
    await guard.shutdown();
    expect(backend.delivered).toEqual([kept.id]);
    expect(lines.at(-1)!.message).toMatch(/back after 0\.0 s; 5 spans dropped$/);
  });
});

test('no timer of the guard keeps the process alive during an outage', () => {
  const script = `
    const { OutageGuard } = require(${JSON.stringify(built)});
    const guard = new OutageGuard('t', { send: () => Promise.reject(new Error('down')), spans: () => 1 });
    guard.submit({}).then(() => guard.submit({})).then(() => {
      if (!guard.down) throw new Error('no outage');
      process.on('exit', () => console.log('exited'));
    });`;
  const started = Date.now();
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
  expect(out.trim()).toBe('exited');
  expect(Date.now() - started).toBeLessThan(5000);
});
