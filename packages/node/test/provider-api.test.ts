// Our provider's Span against the OTel SDK's: attributes, events, links,
// exceptions, status and name. The same calls on both, the same spans and
// warnings out (sameAsSdk in provider-kit.ts), plus the values the API's
// rules call for, so that a mistake both share fails too.
import {
  type Attributes,
  type HrTime,
  SamplingDecision,
  SpanKind,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';
import { defaultResource } from '@opentelemetry/resources';
import { InMemorySpanExporter, type Sampler } from '@opentelemetry/sdk-trace';
import { BUILDS } from '../../../test/support/builds';
import { nodeSuite } from './harness';
import { hrToMillis, type ProviderConfig, sameAsSdk } from './provider-kit';

/**
 * Our provider applies the attribute, event and link rules of the SDK line
 * installed, and the 3.x SDK changed them: span and link attributes may be
 * any OTLP value (maps, mixed and nested arrays, bytes, null); invalid ones
 * at start and on links are counted as dropped; events take simple values
 * only, and one without attributes has none rather than an empty object; a
 * link given attributes always carries droppedAttributesCount. Every test
 * compares with the SDK of this tree; where it spells a value out, each line
 * has its own.
 */
const SDK_LINE = Number(String(defaultResource().attributes['telemetry.sdk.version']).split('.')[0]);
const byLine = <T>(two: T, three: T): T => {
  if (SDK_LINE !== 2 && SDK_LINE !== 3) throw new Error(`no expectation for OTel SDK line ${SDK_LINE}`);
  return SDK_LINE === 2 ? two : three;
};

const LINKED = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
const OTHER = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0 };

