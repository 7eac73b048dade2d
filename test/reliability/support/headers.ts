// fast-check generators of hostile W3C trace headers, each labelled with what
// the W3C specifications say of it. The labels come from how a value was
// built (a valid list, the same list with one broken member, ...) and from a
// reference traceparent check written from the spec, never from the code
// under test. Values stay within what Node's HTTP client can send: printable
// ASCII, tab, and bytes 0x80-0xff (as latin1 characters); Node drops CR, LF
// and other controls before a header can reach an app.
import fc from 'fast-check';

/** `valid` / `invalid` by construction; `unknown` for random text (only generic properties are checked). */
export type Validity = 'valid' | 'invalid' | 'unknown';

export interface HeaderCase {
  /** One value, or several sent as repeated header lines. */
  value: string | string[];
  validity: Validity;
  kind: string;
}

/** What the app sees: Node trims SP/HTAB around each value and joins repeated lines with ", ". */
export function arrived(value: string | string[]): string {
  return (Array.isArray(value) ? value : [value]).map((v) => v.replace(/^[ \t]+|[ \t]+$/g, '')).join(', ');
}

/** W3C Trace Context level 1, section 3.2 (traceparent) and 4.3 (versioning): the parent it names, if valid. */
export function w3cTraceparent(header: string): { traceId: string; spanId: string } | undefined {
  if (header.length < 55) return undefined;
  const version = header.slice(0, 2);
  if (!/^[0-9a-f]{2}$/.test(version) || version === 'ff') return undefined;
  // Version 00 is exactly 55 characters; a later version may add fields after a "-".
  if (version === '00' ? header.length !== 55 : header.length > 55 && header[55] !== '-') return undefined;
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(header.slice(0, 55));
  if (!match) return undefined;
  const [, traceId, spanId] = match as unknown as [string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId };
}

const LATIN1_HIGH = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i));
const PRINTABLE = Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x20 + i));
/** Any character Node's client sends in a header value. */
const wireChar = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PRINTABLE) },
  { weight: 1, arbitrary: fc.constantFrom('\t', ...LATIN1_HIGH) },
);
const wireString = (maxLength: number) => fc.string({ unit: wireChar, maxLength });
/** UTF-8 text as the latin1 characters of its bytes: what arrives when a client sends UTF-8. */
const utf8 = fc
  .constantFrom('é', 'ü', '日本', '🚀', '\u00a0', '\u0085')
  .map((s) => Buffer.from(s, 'utf8').toString('latin1'));
const HUGE = 100 * 1024;

// ---- traceparent ----

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });

const wellFormed = fc
  .record({
    version: fc.oneof({ weight: 4, arbitrary: fc.constant('00') }, { weight: 1, arbitrary: hex(2) }),
    traceId: hex(32),
    spanId: hex(16),
    flags: hex(2),
    // Later versions may carry more fields.
    more: fc.option(fc.string({ unit: fc.constantFrom(...'0123456789abcdef-'), maxLength: 20 }), { nil: undefined }),
  })
  .map(({ version, traceId, spanId, flags, more }) => {
    const base = `${version}-${traceId}-${spanId}-${flags}`;
    return version !== '00' && more !== undefined ? `${base}-${more}` : base;
  });

function mutate(header: string): fc.Arbitrary<[string, string]> {
  return fc.oneof(
    fc.constant<[string, string]>(['version ff', `ff${header.slice(2)}`]),
    fc.constant<[string, string]>(['upper case', header.toUpperCase()]),
    fc.constant<[string, string]>(['all-zero trace id', `${header.slice(0, 3)}${'0'.repeat(32)}${header.slice(35)}`]),
    fc.constant<[string, string]>(['all-zero parent id', `${header.slice(0, 36)}${'0'.repeat(16)}${header.slice(52)}`]),
    fc.nat({ max: 54 }).map((at): [string, string] => ['a character less', header.slice(0, at) + header.slice(at + 1)]),
    fc
      .tuple(fc.nat({ max: 55 }), fc.constantFrom(...'0af-'))
      .map(([at, c]): [string, string] => ['a character more', header.slice(0, at) + c + header.slice(at)]),
    fc.nat({ max: 54 }).map((at): [string, string] => ['truncated', header.slice(0, at)]),
    wireString(12).map((tail): [string, string] => ['trailing text', `${header}${tail}`]),
    fc
      .tuple(fc.nat({ max: 55 }), utf8)
      .map(([at, text]): [string, string] => ['non-ASCII inside', header.slice(0, at) + text + header.slice(at)]),
    fc.constantFrom<[string, string]>(
      ['no-break space after', `${header}\u00a0`],
      ['no-break space before', `\u00a0${header}`],
    ),
    fc.constant<[string, string]>(['100 KB', `${header}-${'a'.repeat(HUGE)}`]),
  );
}

