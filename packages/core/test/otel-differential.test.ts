// Differential: for headers both grammars call valid, the default propagator
// extracts and injects what OTel's W3CTraceContextPropagator and
// W3CBaggagePropagator (from @opentelemetry/core, here only as the
// reference) do. Where the current W3C specs differ from OTel, the cases are
// listed below with what each side gives.
import {
  baggageEntryMetadataFromString,
  type Context,
  createTraceState,
  propagation,
  ROOT_CONTEXT,
  type TextMapPropagator,
  trace,
} from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import fc from 'fast-check';
import { BUILDS, load } from '../../../test/support/builds';

type Core = typeof import('@tracewire/core');
type Headers = Record<string, string | string[]>;

const otel = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
const getter = { get: (c: Headers, k: string) => c[k], keys: (c: Headers) => Object.keys(c) };
const setter = { set: (c: Record<string, string>, k: string, v: string) => (c[k] = v) };
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

// ---- inputs valid for both: the old tracestate key grammar, OTel's baggage limits ----

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const nonZero = (n: number) => hex(n).filter((id) => !/^0+$/.test(id));
const traceparent = fc
  .record({
    version: fc.oneof(
      fc.constant('00'),
      hex(2).filter((v) => v !== 'ff'),
    ),
    traceId: nonZero(32),
    spanId: nonZero(16),
    flags: fc.oneof(fc.constantFrom('00', '01', '02', '03'), hex(2)),
    more: fc.string({ maxLength: 10 }),
  })
  .map(({ version, traceId, spanId, flags, more }) => {
    const base = `${version}-${traceId}-${spanId}-${flags}`;
    return version === '00' ? base : `${base}-${more}`;
  });

const lc = 'abcdefghijklmnopqrstuvwxyz';
const keyChars = fc.string({ unit: fc.constantFrom(...`${lc}0123456789_-*/`), maxLength: 8 });
const oldKey = fc.oneof(
  fc.tuple(fc.constantFrom(...lc), keyChars).map(([a, b]) => a + b),
  fc
    .tuple(fc.constantFrom(...`${lc}0123456789`), keyChars, fc.constantFrom(...lc), keyChars)
    .map(([a, b, c, d]) => `${a}${b}@${c}${d}`),
);
const printable = Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x20 + i));
const stateValue = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...printable.filter((c) => c !== ',' && c !== '=')), maxLength: 12 }),
    fc.constantFrom(...printable.filter((c) => c !== ',' && c !== '=' && c !== ' ')),
  )
  .map(([a, b]) => a + b);
const ows = fc.constantFrom('', '', ' ', '\t');
const tracestate = fc
  .uniqueArray(fc.tuple(oldKey, stateValue, ows, ows), { minLength: 1, maxLength: 32, selector: ([k]) => k })
  .filter((members) => members.map(([k, v]) => `${k}=${v}`).join(',').length <= 512)
  .chain((members) => {
    const list = members.map(([k, v, before, after]) => `${before}${k}=${v}${after}`);
    const split: string[] = [list.slice(0, 1).join(','), list.slice(1).join(',')];
    return fc.constantFrom<string | string[]>(list.join(','), split);
  });

// Keys that OTel's percent-decoding and encoding leave as they are; values percent-encoded text.
const safeKey = fc
  .string({ unit: fc.constantFrom(...`${lc}ABCXYZ0123456789-_.!~*'`), minLength: 1, maxLength: 8 })
  .filter((k) => k !== '__proto__');
const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 });
const property = fc.oneof(
  safeKey,
  fc.tuple(safeKey, safeKey).map(([k, v]) => `${k}=${v}`),
);
const baggage = fc
  .array(fc.tuple(safeKey, text, fc.array(property, { maxLength: 2 }), ows, fc.constantFrom('=', ' = ')), {
    minLength: 1,
    maxLength: 20,
  })
  .map((members) =>
    members
      .map(([k, v, props, before, equals]) => [`${before}${k}${equals}${encodeURIComponent(v)}`, ...props].join(';'))
      .join(','),
  );