describe.each(BUILDS)('TracewireTracerProvider: the span API (%s build)', (build) => {
  const suite = nodeSuite(build);
  const same = (scenario: (tracer: Tracer) => unknown, config?: ProviderConfig) =>
    sameAsSdk(suite.node, scenario, config);

  describe('attributes', () => {
    test('every valid type is kept as given', async () => {
      const given: Attributes = {
        s: 'text',
        empty: '',
        int: 42,
        float: -1.5,
        bool: false,
        strings: ['a', 'b'],
        numbers: [1, 2.5],
        bools: [true, false],
        holes: ['a', null, undefined, 'b'],
        none: [],
      };
      const { spans, log } = await same((tracer) => {
        tracer
          .startSpan('s', { attributes: { start: 1 } })
          .setAttributes(given)
          .setAttribute('one', 'x')
          .end();
      });
      expect(spans[0]?.attributes).toStrictEqual({ start: 1, ...given, one: 'x' });
      expect(log).toStrictEqual([]);
    });

    test('invalid keys and values are ignored with the SDK warnings; undefined silently (2.x: null too)', async () => {
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic.self = cyclic;
      const { spans, log } = await same((tracer) => {
        const start = { ok: 1, bad: {} as never, '': 2, date: new Date(0) as never };
        const span = tracer.startSpan('s', { attributes: start });
        span.setAttribute('', 'x');
        span.setAttribute('object', { a: 1, inner: { list: [1, 'a'] }, left: undefined } as never);
        span.setAttribute('mixed', [1, 'a'] as never);
        span.setAttribute('nested', [[1], null] as never);
        span.setAttribute('bytes', new Uint8Array([1, 2]) as never);
        span.setAttribute('cyclic', cyclic as never);
        span.setAttribute('map', new Map() as never);
        span.setAttributes({ fine: true, fn: (() => 1) as never, gone: undefined });
        span.setAttribute('null', null as never);
        span.setAttribute('undefined', undefined as never);
        span.end();
      });
      const invalid = (key: string) => `warn: Invalid attribute value set for key: ${key}`;
      const emptyKey = 'warn: Invalid attribute key: ';
      // 2.x: primitives and arrays of one primitive type only; null ignored; nothing counted as dropped.
      // 3.x: any OTLP value, null too; at start, an invalid key or value is dropped and counted.
      expect(spans[0]?.attributes).toStrictEqual(
        byLine(
          { ok: 1, fine: true },
          {
            ok: 1,
            bad: {},
            object: { a: 1, inner: { list: [1, 'a'] } },
            mixed: [1, 'a'],
            nested: [[1], null],
            bytes: new Uint8Array([1, 2]),
            fine: true,
            null: null,
          },
        ),
      );
      expect(spans[0]?.droppedAttributesCount).toBe(byLine(0, 2));
      expect(log).toStrictEqual(
        byLine(
          [
            invalid('bad'),
            emptyKey,
            invalid('date'),
            emptyKey,
            invalid('object'),
            invalid('mixed'),
            invalid('nested'),
            invalid('bytes'),
            invalid('cyclic'),
            invalid('map'),
            invalid('fn'),
          ],
          [emptyKey, invalid('date'), emptyKey, invalid('cyclic'), invalid('map'), invalid('fn')],
        ),
      );
    });

    test('count limit: new keys dropped and counted, an existing key still overwritten', async () => {
      const { spans } = await same(
        (tracer) => {
          const span = tracer.startSpan('s', { attributes: { a: 1, b: 2, c: 3 } });
          span.setAttribute('d', 4).setAttribute('a', 10).setAttributes({ b: 20, e: 5 });
          span.end();
        },
        { spanLimits: { attributeCountLimit: 2 } },
      );
      expect(spans[0]?.attributes).toStrictEqual({ a: 10, b: 20 });
      expect(spans[0]?.droppedAttributesCount).toBe(3);

      // 3.x warns when setAttribute drops the first one (not above: the start had dropped one already),
      // and checks the count limit before the value: past the limit, an invalid value is counted, not warned about.
      const later = await same(
        (tracer) =>
          tracer
            .startSpan('s')
            .setAttribute('a', 1)
            .setAttribute('b', 2)
            .setAttribute('c', (() => 1) as never)
            .end(),
        { spanLimits: { attributeCountLimit: 1 } },
      );
      expect(later.spans[0]?.attributes).toStrictEqual({ a: 1 });
      expect(later.spans[0]?.droppedAttributesCount).toBe(byLine(1, 2));
      expect(later.log).toStrictEqual(
        byLine(['warn: Invalid attribute value set for key: c'], ['warn: Dropping extra attributes.']),
      );
    });

    test('value length limit: strings cut, in arrays too (3.x: at any depth, and bytes), other values kept', async () => {
      const { spans, log } = await same(
        (tracer) => {
          const span = tracer.startSpan('s', { attributes: { start: 'abcdefgh' } });
          span.setAttributes({ s: 'abcdef', short: 'ab', list: ['abcdef', 'ab', null], n: 123456789, b: true });
          span.setAttributes({
            map: { s: 'abcdef', inner: { list: ['abcdef'] }, n: 1 } as never,
            nested: [['abcdef'], 'abcdef'] as never,
            bytes: new Uint8Array([1, 2, 3, 4, 5, 6]) as never,
          });
          span.addEvent('e', { s: 'abcdef', list: ['abcdef'] });
          span.addLink({ context: LINKED, attributes: { s: 'abcdef', map: { s: 'abcdef' } as never } });
          span.end();
        },
        { spanLimits: { attributeValueLengthLimit: 4 } },
      );
      expect(spans[0]?.attributes).toStrictEqual({
        start: 'abcd',
        s: 'abcd',
        short: 'ab',
        list: ['abcd', 'ab', null],
        n: 123456789,
        b: true,
        ...byLine(
          {},
          {
            map: { s: 'abcd', inner: { list: ['abcd'] }, n: 1 },
            nested: [['abcd'], 'abcd'],
            bytes: new Uint8Array([1, 2, 3, 4]),
          },
        ),
      });
      expect(spans[0]?.events[0]?.attributes).toStrictEqual({ s: 'abcd', list: ['abcd'] });
      expect(spans[0]?.links[0]?.attributes).toStrictEqual(byLine({ s: 'abcd' }, { s: 'abcd', map: { s: 'abcd' } }));
      const invalid = ['map', 'nested', 'bytes', 'map'].map(
        (key) => `warn: Invalid attribute value set for key: ${key}`,
      );
      expect(log).toStrictEqual(byLine(invalid, []));
    });

    test('a value length limit that is not positive is ignored, with the warning of the line', async () => {
      const { spans, log } = await same(
        (tracer) => {
          const span = tracer.startSpan('s', { attributes: { start: 'abcdef' } });
          span.setAttribute('s', 'abcdef');
          span.addEvent('e', { s: 'abcdef' });
          span.end();
        },
        { spanLimits: { attributeValueLengthLimit: 0 } },
      );
      expect(spans[0]?.attributes).toStrictEqual({ start: 'abcdef', s: 'abcdef' });
      expect(spans[0]?.events[0]?.attributes).toStrictEqual({ s: 'abcdef' });
      // 2.x warns for each value it would cut, 3.x for each set of attributes and each setAttribute.
      const warning = byLine(
        'warn: Attribute value limit must be positive, got 0',
        'warn: Invalid attributeValueLengthLimit: must be positive, got 0 (ignoring)',
      );
      expect(log).toStrictEqual([warning, warning, warning]);
    });

    // The 2.x provider hands the sampler what the span was given (the 2.x SDK sanitizes it first).
    (SDK_LINE === 3 ? test : test.skip)(
      '3.x: the sampler sees the attributes and links cleaned, as the SDK gives them',
      async () => {
        let seen: unknown[] = [];
        const sampler: Sampler = {
          shouldSample: (_ctx, _traceId, _name, _kind, attributes, links) => {
            seen.push({ attributes: { ...attributes }, links: links.map((link) => ({ ...link })) });
            const added = { 'sampler.map': { a: 1 }, 'sampler.fn': () => 1 };
            return { decision: SamplingDecision.RECORD_AND_SAMPLED, attributes: added as never };
          },
        };
        const { spans, log, result } = await same(
          (tracer) => {
            seen = [];
            const attributes = { ok: 1, fn: (() => 1) as never, '': 2 };
            const links = [
              { context: LINKED, attributes: { m: { x: 1 } as never, fn: (() => 1) as never } },
              { context: OTHER },
            ];
            tracer.startSpan('s', { attributes, links }).end();
            return seen;
          },
          { sampler },
        );
        expect(result).toStrictEqual([
          {
            attributes: { ok: 1 },
            links: [{ context: LINKED, attributes: { m: { x: 1 } }, droppedAttributesCount: 1 }, { context: OTHER }],
          },
        ]);
        expect(spans[0]?.attributes).toStrictEqual({ ok: 1, 'sampler.map': { a: 1 } });
        expect(spans[0]?.droppedAttributesCount).toBe(3);
        const invalid = (key: string) => `warn: Invalid attribute value set for key: ${key}`;
        expect(log).toStrictEqual([
          invalid('fn'),
          invalid('fn'),
          'warn: Invalid attribute key: ',
          invalid('sampler.fn'),
        ]);
      },
    );

    test('an array value is copied: changing it later does not change the span', async () => {
      const { spans } = await same((tracer) => {
        const list = ['a', 'b'];
        const events = [1, 2];
        const map = { list: ['x'], inner: { n: 1 } };
        const span = tracer.startSpan('s', { attributes: { start: list, startMap: map as never } });
        span.setAttribute('set', list);
        span.setAttribute('map', map as never);
        span.addEvent('e', { events });
        list.push('c');
        events.push(3);
        map.list.push('y');
        map.inner.n = 2;
        span.end();
      });
      const map = { list: ['x'], inner: { n: 1 } };
      expect(spans[0]?.attributes).toStrictEqual({
        start: ['a', 'b'],
        set: ['a', 'b'],
        ...byLine({}, { startMap: map, map }),
      });
      expect(spans[0]?.events[0]?.attributes).toStrictEqual({ events: [1, 2] });
    });
  });

  describe('events and links', () => {
    test('events with attributes and times, in every argument order', async () => {
      const hr: HrTime = [1_700_000_000, 123_456_789];
      const date = new Date(1_700_000_001_000);
      const { spans, raw } = await same((tracer) => {
        const span = tracer.startSpan('s');
        span.addEvent('plain');
        span.addEvent('attributes', { k: 'v', n: 1 });
        span.addEvent('date', date);
        span.addEvent('hr', hr);
        span.addEvent('both', { k: 'v' }, 1_700_000_002_000);
        // A time in the second place, and another in the third: the third wins.
        span.addEvent('two times', date, hr);
        span.end();
      });
      expect(spans[0]?.events.map((event) => event.name)).toStrictEqual([
        'plain',
        'attributes',
        'date',
        'hr',
        'both',
        'two times',
      ]);
      const times = raw[0]?.events.map((event) => event.time);
      expect(times?.slice(2)).toStrictEqual([[1_700_000_001, 0], hr, [1_700_000_002, 0], hr]);
      // 2.x gives an event without attributes an empty object and a count of 0; 3.x neither field.
      const bare = byLine({ attributes: {}, droppedAttributesCount: 0 }, {});
      expect(raw[0]?.events.map(({ time: _, ...event }) => event)).toStrictEqual([
        { name: 'plain', ...bare },
        { name: 'attributes', attributes: { k: 'v', n: 1 }, droppedAttributesCount: 0 },
        { name: 'date', ...bare },
        { name: 'hr', ...bare },
        { name: 'both', attributes: { k: 'v' }, droppedAttributesCount: 0 },
        { name: 'two times', ...bare },
      ]);
      expect(Math.abs(hrToMillis(times?.[0] as HrTime) - Date.now())).toBeLessThan(1000);
    });

    test('event count limit: the oldest dropped and counted, a warning at end', async () => {
      const { spans, log } = await same(
        (tracer) => {
          const span = tracer.startSpan('s');
          for (const name of ['1', '2', '3', '4']) span.addEvent(name);
          span.end();
        },
        { spanLimits: { eventCountLimit: 2 } },
      );
      expect(spans[0]?.events.map((event) => event.name)).toStrictEqual(['3', '4']);
      expect(spans[0]?.events[0]?.attributes).toStrictEqual(byLine({}, undefined));
      expect(spans[0]?.droppedEventsCount).toBe(2);
      expect(log).toStrictEqual(['warn: Dropped 2 events because eventCountLimit reached']);
    });

    test('no events allowed, and the per-event attribute limit', async () => {
      const none = await same((tracer) => tracer.startSpan('s').addEvent('e').end(), {
        spanLimits: { eventCountLimit: 0 },
      });
      expect(none.spans[0]?.droppedEventsCount).toBe(1);
      expect(none.log[0]).toBe('warn: No events allowed.');

      const { spans } = await same((tracer) => tracer.startSpan('s').addEvent('e', { a: 1, b: 2, c: 3 }).end(), {
        spanLimits: { attributePerEventCountLimit: 1 },
      });
      expect(spans[0]?.events).toStrictEqual([{ name: 'e', attributes: { a: 1 }, droppedAttributesCount: 2 }]);
    });

    test('invalid event and link attributes are dropped with the SDK warnings (3.x: and counted)', async () => {
      const { spans, log } = await same((tracer) => {
        const start = { bad: {} as never, fn: (() => 1) as never };
        const span = tracer.startSpan('s', { links: [{ context: LINKED, attributes: start }] });
        // Events take simple values on both lines: no map.
        span.addEvent('e', { ok: 1, '': 2, bad: {} as never });
        span.addLink({ context: OTHER, attributes: { ok: 'x', worse: [1, 'a'] as never, '': 1 } });
        span.end();
      });
      const invalid = (key: string) => `warn: Invalid attribute value set for key: ${key}`;
      const emptyKey = 'warn: Invalid attribute key: ';
      expect(spans[0]?.events[0]).toStrictEqual({
        name: 'e',
        attributes: { ok: 1 },
        droppedAttributesCount: byLine(0, 2),
      });
      expect(spans[0]?.links).toStrictEqual(
        byLine(
          [{ context: LINKED }, { context: OTHER, attributes: { ok: 'x' } }],
          [
            { context: LINKED, attributes: { bad: {} }, droppedAttributesCount: 1 },
            { context: OTHER, attributes: { ok: 'x', worse: [1, 'a'] }, droppedAttributesCount: 1 },
          ],
        ),
      );
      expect(log).toStrictEqual(
        byLine(
          [invalid('bad'), invalid('fn'), emptyKey, invalid('bad'), invalid('worse'), emptyKey],
          [invalid('fn'), emptyKey, invalid('bad'), emptyKey],
        ),
      );
    });

    test('links at start and added later, with the link limits', async () => {
      const { spans, log } = await same(
        (tracer) => {
          const span = tracer.startSpan('s', { links: [{ context: LINKED, attributes: { a: 1, b: 2 } }] });
          span.addLink({ context: OTHER });
          span.addLinks([{ context: LINKED, attributes: { c: 3 } }, { context: OTHER }]);
          span.end();
        },
        { spanLimits: { linkCountLimit: 2, attributePerLinkCountLimit: 1 } },
      );
      // 3.x: a link given attributes carries its dropped count, 0 too.
      const c = byLine(
        { context: LINKED, attributes: { c: 3 } },
        { context: LINKED, attributes: { c: 3 }, droppedAttributesCount: 0 },
      );
      expect(spans[0]?.links).toStrictEqual([c, { context: OTHER }]);
      expect(spans[0]?.droppedLinksCount).toBe(2);
      expect(log).toStrictEqual(['warn: Dropped 2 links because linkCountLimit reached']);

      // More links at start than the limit: the newest kept; empty attributes kept as such on 3.x only.
      const third = { ...LINKED, spanId: '00f067aa0ba902b8' };
      const many = await same(
        (tracer) => {
          const links = [{ context: LINKED }, { context: OTHER, attributes: {} }, { context: third, attributes: {} }];
          tracer.startSpan('s', { links }).end();
        },
        { spanLimits: { linkCountLimit: 2 } },
      );
      const empty = byLine({}, { attributes: {}, droppedAttributesCount: 0 });
      expect(many.spans[0]?.links).toStrictEqual([
        { context: OTHER, ...empty },
        { context: third, ...empty },
      ]);
      expect(many.spans[0]?.droppedLinksCount).toBe(1);
      expect(many.log).toStrictEqual(['warn: Dropped 1 links because linkCountLimit reached']);

      const limited = await same(
        (tracer) => tracer.startSpan('s', { links: [{ context: LINKED, attributes: { a: 1, b: 2 } }] }).end(),
        {
          spanLimits: { attributePerLinkCountLimit: 1 },
        },
      );
      expect(limited.spans[0]?.links).toStrictEqual([
        { context: LINKED, attributes: { a: 1 }, droppedAttributesCount: 1 },
      ]);
      const none = await same((tracer) => tracer.startSpan('s').addLink({ context: LINKED }).end(), {
        spanLimits: { linkCountLimit: 0 },
      });
      expect(none.spans[0]?.links).toStrictEqual([]);
      expect(none.spans[0]?.droppedLinksCount).toBe(1);
    });
  });

  test('recordException: an Error, a string, an object with a code; an empty object is refused', async () => {
    const error = new TypeError('bad input');
    const { spans, log } = await same((tracer) => {
      const span = tracer.startSpan('s');
      span.recordException(error);
      span.recordException('just a message', [1_700_000_000, 0]);
      span.recordException({ code: 'ECONNRESET', message: 'socket hang up' });
      span.recordException({ code: 42, name: 'Ignored' });
      span.recordException({} as never);
      span.end();
    });
    expect(spans[0]?.events.map((event) => event.attributes)).toStrictEqual([
      { 'exception.type': 'TypeError', 'exception.message': 'bad input', 'exception.stacktrace': error.stack },
      { 'exception.message': 'just a message' },
      { 'exception.type': 'ECONNRESET', 'exception.message': 'socket hang up' },
      { 'exception.type': '42' },
    ]);
    expect(log).toStrictEqual(['warn: Failed to record an exception [object Object]']);
  });

  test('setStatus: UNSET ignored, a message only for ERROR and only a string, OK is final', async () => {
    const { spans, log } = await same((tracer) => {
      const ok = tracer.startSpan('ok');
      ok.setStatus({ code: SpanStatusCode.ERROR, message: 'first' });
      ok.setStatus({ code: SpanStatusCode.UNSET });
      ok.setStatus({ code: SpanStatusCode.OK, message: 'not kept' });
      ok.setStatus({ code: SpanStatusCode.ERROR, message: 'too late' });
      ok.end();
      const error = tracer.startSpan('error');
      error.setStatus({ code: SpanStatusCode.ERROR, message: 42 as never });
      error.end();
    });
    expect(spans.map((span) => span.status)).toStrictEqual([
      { code: SpanStatusCode.OK },
      { code: SpanStatusCode.ERROR },
    ]);
    expect(log).toStrictEqual(["warn: Dropping invalid status.message of type 'number', expected 'string'"]);
  });

  test('updateName, kind and isRecording', async () => {
    const { spans, result } = await same((tracer) => {
      const span = tracer.startSpan('before', { kind: SpanKind.SERVER });
      span.updateName('after');
      const recording = span.isRecording();
      span.end();
      return [recording, span.isRecording()];
    });
    expect(result).toStrictEqual([true, false]);
    expect(spans[0]).toMatchObject({ name: 'after', kind: SpanKind.SERVER, ended: true });
  });

  describe('limits from OTEL_* variables, through setupTracing', () => {
    test('the span and general limit variables apply, the span-specific one first', async () => {
      Object.assign(process.env, {
        OTEL_ATTRIBUTE_COUNT_LIMIT: '2',
        OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '10',
        OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '3',
        OTEL_SPAN_EVENT_COUNT_LIMIT: '1',
        OTEL_SPAN_LINK_COUNT_LIMIT: '1',
        OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT: '1',
        OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT: '1',
      });
      const exporter = new InMemorySpanExporter();
      const tracing = suite.setup({ exporter, provider: 'tracewire' });
      expect(tracing.tracerProvider).toBeInstanceOf(suite.node.TracewireTracerProvider);
      const span = tracing.tracerProvider.getTracer('env').startSpan('s', { attributes: { a: 'abcdef', b: 1, c: 2 } });
      span.addEvent('1', { x: 1, y: 2 }).addEvent('2', { x: 'abcdef', y: 2 });
      span.addLinks([{ context: LINKED }, { context: OTHER, attributes: { x: 1, y: 2 } }]);
      span.end();
      await tracing.forceFlush();
      const [got] = exporter.getFinishedSpans();
      expect(got?.attributes).toStrictEqual({ a: 'abc', b: 1 });
      expect(got?.droppedAttributesCount).toBe(1);
      expect(got?.events).toMatchObject([{ name: '2', attributes: { x: 'abc' }, droppedAttributesCount: 1 }]);
      expect(got?.droppedEventsCount).toBe(1);
      expect(got?.links).toStrictEqual([{ context: OTHER, attributes: { x: 1 }, droppedAttributesCount: 1 }]);
      expect(got?.droppedLinksCount).toBe(1);
    });

    test('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT wins over OTEL_ATTRIBUTE_COUNT_LIMIT', async () => {
      Object.assign(process.env, { OTEL_ATTRIBUTE_COUNT_LIMIT: '1', OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '3' });
      const exporter = new InMemorySpanExporter();
      const tracing = suite.setup({ exporter, provider: 'tracewire' });
      tracing.tracerProvider
        .getTracer('env')
        .startSpan('s', { attributes: { a: 1, b: 2, c: 3, d: 4 } })
        .end();
      await tracing.forceFlush();
      expect(exporter.getFinishedSpans()[0]?.attributes).toStrictEqual({ a: 1, b: 2, c: 3 });
    });
  });
});