/** Well-formed, mutated, random, huge or repeated traceparent headers, labelled by the W3C reference check. */
export const traceparents: fc.Arbitrary<HeaderCase> = fc
  .oneof(
    wellFormed.map((value): [string, string | string[]] => ['well-formed', value]),
    wellFormed.chain((value) => mutate(value)),
    wireString(80).map((value): [string, string | string[]] => ['random', value]),
    fc.tuple(wellFormed, wellFormed).map(([a, b]): [string, string | string[]] => ['repeated header', [a, b]]),
  )
  .map(([kind, value]) => ({
    kind,
    value,
    validity: w3cTraceparent(arrived(value)) ? 'valid' : 'invalid',
  }));

// ---- tracestate ----

// W3C Trace Context, tracestate key: (lcalpha / DIGIT) 0*255(keychar), where keychar also has "@".
const lc = 'abcdefghijklmnopqrstuvwxyz';
const keyChar = fc.constantFrom(...`${lc}0123456789_-*/@`);
const stateKey = fc
  .tuple(fc.constantFrom(...`${lc}0123456789`), fc.string({ unit: keyChar, maxLength: 12 }))
  .map(([a, b]) => a + b);
const stateValueChars = PRINTABLE.filter((c) => c !== ',' && c !== '=');
const stateValue = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...stateValueChars), maxLength: 10 }),
    fc.constantFrom(...stateValueChars.filter((c) => c !== ' ')),
  )
  .map(([a, b]) => a + b);
const ows = fc.constantFrom('', '', '', ' ', '\t', '  ');
const stateMembers = (maxLength: number, minLength = 1) =>
  fc.uniqueArray(fc.tuple(stateKey, stateValue), { minLength, maxLength, selector: ([key]) => key });

/** A list written with optional white space and empty members, as W3C allows. */
function writeList(members: string[], spacing: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .array(spacing, { minLength: members.length * 2, maxLength: members.length * 2 })
    .map((pads) => members.map((m, i) => `${pads[2 * i]}${m}${pads[2 * i + 1]}`).join(','));
}

const brokenStateMember = fc.constantFrom(
  'Upper=1',
  '_under=1',
  'sp ace=1',
  'noequals',
  'k=',
  'k=a=b',
  '@v=1',
  't@Vendor=1',
  `${'k'.repeat(257)}=1`,
  `${'t'.repeat(200)}@${'v'.repeat(56)}=1`,
  `k=${'v'.repeat(257)}`,
  `k=caf${Buffer.from('é').toString('latin1')}`,
);

function splitInto(list: string): fc.Arbitrary<string | string[]> {
  const parts = list.split(',');
  if (parts.length < 2) return fc.constant(list);
  return fc
    .nat({ max: parts.length - 2 })
    .map((at) => [parts.slice(0, at + 1).join(','), parts.slice(at + 1).join(',')]);
}

/** Valid lists (at most 512 characters, duplicates allowed), lists with one broken member, too many members, random and huge values. */
export const tracestates: fc.Arbitrary<HeaderCase> = fc.oneof(
  stateMembers(32)
    .map((members) => members.map(([k, v]) => `${k}=${v}`))
    .filter((members) => members.join(',').length <= 512)
    .chain((members) => writeList(members, ows))
    .chain(splitInto)
    .map((value): HeaderCase => ({ kind: 'valid list', value, validity: 'valid' })),
  fc
    .tuple(stateMembers(32), brokenStateMember, fc.nat())
    .map(([members, bad, at]) => {
      const list = members.map(([k, v]) => `${k}=${v}`);
      list.splice(at % (list.length + 1), 0, bad);
      return list.join(',');
    })
    .chain(splitInto)
    .map((value): HeaderCase => ({ kind: 'one broken member', value, validity: 'invalid' })),
  fc
    .integer({ min: 33, max: 60 })
    .map((n) => Array.from({ length: n }, (_, i) => `k${i}=v`).join(','))
    .chain(splitInto)
    .map((value): HeaderCase => ({ kind: 'over 32 members', value, validity: 'invalid' })),
  // W3C no longer makes a key twice invalid: the header stays (vendors may drop a duplicate).
  fc
    .tuple(stateMembers(31), fc.nat())
    .map(([members, at]) => {
      const [key] = members[at % members.length] as [string, string];
      return [...members.map(([k, v]) => `${k}=${v}`), `${key}=dup`].join(',');
    })
    .filter((list) => list.length <= 512)
    .chain(splitInto)
    .map((value): HeaderCase => ({ kind: 'duplicate key', value, validity: 'valid' })),
  fc
    .tuple(stateMembers(32, 32), fc.nat())
    .map(([members, at]) => {
      const [key] = members[at % members.length] as [string, string];
      return [...members.map(([k, v]) => `${k}=${v}`), `${key}=dup`].join(',');
    })
    .chain(splitInto)
    .map((value): HeaderCase => ({ kind: '32 members and a duplicate', value, validity: 'invalid' })),
  fc.constant<HeaderCase>({ kind: '100 KB', value: `k=${'v'.repeat(HUGE)}`, validity: 'invalid' }),
  wireString(60).map((value): HeaderCase => ({ kind: 'random', value, validity: 'unknown' })),
);

