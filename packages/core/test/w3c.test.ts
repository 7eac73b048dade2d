import { createContextKey, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import fc from 'fast-check';
import { BUILDS, load } from '../../../test/support/builds';
import { memoryTracing } from '../../../test/support/otel';

type Core = typeof import('@tracewire/core');

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const TRACEPARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`;

// Generators for the current W3C tracestate grammar, independent of the code under test:
// key = (lcalpha / DIGIT) 0*255(keychar), keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@".
const lc = 'abcdefghijklmnopqrstuvwxyz';
const keyChar = fc.constantFrom(...`${lc}0123456789_-*/@`.split(''));
const key = fc
  .tuple(fc.constantFrom(...`${lc}0123456789`.split('')), fc.string({ unit: keyChar, maxLength: 20 }))
  .map(([a, b]) => a + b);
const valueChars = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i)).filter(
  (c) => c !== ',' && c !== '=',
);
const value = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...valueChars), maxLength: 12 }),
    fc.constantFrom(...valueChars.filter((c) => c !== ' ')),
  )
  .map(([a, b]) => a + b);
const members = fc.uniqueArray(fc.tuple(key, value), {
  minLength: 1,
  maxLength: 32,
  selector: ([key]) => key,
});

describe.each(BUILDS)('W3C tracestate and baggage rules (%s build)', (build) => {
  let core: Core;
  const otel = memoryTracing();
  const scope = { name: '@tracewire/test', version: '0.0.0' };

  beforeAll(async () => {
    core = await load<Core>('@tracewire/core', build);
  });
  afterEach(() => otel.reset());

  /** The server tracer's extract, on a plain header record. */
  function extract(headers: Record<string, string | string[]>, parent = ROOT_CONTEXT) {
    const tracer = new core.Tracer('server', scope, { tracerProvider: otel.provider });
    return tracer.extract(parent, headers, core.recordGetter);
  }

  /** What the default propagator sends for a context. */
  function inject(ctx: typeof ROOT_CONTEXT): Record<string, string> {
    const carrier: Record<string, string> = {};
    core.defaultPropagator().inject(ctx, carrier, { set: (c, k, v) => (c[k] = v) });
    return carrier;
  }

  describe('isValidTraceState', () => {
    test.each([
      ['empty header (W3C: must be accepted)', ''],
      ['one member', 'congo=t61rcWkgMzE'],
      ['two members', 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'],
      ['optional white space around members', '  rojo=1 ,\tcongo=2  '],
      ['an empty member', 'rojo=1,,congo=2'],
      ['tenant@system key, a space inside the value', 'fw529a3039@dt=a b'],
      ['a 256-character simple key', `${'a'.repeat(256)}=1`],
      ['longest tenant and system ids of the old grammar', `${'a'.repeat(241)}@${'b'.repeat(14)}=1`],
      // What the current grammar added: '@' anywhere after the first character, a digit first.
      ['a key starting with a digit', '1rojo=1'],
      ['"@" twice', 'foo@bar@baz=1'],
      ['"@" twice in a row', 'foo@@bar=1'],
      ['a key ending in "@"', 'foo@=1'],
      ['a system id over 14 characters', `t@${'v'.repeat(15)}=1`],
      ['a tenant id over 241 characters', `${'t'.repeat(242)}@v=1`],
      ['a system id starting with a digit', 'tenant@1vendor=1'],
      ['a 256-character key with "@"', `${'t'.repeat(200)}@${'v'.repeat(55)}=1`],
      ['a duplicate key (W3C: vendors may drop one, the header stays)', 'rojo=1,rojo=2'],
      ['32 members', Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(',')],
      ['a 256-character value', `k=${'v'.repeat(256)}`],
      ['every allowed key and value character', 'a/b*c_d-e=!"#$%&\'()*+-./:;<>?@[\\]^_`{|}~'],
    ])('valid: %s', (_case, header) => {
      expect(core.isValidTraceState(header)).toBe(true);
    });

    test.each([
      ['upper case key', 'Rojo=1'],
      ['space in the key', 'ro jo=1'],
      ['space before "="', 'rojo =1'],
      ['no "="', 'rojo'],
      ['empty key', '=1'],
      ['a key starting with "_"', '_rojo=1'],
      ['a key starting with "*"', '*rojo=1'],
      ['a key starting with "/"', '/rojo=1'],
      ['a key starting with "-"', '-rojo=1'],
      ['empty value', 'rojo='],
      ['value ending in a non-breaking space', 'rojo=a\u00a0'],
      ['"=" in the value', 'rojo=a=b'],
      ['non-ASCII value', 'rojo=caf\u00e9'],
      ['control character', 'rojo=a\u0001'],
      ['a key starting with "@" (empty tenant id)', '@vendor=1'],
      ['upper case system id', 'tenant@Vendor=1'],
      ['a character outside keychar after "@"', 'tenant@ven.dor=1'],
      ['a simple key over 256 characters', `${'a'.repeat(257)}=1`],
      ['a key with "@" over 256 characters', `${'t'.repeat(242)}@${'v'.repeat(14)}=1`],
      ['a value over 256 characters', `k=${'v'.repeat(257)}`],
      ['33 members', Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')],
      [
        '32 members and a duplicate (33 as sent)',
        [...Array.from({ length: 32 }, (_, i) => `k${i}=v`), 'k0=w'].join(','),
      ],
    ])('invalid: %s', (_case, header) => {
      expect(core.isValidTraceState(header)).toBe(false);
    });

    test('the 32-member limit counts across repeated headers, duplicates included', () => {
      const sixteen = (from: number) => Array.from({ length: 16 }, (_, i) => `k${from + i}=v`).join(',');
      expect(core.isValidTraceState([sixteen(0), sixteen(16)])).toBe(true);
      expect(core.isValidTraceState([sixteen(0), sixteen(16), 'x=1'])).toBe(false);
      expect(core.isValidTraceState([sixteen(0), sixteen(16), 'k0=again'])).toBe(false);
      expect(core.isValidTraceState(['a=1', 'a=2'])).toBe(true);
      expect(core.TRACESTATE_MAX_MEMBERS).toBe(32);
    });
  });

  describe('isValidBaggage', () => {
    test.each([
      ['one member', 'userId=alice'],
      ['three members', 'userId=alice,serverNode=DF%2028,isProduction=false'],
      ['optional white space', 'userId =   alice , serverNode = DF%2028'],
      ['properties', 'key1=value1;property1;property2, key3=value3; propertyKey=propertyValue'],
      ['an empty value', 'k='],
      ['"=" in a value', 'k=a=b'],
      ['exactly 8192 bytes', `k=${'v'.repeat(8190)}`],
      ['180 members', Array.from({ length: 180 }, (_, i) => `k${i}=v`).join(',')],
    ])('valid: %s', (_case, header) => {
      expect(core.isValidBaggage(header)).toBe(true);
    });

    test.each([
      ['empty header', ''],
      ['no "="', 'k'],
      ['empty key', '=v'],
      ['space in the key', 'a b=1'],
      ['space in the value', 'k=a b'],
      ['quotes in the value', 'k="v"'],
      ['backslash in the value', 'k=a\\b'],
      ['non-ASCII value', 'k=caf\u00e9'],
      ['an empty member', 'k=v,,j=w'],
      ['an empty property', 'k=v;'],
      ['space in a property key', 'k=v;p q'],
      ['non-ASCII key', 'k\u00e9=v'],
      ['8193 bytes', `k=${'v'.repeat(8191)}`],
      ['181 members', Array.from({ length: 181 }, (_, i) => `k${i}=v`).join(',')],
    ])('invalid: %s', (_case, header) => {
      expect(core.isValidBaggage(header)).toBe(false);
    });

    test('the limits count across repeated headers (joined by commas)', () => {
      const ninety = (from: number) => Array.from({ length: 90 }, (_, i) => `k${from + i}=v`).join(',');
      expect(core.isValidBaggage([ninety(0), ninety(90)])).toBe(true);
      expect(core.isValidBaggage([ninety(0), ninety(90), 'x=1'])).toBe(false);
      expect(core.isValidBaggage([`a=${'v'.repeat(4094)}`, `b=${'v'.repeat(4093)}`])).toBe(true); // 8192 with the comma
      expect(core.isValidBaggage([`a=${'v'.repeat(4094)}`, `b=${'v'.repeat(4094)}`])).toBe(false);
      expect(core.BAGGAGE_MAX_MEMBERS).toBe(180);
      expect(core.BAGGAGE_MAX_BYTES).toBe(8192);
    });
  });

  describe('Tracer.extract', () => {
    test('an invalid tracestate is dropped whole; the traceparent is still honoured', () => {
      // OTel alone would keep congo and skip the upper-case key.
      const ctx = extract({ traceparent: TRACEPARENT, tracestate: 'congo=t61,Rojo=1' });
      const parent = trace.getSpanContext(ctx);
      expect(parent?.traceId).toBe(TRACE_ID);
      expect(parent?.isRemote).toBe(true);
      expect(parent?.traceState).toBeUndefined();
    });

    test('a valid tracestate is kept as sent and injected downstream unchanged', () => {
      const header = 'rojo=00f067aa0ba902b7,tenant@congo=t61rcWkgMzE,foo@bar@baz=1,1a=2';
      const ctx = extract({ traceparent: TRACEPARENT, tracestate: header });
      expect(trace.getSpanContext(ctx)?.traceState?.serialize()).toBe(header);
      expect(inject(ctx).tracestate).toBe(header);
    });

    test('a valid tracestate over 512 characters is cut to whole members within 512, from the right', () => {
      const header = Array.from({ length: 20 }, (_, i) => `k${i}=${'v'.repeat(40)}`).join(',');
      const kept = trace.getSpanContext(extract({ traceparent: TRACEPARENT, tracestate: header }))?.traceState;
      const serialized = kept?.serialize() ?? '';
      expect(serialized.length).toBeLessThanOrEqual(512);
      expect(header.startsWith(serialized)).toBe(true);
      expect(serialized.split(',').length).toBe(11);
    });

    test('over 512 characters: members longer than 128 characters go first (W3C), then from the right', () => {
      const long = (name: string) => `${name}=${'x'.repeat(200)}`; // 202 characters
      const short = Array.from({ length: 8 }, (_, i) => `s${i}=${'v'.repeat(30)}`); // 33 characters each
      // 202 + 202 + 8 * 33 + 9 commas = 677: dropping the right-most long member leaves 474.
      const header = [long('a'), ...short.slice(0, 4), long('b'), ...short.slice(4)].join(',');
      const kept = trace.getSpanContext(extract({ traceparent: TRACEPARENT, tracestate: header }))?.traceState;
      expect(kept?.serialize()).toBe([long('a'), ...short].join(','));
      // Three long members: both right-most long ones go, the short ones all stay.
      const three = [long('a'), long('b'), ...short, long('c')].join(',');
      const cut = trace.getSpanContext(extract({ traceparent: TRACEPARENT, tracestate: three }))?.traceState;
      expect(cut?.serialize()).toBe([long('a'), ...short].join(','));
    });

    test('repeated tracestate headers are joined; a duplicate key keeps the header, the first one wins', () => {
      const ok = extract({ traceparent: TRACEPARENT, tracestate: ['a=1', 'b=2'] });
      expect(trace.getSpanContext(ok)?.traceState?.serialize()).toBe('a=1,b=2');
      // The left-most member is the newest (W3C moves updated keys left); the later duplicate is dropped.
      const duplicate = extract({ traceparent: TRACEPARENT, tracestate: ['a=1,b=2', 'a=3'] });
      expect(trace.getSpanContext(duplicate)?.traceId).toBe(TRACE_ID);
      expect(trace.getSpanContext(duplicate)?.traceState?.serialize()).toBe('a=1,b=2');
      expect(trace.getSpanContext(duplicate)?.traceState?.get('a')).toBe('1');
      expect(inject(duplicate).tracestate).toBe('a=1,b=2');
    });

    test('an empty tracestate (or only empty members) is accepted and not sent on', () => {
      for (const tracestate of ['', ' , ,', ['', '']]) {
        const ctx = extract({ traceparent: TRACEPARENT, tracestate });
        expect(trace.getSpanContext(ctx)?.traceId).toBe(TRACE_ID);
        expect(trace.getSpanContext(ctx)?.traceState).toBeUndefined();
        expect(inject(ctx).tracestate).toBeUndefined();
      }
    });

    test('an invalid baggage is dropped whole; the traceparent and a valid tracestate stay', () => {
      // OTel alone would keep `user` and forward "a b" as a%20b.
      const ctx = extract({ traceparent: TRACEPARENT, tracestate: 'a=1', baggage: 'user=42,a b=1' });
      expect(propagation.getBaggage(ctx)).toBeUndefined();
      expect(trace.getSpanContext(ctx)?.traceId).toBe(TRACE_ID);
      expect(trace.getSpanContext(ctx)?.traceState?.serialize()).toBe('a=1');
    });

    test('baggage the context had before is kept when the header is invalid', () => {
      const before = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ app: { value: 'mine' } }));
      const ctx = extract({ traceparent: TRACEPARENT, baggage: 'k="quoted"' }, before);
      expect(propagation.getBaggage(ctx)?.getAllEntries()).toEqual([['app', { value: 'mine' }]]);
    });

    test('a valid baggage is extracted; oversized and too-many-member ones are dropped', () => {
      const ok = extract({ baggage: 'user=42;p, tier = gold' });
      expect(propagation.getBaggage(ok)?.getEntry('tier')?.value).toBe('gold');
      const tooMany = Array.from({ length: 181 }, (_, i) => `k${i}=v`).join(',');
      expect(propagation.getBaggage(extract({ baggage: tooMany }))).toBeUndefined();
      expect(propagation.getBaggage(extract({ baggage: `k=${'v'.repeat(100_000)}` }))).toBeUndefined();
    });

    test('a traceparent with whitespace HTTP does not trim (no-break space, BOM) gives no parent', () => {
      // OTel's pattern allows one JavaScript whitespace character at either end.
      for (const traceparent of [`${TRACEPARENT}\u00a0`, `\u00a0${TRACEPARENT}`, `${TRACEPARENT}\ufeff`]) {
        expect(trace.getSpanContext(extract({ traceparent, tracestate: 'a=1' }))).toBeUndefined();
      }
      expect(trace.getSpanContext(extract({ traceparent: ` ${TRACEPARENT}\t` }))?.traceId).toBe(TRACE_ID);
      // A later version may add fields after the flags; W3C says to ignore them, whatever they hold.
      const later = `cc-${TRACE_ID}-b7ad6b7169203331-01-what\u00a0ever\u00a0`;
      expect(trace.getSpanContext(extract({ traceparent: later }))?.spanId).toBe('b7ad6b7169203331');
      expect(trace.getSpanContext(extract({ traceparent: `cc${TRACEPARENT.slice(2)}\u00a0` }))).toBeUndefined();
      const mine = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: 'f'.repeat(32),
        spanId: 'e'.repeat(16),
        traceFlags: 1,
      });
      const ctx = extract({ traceparent: `${TRACEPARENT}\u00a0`, baggage: 'k=v' }, mine);
      expect(trace.getSpanContext(ctx)?.traceId).toBe('f'.repeat(32));
      expect(propagation.getBaggage(ctx)?.getEntry('k')?.value).toBe('v');
    });

    test('other values of the context and a propagator of your own are left alone', () => {
      const key = createContextKey('app');
      const custom = {
        extract: (ctx: typeof ROOT_CONTEXT) => ctx.setValue(key, 'kept'),
        inject() {},
        fields: () => ['x-custom'],
      };
      const tracer = new core.Tracer('server', scope, { tracerProvider: otel.provider, propagator: custom });
      const ctx = tracer.extract(ROOT_CONTEXT, { 'x-custom': '1', tracestate: 'BAD' }, core.recordGetter);
      expect(ctx.getValue(key)).toBe('kept');
    });

    test('property: a valid tracestate (up to 512 characters) round-trips; one broken member drops all', () => {
      const broken = fc.constantFrom('Bad=1', 'k v=1', 'k=a,b=', 'noequals', 'k=caf\u00e9', `${'x'.repeat(257)}=1`);
      fc.assert(
        fc.property(members, broken, fc.nat(), (list, bad, at) => {
          const header = list.map(([k, v]) => `${k}=${v}`).join(',');
          fc.pre(header.length <= 512);
          const ctx = extract({ traceparent: TRACEPARENT, tracestate: header });
          expect(trace.getSpanContext(ctx)?.traceState?.serialize()).toBe(header);
          const parts = header.split(',');
          parts.splice(at % (parts.length + 1), 0, bad);
          const spoiled = extract({ traceparent: TRACEPARENT, tracestate: parts.join(',') });
          expect(trace.getSpanContext(spoiled)?.traceId).toBe(TRACE_ID);
          expect(trace.getSpanContext(spoiled)?.traceState).toBeUndefined();
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('baggage inject keeps the W3C limits (default propagator)', () => {
    function injected(entries: Record<string, { value: string }>): string | undefined {
      return inject(propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage(entries))).baggage;
    }

    test('at most 180 members and 8192 bytes, whole members only', () => {
      const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, { value: 'v' }]));
      const big = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, { value: 'é'.repeat(200) }]));
      for (const header of [injected(many), injected(big)]) {
        expect(header).toBeDefined();
        expect(header!.split(',').length).toBeLessThanOrEqual(180);
        expect(Buffer.byteLength(header!)).toBeLessThanOrEqual(8192);
        expect(core.isValidBaggage(header!)).toBe(true);
      }
    });
  });
});
