// Our provider's times against the OTel SDK's: end(time) in every form,
// end before start, a second end() and calls after end; and the clock
// itself: monotonic, sub-millisecond, near Date.now().
import { type HrTime, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { BUILDS } from '../../../test/support/builds';
import { nodeSuite } from './harness';
import { hrToMillis, hrToNanos, type ProviderConfig, sameAsSdk } from './provider-kit';

const LINKED = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
const OTHER = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0 };

describe.each(BUILDS)('TracewireTracerProvider: end and time (%s build)', (build) => {
  const suite = nodeSuite(build);
  const same = (scenario: (tracer: Tracer) => unknown, config?: ProviderConfig) =>
    sameAsSdk(suite.node, scenario, config);

  describe('end', () => {
    test('end(time) with a performance-relative number, an epoch number, a Date and an HrTime', async () => {
      // Numbers up to performance.now() are relative to timeOrigin, larger ones epoch ms.
      const relative = performance.now() - 100;
      const epoch = Date.now();
      const hr: HrTime = [Math.floor(epoch / 1000) - 10, 123_456_789];
      const { raw } = await same((tracer) => {
        tracer.startSpan('relative', { startTime: relative }).end(relative + 5);
        tracer.startSpan('epoch', { startTime: epoch }).end(epoch + 7);
        tracer.startSpan('date', { startTime: new Date(epoch) }).end(new Date(epoch + 9));
        tracer.startSpan('hr', { startTime: hr }).end([hr[0] + 1, 999_999_999]);
      });
      const [rel, abs, date, high] = raw;
      expect(Math.abs(hrToMillis(rel?.startTime as HrTime) - (performance.timeOrigin + relative))).toBeLessThan(50);
      expect(hrToNanos(rel?.duration as HrTime)).toBe(5_000_000n);
      expect(abs?.startTime).toStrictEqual([Math.floor(epoch / 1000), (epoch % 1000) * 1e6]);
      expect(hrToNanos(abs?.duration as HrTime)).toBe(7_000_000n);
      expect(hrToNanos(date?.duration as HrTime)).toBe(9_000_000n);
      // An HrTime is kept to the microsecond (what Zipkin's integer timestamps need), rounding carrying into seconds.
      expect(high?.startTime).toStrictEqual([hr[0], 123_457_000]);
      expect(high?.endTime).toStrictEqual([hr[0] + 2, 0]);
      expect(high?.duration).toStrictEqual([1, 876_543_000]);
    });

    test('what is not a time (from untyped code) reads as now, as the SDK does', async () => {
      const { raw } = await same((tracer) => {
        const span = tracer.startSpan('s', { startTime: 'soon' as never });
        span.addEvent('e', {}, Number.NaN);
        span.end(new Date('not a date'));
      });
      const span = raw[0] as (typeof raw)[number];
      for (const time of [span.startTime, span.events[0]?.time as HrTime, span.endTime]) {
        expect(Math.abs(hrToMillis(time) - Date.now())).toBeLessThan(1000);
      }
      expect(hrToMillis(span.duration)).toBeGreaterThanOrEqual(0);
    });

    test('an end before the start gives a duration of 0, with the SDK warning', async () => {
      const epoch = Date.now();
      const { raw, log } = await same((tracer) => tracer.startSpan('s', { startTime: epoch }).end(epoch - 1000));
      expect(raw[0]?.duration).toStrictEqual([0, 0]);
      expect(raw[0]?.endTime).toStrictEqual(raw[0]?.startTime);
      expect(log).toStrictEqual([
        'warn: Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.',
      ]);
    });

    test('a second end() and every operation after end are ignored, with the SDK logs', async () => {
      const { spans, raw, log } = await same((tracer) => {
        const span = tracer.startSpan('s', { attributes: { a: 1 } });
        span.end();
        span.end();
        span.setAttribute('b', 2).setAttributes({ c: 3 }).addEvent('e').addLink({ context: LINKED });
        span
          .addLinks([{ context: OTHER }])
          .setStatus({ code: SpanStatusCode.ERROR })
          .updateName('renamed');
        span.recordException(new Error('late'));
      });
      expect(raw).toHaveLength(1);
      expect(spans[0]).toMatchObject({ name: 's', attributes: { a: 1 }, events: [], links: [] });
      expect(spans[0]?.status).toStrictEqual({ code: SpanStatusCode.UNSET });
      const ended = 'warn: Cannot execute the operation on ended Span {traceId: <id>, spanId: <id>}';
      expect(log).toStrictEqual([
        ended,
        'error: s <id>-<id> - You can only call end() on a span once.',
        ...Array(8).fill(ended),
      ]);
    });
  });

  describe('timestamps', () => {
    test('monotonic and sub-millisecond, near Date.now()', async () => {
      const provider = new suite.node.TracewireTracerProvider();
      const tracer = provider.getTracer('times');
      const spans = Array.from({ length: 20 }, () => tracer.startSpan('s') as unknown as { startTime: HrTime });
      const starts = spans.map((span) => hrToNanos(span.startTime));
      for (let i = 1; i < starts.length; i++) {
        // Never backwards; two spans within the same microsecond share a start.
        const step = (starts[i] as bigint) - (starts[i - 1] as bigint);
        expect(step).toBeGreaterThanOrEqual(0n);
        expect(step).toBeLessThan(1_000_000n);
        // Whole microseconds: Zipkin's timestamps are integers, and Jaeger refuses a batch with a fraction.
        expect((starts[i] as bigint) % 1000n).toBe(0n);
      }
      expect(Math.abs(Number(starts[0] as bigint) / 1e6 - Date.now())).toBeLessThan(50);

      const timed = tracer.startSpan('timed') as unknown as { end(): void; duration: HrTime };
      const until = performance.now() + 2;
      while (performance.now() < until) {}
      timed.end();
      const ms = hrToMillis(timed.duration);
      expect(ms).toBeGreaterThanOrEqual(1.5);
      expect(ms).toBeLessThan(50);
    });
  });
});