// ---- baggage ----

const tokenChars = `!#$&'*+-.^_\`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz`; // no "%": keys stay undecoded
const token = fc.oneof(
  { weight: 20, arbitrary: fc.string({ unit: fc.constantFrom(...tokenChars), minLength: 1, maxLength: 10 }) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString') },
);
const baggageOctets = PRINTABLE.filter((c) => c > ' ' && !'",;\\%'.includes(c));
const baggageValue = fc.string({ unit: fc.constantFrom(...baggageOctets), minLength: 1, maxLength: 16 });
const property = fc.oneof(
  token,
  fc.tuple(token, baggageValue).map(([k, v]) => `${k}=${v}`),
);
const baggageMember = fc
  .tuple(token, baggageValue, fc.array(property, { maxLength: 2 }))
  .map(([k, v, props]) => [`${k}=${v}`, ...props].join(';'));
const baggageMembers = fc.array(baggageMember, { minLength: 1, maxLength: 20 });

const brokenBaggageMember = fc.constantFrom(
  'sp ace=1',
  'k=sp ace',
  'k="quoted"',
  'k=back\\slash',
  '=v',
  'noequals',
  'k=v;',
  `k=caf${Buffer.from('é').toString('latin1')}`,
);

/** Valid lists, lists with one broken member or an empty one, over 180 members or 8192 bytes, random and huge values. */
export const baggages: fc.Arbitrary<HeaderCase> = fc.oneof(
  baggageMembers
    .chain((members) => writeList(members, fc.constantFrom('', '', ' ')))
    .chain(splitInto)
    .map((value): HeaderCase => ({ kind: 'valid list', value, validity: 'valid' })),
  fc
    .tuple(baggageMembers, fc.oneof(brokenBaggageMember, fc.constant('')), fc.nat())
    .map(([members, bad, at]) => {
      members.splice(at % (members.length + 1), 0, bad);
      return members.join(',');
    })
    .chain(splitInto)
    .map((value): HeaderCase => ({ kind: 'one broken member', value, validity: 'invalid' })),
  fc
    .integer({ min: 181, max: 250 })
    .map((n) => Array.from({ length: n }, (_, i) => `k${i}=v`).join(','))
    .chain(splitInto)
    .map((value): HeaderCase => ({ kind: 'over 180 members', value, validity: 'invalid' })),
  fc
    .integer({ min: 8193, max: 9000 })
    .map((bytes) => `k=${'v'.repeat(bytes - 2)}`)
    .map((value): HeaderCase => ({ kind: 'over 8192 bytes', value, validity: 'invalid' })),
  fc.constant<HeaderCase>({ kind: '100 KB', value: `k=${'v'.repeat(HUGE)}`, validity: 'invalid' }),
  wireString(60).map((value): HeaderCase => ({ kind: 'random', value, validity: 'unknown' })),
);

/** Members of a list as they were sent: split on commas, OWS trimmed, empty ones left out. */
export function members(list: string): string[] {
  return list
    .split(',')
    .map((member) => member.replace(/^[ \t]+|[ \t]+$/g, ''))
    .filter((member) => member !== '');
}

/** The members of a tracestate list as sent on: a key that comes again later is left out (the first one wins). */
export function stateMembersOf(list: string): string[] {
  const seen = new Set<string>();
  return members(list).filter((member) => {
    const key = member.slice(0, member.indexOf('='));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** key → value of a baggage list, values percent-decoded, later duplicates winning (OTel keeps one value per key). */
export function baggageEntries(list: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const member of members(list)) {
    const pair = member.split(';')[0] as string;
    const at = pair.indexOf('=');
    entries.set(decodeURIComponent(pair.slice(0, at).trim()), decodeURIComponent(pair.slice(at + 1).trim()));
  }
  return entries;
}
