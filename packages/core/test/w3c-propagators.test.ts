// The default propagator on its own (as `options.propagator` or in an app):
// W3C Trace Context and Baggage as the current specs say, without Tracer.
import {
  baggageEntryMetadataFromString,
  type Context,
  createTraceState,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  trace,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { BUILDS, load } from '../../../test/support/builds';

type Core = typeof import('@tracewire/core');
type Headers = Record<string, string | string[] | number>;

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;
const getter = { get: (c: Headers, k: string) => c[k] as never, keys: (c: Headers) => Object.keys(c) };
const setter = { set: (c: Record<string, string>, k: string, v: string) => (c[k] = v) };

describe.each(BUILDS)('default W3C propagator (%s build)', (build) => {
  let core: Core;
  beforeAll(async () => {
    core = await load<Core>('@tracewire/core', build);
  });

  const extract = (headers: Headers, parent: Context = ROOT_CONTEXT) =>
    core.defaultPropagator().extract(parent, headers, getter);
  const parentOf = (headers: Headers) => trace.getSpanContext(extract(headers));
  function inject(ctx: Context): Record<string, string> {
    const carrier: Record<string, string> = {};
    core.defaultPropagator().inject(ctx, carrier, setter);
    return carrier;
  }
  const withSpan = (span: Partial<SpanContext>) =>
    trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1, ...span });

  describe('traceparent', () => {
    test.each([
      ['version 00', TRACEPARENT, 1],
      ['not sampled', `00-${TRACE_ID}-${SPAN_ID}-00`, 0],
      ['every flag set (kept as received)', `00-${TRACE_ID}-${SPAN_ID}-ff`, 0xff],
      ['a later version, 55 characters', `cc-${TRACE_ID}-${SPAN_ID}-01`, 1],
      ['a later version with more fields', `cc-${TRACE_ID}-${SPAN_ID}-01-anything-at all`, 1],
      ['a later version, a "-" after the flags and nothing more', `01-${TRACE_ID}-${SPAN_ID}-01-`, 1],
      ['SP and HTAB around it', ` \t${TRACEPARENT} \t`, 1],
      ['one header as an array', [TRACEPARENT], 1],
    ])('valid: %s', (_case, traceparent, traceFlags) => {
      expect(parentOf({ traceparent })).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags, isRemote: true });
    });

    test.each([
      ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
      ['version not hex', `0g-${TRACE_ID}-${SPAN_ID}-01`],
      ['upper-case version', `0A-${TRACE_ID}-${SPAN_ID}-01`],
      ['upper-case trace id', `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
      ['upper-case span id', `00-${TRACE_ID}-${SPAN_ID.toUpperCase()}-01`],
      ['upper-case flags', `00-${TRACE_ID}-${SPAN_ID}-0A`],
      ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
      ['all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
      ['version 00 with more fields', `${TRACEPARENT}-01`],
      ['version 00, 54 characters', TRACEPARENT.slice(0, 54)],
      ['a later version, shorter than 55', `cc-${TRACE_ID}-${SPAN_ID}-1`],
      ['a later version, no "-" after the flags', `cc-${TRACE_ID}-${SPAN_ID}-01x`],
      ['another separator', `00_${TRACE_ID}_${SPAN_ID}_01`],
      ['a short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}0-01`],
      ['no-break space after', `${TRACEPARENT}\u00a0`],
      ['byte order mark before', `\ufeff${TRACEPARENT}`],
      ['empty', ''],
      ['not a string', 42],
      ['two headers (no list: RFC 9110 cannot combine them)', [TRACEPARENT, TRACEPARENT]],
      ['an empty array', []],
    ])('invalid: %s', (_case, traceparent) => {
      expect(parentOf({ traceparent: traceparent as string, tracestate: 'a=1' })).toBeUndefined();
    });

    test('inject: version 00, only the flags W3C defines (sampled, random), never other bits', () => {
      expect(inject(withSpan({})).traceparent).toBe(TRACEPARENT);
      expect(inject(withSpan({ traceFlags: 0 })).traceparent).toBe(`00-${TRACE_ID}-${SPAN_ID}-00`);
      expect(inject(withSpan({ traceFlags: 3 })).traceparent).toBe(`00-${TRACE_ID}-${SPAN_ID}-03`);
      expect(inject(withSpan({ traceFlags: 0xff })).traceparent).toBe(`00-${TRACE_ID}-${SPAN_ID}-03`);
      expect(inject(withSpan({ traceFlags: 0x10 })).traceparent).toBe(`00-${TRACE_ID}-${SPAN_ID}-00`);
    });

    test('inject: nothing for an invalid span context, or when tracing is suppressed', () => {
      expect(inject(withSpan({ traceId: '0'.repeat(32) }))).toEqual({});
      expect(inject(withSpan({ spanId: 'x'.repeat(16) }))).toEqual({});
      expect(inject(ROOT_CONTEXT)).toEqual({});
      const baggage = propagation.createBaggage({ k: { value: 'v' } });
      const ctx = propagation.setBaggage(withSpan({ traceState: createTraceState('a=1') }), baggage);
      expect(inject(ctx)).toEqual({ traceparent: TRACEPARENT, tracestate: 'a=1', baggage: 'k=v' });
      // OTel's suppressTracing() sets the same context key.
      expect(inject(suppressTracing(ctx))).toEqual({});
    });

    test('extract leaves the context alone without a valid traceparent, tracestate or not', () => {
      expect(extract({ tracestate: 'a=1' })).toBe(ROOT_CONTEXT);
      expect(extract({ traceparent: 'garbage', tracestate: 'a=1' })).toBe(ROOT_CONTEXT);
    });
  });

  describe('the TraceState it extracts', () => {
    const stateOf = (tracestate: string) => {
      const state = parentOf({ traceparent: TRACEPARENT, tracestate })?.traceState;
      if (state === undefined) throw new Error(`no trace state for ${tracestate}`);
      return state;
    };

    test('get, set (to the front), unset; each change is a new state', () => {
      const state = stateOf('rojo=1,congo=2');
      expect(state.get('congo')).toBe('2');
      expect(state.get('nope')).toBeUndefined();
      // Keys the old grammar (and the API's createTraceState parser) refused.
      const set = state.set('foo@bar@baz', 'x').set('1a', 'y');
      expect(set.serialize()).toBe('1a=y,foo@bar@baz=x,rojo=1,congo=2');
      expect(set.set('congo', '3').serialize()).toBe('congo=3,1a=y,foo@bar@baz=x,rojo=1');
      expect(set.unset('rojo').serialize()).toBe('1a=y,foo@bar@baz=x,congo=2');
      expect(state.serialize()).toBe('rojo=1,congo=2');
      expect(state.unset('nope')).toBe(state);
    });

    test('set with a key or value the grammar refuses changes nothing', () => {
      const state = stateOf('rojo=1');
      for (const [key, value] of [
        ['Upper', '1'],
        ['@x', '1'],
        ['k'.repeat(257), '1'],
        ['k', 'a,b'],
        ['k', 'a='],
        ['k', 'trailing '],
        ['k', ''],
      ]) {
        expect(state.set(key as string, value as string)).toBe(state);
      }
    });

    test('set keeps 32 members and 512 characters, removing from the right, never the member set', () => {
      const full = stateOf(Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(','));
      const more = full.set('new', 'v').serialize().split(',');
      expect(more).toHaveLength(32);
      expect(more[0]).toBe('new=v');
      expect(more).not.toContain('k31=v');
      const wide = stateOf(Array.from({ length: 10 }, (_, i) => `k${i}=${'v'.repeat(40)}`).join(','));
      const wider = wide.set('big', 'x'.repeat(200)).serialize();
      expect(wider.length).toBeLessThanOrEqual(512);
      expect(wider.startsWith(`big=${'x'.repeat(200)},k0=`)).toBe(true);
      expect(stateOf('a=1').set('k'.repeat(256), 'v'.repeat(256)).serialize()).toBe(
        `${'k'.repeat(256)}=${'v'.repeat(256)}`,
      );
    });
  });

  describe('baggage', () => {
    const entriesOf = (baggage: string | string[]) =>
      propagation
        .getBaggage(extract({ baggage }))
        ?.getAllEntries()
        .map(([key, entry]) => [key, entry.value, entry.metadata?.toString()]);

    test.each([
      [
        'percent-decoded values',
        'k=Am%C3%A9lie,j=DF%2028',
        [
          ['k', 'Amélie'],
          ['j', 'DF 28'],
        ],
      ],
      [
        'octets that are not UTF-8 become U+FFFD',
        'k=%FF,j=a%C3b',
        [
          ['k', '\ufffd'],
          ['j', 'a\ufffdb'],
        ],
      ],
      [
        'a "%" without two hex digits is kept',
        'k=100%,j=%zz',
        [
          ['k', '100%'],
          ['j', '%zz'],
        ],
      ],
      ['keys are tokens, not decoded', 'a%20b=1', [['a%20b', '1']]],
      ['an empty value', 'k=', [['k', '']]],
      ['"=" in a value', 'k=a=b', [['k', 'a=b']]],
      [
        'white space around keys and values',
        ' k = v ,\tj\t=\tw',
        [
          ['k', 'v'],
          ['j', 'w'],
        ],
      ],
      ['properties as metadata, as sent', 'k=v;p1; p2 = x', [['k', 'v', 'p1; p2 = x']]],
      [
        'a key twice: the later value wins',
        'k=1,j=2,k=3;p',
        [
          ['k', '3', 'p'],
          ['j', '2'],
        ],
      ],
      [
        '__proto__ and constructor are keys like others',
        '__proto__=1,constructor=2',
        [
          ['__proto__', '1'],
          ['constructor', '2'],
        ],
      ],
      [
        'several headers',
        ['k=1', 'j=2'],
        [
          ['k', '1'],
          ['j', '2'],
        ],
      ],
    ])('extract: %s', (_case, header, expected) => {
      expect(entriesOf(header)).toEqual(expected.map(([k, v, m]) => [k, v, m]));
      expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    });

    test('extract: a header that breaks the grammar or the limits gives no baggage', () => {
      for (const baggage of [
        'k=v,a b=1',
        'k="v"',
        '',
        'k=v,,j=w',
        Array.from({ length: 181 }, (_, i) => `k${i}=v`).join(','),
      ]) {
        expect(entriesOf(baggage)).toBeUndefined();
      }
    });

    function injected(entries: Record<string, { value: string; metadata?: string }>): string | undefined {
      const baggage = propagation.createBaggage(
        Object.fromEntries(
          Object.entries(entries).map(([key, { value, metadata }]) => [
            key,
            metadata === undefined ? { value } : { value, metadata: baggageEntryMetadataFromString(metadata) },
          ]),
        ),
      );
      return inject(propagation.setBaggage(ROOT_CONTEXT, baggage)).baggage;
    }

    test('inject: values percent-encoded; keys sent as they are when tokens, encoded when not', () => {
      expect(injected({ user: { value: 'Amélie' }, node: { value: 'DF 28,a;b%' } })).toBe(
        'user=Am%C3%A9lie,node=DF%2028%2Ca%3Bb%25',
      );
      expect(injected({ 'a#b': { value: '1' }, 'a b': { value: '2' }, '(x)': { value: '3' } })).toBe(
        'a#b=1,a%20b=2,%28x%29=3',
      );
      expect(injected({ k: { value: 'a\ud800b' } })).toBe('k=a%EF%BF%BDb');
    });

    test('inject: metadata sent as it is; a member the grammar refuses is left out, the rest sent', () => {
      expect(injected({ k: { value: 'v', metadata: 'p1;p2=x' } })).toBe('k=v;p1;p2=x');
      expect(injected({ bad: { value: 'v', metadata: 'a,b' }, k: { value: 'v' }, '': { value: 'x' } })).toBe('k=v');
      expect(injected({ bad: { value: 'v', metadata: 'caf\u00e9' } })).toBeUndefined();
      expect(injected({})).toBeUndefined();
    });

    test('inject: exactly 8192 bytes are sent; a member that would pass them is left out, later ones still fit', () => {
      const x = (n: number) => ({ value: 'x'.repeat(n) });
      expect(injected({ a: x(4093), b: x(4094) })).toBe(`a=${'x'.repeat(4093)},b=${'x'.repeat(4094)}`);
      expect(injected({ a: x(4093), b: x(4095), c: x(1) })).toBe(`a=${'x'.repeat(4093)},c=x`);
    });

    test('extract then inject sends the same entries on', () => {
      const header = 'k=Am%C3%A9lie;p=1,__proto__=x,j=';
      expect(inject(extract({ baggage: header })).baggage).toBe(header);
    });
  });
});