describe.each(BUILDS)('default propagator against OTel (%s build)', (build) => {
  let ours: TextMapPropagator;
  beforeAll(async () => {
    ours = (await load<Core>('@tracewire/core', build)).defaultPropagator();
  });

  /** What a propagator made of the headers, in plain values. */
  function seen(propagator: TextMapPropagator, headers: Headers) {
    const ctx = propagator.extract(ROOT_CONTEXT, headers, getter);
    const span = trace.getSpanContext(ctx);
    const { traceState, ...ids } = span ?? {};
    const entries = propagation.getBaggage(ctx)?.getAllEntries();
    return {
      span: span && { ...ids, traceState: traceState?.serialize() },
      baggage: entries?.map(([key, entry]) => [key, entry.value, entry.metadata?.toString()]),
      sent: sent(propagator, ctx),
    };
  }
  function sent(propagator: TextMapPropagator, ctx: Context): Record<string, string> {
    const carrier: Record<string, string> = {};
    propagator.inject(ctx, carrier, setter);
    return carrier;
  }

  test('property: valid traceparent, tracestate and baggage extract and inject the same', () => {
    fc.assert(
      fc.property(traceparent, fc.option(tracestate), fc.option(baggage), (tp, ts, bg) => {
        const headers: Headers = { traceparent: tp };
        if (ts !== null) headers.tracestate = ts;
        if (bg !== null) headers.baggage = bg;
        const mine = seen(ours, headers);
        const theirs = seen(otel, headers);
        expect(mine.span).toBeDefined();
        if (bg !== null) expect(mine.baggage).toBeDefined();
        // Flags beyond sampled and random: OTel sends them (as three digits from 0x10 on), W3C says zero.
        if (mine.span!.traceFlags! > 3) {
          expect({ ...mine, sent: undefined }).toEqual({ ...theirs, sent: undefined });
        } else {
          expect(mine).toEqual(theirs);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('property: a context of the app (span, TraceState, baggage with metadata) is injected the same', () => {
    // Up to 300 code points: at most 3600 characters encoded, under OTel's 4096 a member; 30 of them overflow 8192.
    const entry = fc.record({ value: fc.string({ unit: 'binary', maxLength: 300 }), metadata: fc.option(property) });
    fc.assert(
      fc.property(
        nonZero(32),
        nonZero(16),
        fc.integer({ min: 0, max: 3 }),
        // The API's parser ignores a header over 512 characters whole: the white space is left out.
        fc.option(
          tracestate.map((ts) =>
            createTraceState(
              ([] as string[])
                .concat(ts)
                .flatMap((part) => part.split(','))
                .map((member) => member.replace(/^[ \t]+|[ \t]+$/g, ''))
                .filter((member) => member !== '')
                .join(','),
            ),
          ),
        ),
        fc.dictionary(safeKey, entry, { maxKeys: 30 }),
        (traceId, spanId, traceFlags, traceState, entries) => {
          let ctx = trace.setSpanContext(ROOT_CONTEXT, {
            traceId,
            spanId,
            traceFlags,
            ...(traceState && { traceState }),
          });
          const bag = Object.entries(entries).map(([key, { value, metadata }]) => [
            key,
            metadata === null ? { value } : { value, metadata: baggageEntryMetadataFromString(metadata) },
          ]);
          ctx = propagation.setBaggage(ctx, propagation.createBaggage(Object.fromEntries(bag)));
          expect(sent(ours, ctx)).toEqual(sent(otel, ctx));
        },
      ),
      { numRuns: 300 },
    );
  });

  // Where the current W3C specs and OTel part ways: [case, headers, ours, OTel's] for the parts that differ.
  const long = (name: string) => `${name}=${'x'.repeat(200)}`;
  const short = Array.from({ length: 8 }, (_, i) => `s${i}=${'v'.repeat(30)}`);
  test.each<[string, Headers, unknown, unknown]>([
    [
      'tracestate keys of the current grammar: OTel skips them',
      { traceparent: TRACEPARENT, tracestate: 'foo@bar@baz=1,1a=2,t@=3,a=4' },
      'foo@bar@baz=1,1a=2,t@=3,a=4',
      'a=4',
    ],
    [
      'a tracestate key twice: we keep the first (newest); OTel the last value in the first place',
      { traceparent: TRACEPARENT, tracestate: 'a=1,b=2,a=3' },
      'a=1,b=2',
      'a=3,b=2',
    ],
    [
      'over 512 characters: we drop members over 128 characters first (W3C); OTel what does not fit, left to right',
      { traceparent: TRACEPARENT, tracestate: [long('a'), long('b'), ...short, long('c')].join(',') },
      [long('a'), ...short].join(','),
      [long('a'), long('b'), ...short.slice(0, 3)].join(','),
    ],
    [
      'a tracestate of empty members only: none for us; OTel keeps an empty one and sends it',
      { traceparent: TRACEPARENT, tracestate: ' , ' },
      undefined,
      '',
    ],
  ])('tracestate differs: %s', (_case, headers, mine, theirs) => {
    expect(seen(ours, headers).span?.traceState).toEqual(mine);
    expect(seen(otel, headers).span?.traceState).toEqual(theirs);
  });

  test('two traceparent headers: no parent for us (no list, RFC 9110); OTel takes the first', () => {
    const headers = { traceparent: [TRACEPARENT, TRACEPARENT.replace('b7ad', 'c7ad')] };
    expect(seen(ours, headers).span).toBeUndefined();
    expect(seen(otel, headers).span?.spanId).toBe('b7ad6b7169203331');
  });

  // Each member is followed by `j=1`, which both keep: [case, member, our entry, OTel's entry].
  test.each<[string, string, unknown[] | undefined, unknown[] | undefined]>([
    ['a "%" in a key: a token, not decoded (W3C); OTel decodes', 'a%20b=1', ['a%20b', '1'], ['a b', '1']],
    ['a "%" without two hex digits: kept (W3C); OTel drops the member', 'k=100%', ['k', '100%'], undefined],
    ['octets that are not UTF-8: U+FFFD (W3C); OTel drops the member', 'k=%FF', ['k', '\ufffd'], undefined],
    ['an empty value: valid (W3C); OTel drops the member', 'k=', ['k', ''], undefined],
    ['__proto__: a key like others; OTel loses it in a plain object', '__proto__=1', ['__proto__', '1'], undefined],
    [
      'a member over 4096 characters: within the 8192 (current W3C); OTel drops it',
      `k=${'v'.repeat(5000)}`,
      ['k', 'v'.repeat(5000)],
      undefined,
    ],
    [
      'white space after the last property: not part of it (W3C); OTel keeps it in the metadata',
      'k=v;p ',
      ['k', 'v', 'p'],
      ['k', 'v', 'p '],
    ],
  ])('baggage extract differs: %s', (_case, member, mine, theirs) => {
    const entries = (entry: unknown[] | undefined) => [
      ...(entry ? [[entry[0], entry[1], entry[2]]] : []),
      ['j', '1', undefined],
    ];
    expect(seen(ours, { baggage: `${member},j=1` }).baggage).toEqual(entries(mine));
    expect(seen(otel, { baggage: `${member},j=1` }).baggage).toEqual(entries(theirs));
  });

  test.each<[string, Record<string, string>, unknown, unknown]>([
    [
      'a token key with "#": sent as it is; OTel percent-encodes it into another key',
      { 'a#b': '1' },
      'a#b=1',
      'a%23b=1',
    ],
    ['a key with "(": percent-encoded to a token; OTel sends an invalid key', { '(x)': '1' }, '%28x%29=1', '(x)=1'],
    [
      'a lone surrogate in a value: sent as U+FFFD; OTel throws, its composite catches it: no baggage at all',
      { k: 'a\ud800', j: '1' },
      'k=a%EF%BF%BD,j=1',
      undefined,
    ],
  ])('baggage inject differs: %s', (_case, entries, mine, theirs) => {
    const bag = propagation.createBaggage(
      Object.fromEntries(Object.entries(entries).map(([k, value]) => [k, { value }])),
    );
    const ctx = propagation.setBaggage(ROOT_CONTEXT, bag);
    expect(sent(ours, ctx).baggage).toEqual(mine);
    expect(sent(otel, ctx).baggage).toEqual(theirs);
  });

  test('flags beyond sampled and random: sent as zero (W3C); OTel sends them, as three digits from 0x10 on', () => {
    for (const [traceFlags, mine, theirs] of [
      [0x04, '00', '04'],
      [0x11, '01', '011'],
      [0xff, '03', '0ff'],
    ] as const) {
      const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags });
      expect(sent(ours, ctx).traceparent).toBe(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-${mine}`);
      expect(sent(otel, ctx).traceparent).toBe(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-${theirs}`);
    }
  });
});
