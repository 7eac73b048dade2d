// W3C Trace Context `tracestate`, checked strictly on the raw header(s), with
// the grammar of the current spec: a key is `(lcalpha / DIGIT) 0*255(keychar)`
// with `@` allowed anywhere after the first character (the old `tenant@system`
// form with its 241/14 split is gone), and a key that comes twice no longer
// makes the header invalid. W3C allows discarding a tracestate that cannot be
// parsed; a broken one is discarded as a whole here, the traceparent honoured.

const KEY = /^[a-z0-9][a-z0-9_*/@-]{0,255}$/;
// Printable ASCII except ',' and '='; the last character not a space.
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const OWS = /^[ \t]+|[ \t]+$/g;

/** At most this many list members across every `tracestate` header of a request. */
export const TRACESTATE_MAX_MEMBERS = 32;

/** A `key=value` list member, key first. */
export type TraceStateMember = readonly [key: string, value: string];

export function isTraceStateKey(key: string): boolean {
  return KEY.test(key);
}

export function isTraceStateValue(value: string): boolean {
  return VALUE.test(value);
}

/**
 * The members of the `tracestate` header(s), left to right, or `undefined`
 * when they break the grammar or have more than 32 members in all. Several
 * headers are one list joined by commas (RFC 9110), so empty members are
 * allowed, as W3C says. A key that comes again later is left out: vendors may
 * drop duplicates, and the left-most one is the newest (updated keys move to
 * the left), as in the W3C test suite's reference parser. Duplicates count
 * towards the 32 members, as they were sent.
 */
export function parseTraceState(header: string | readonly string[]): TraceStateMember[] | undefined {
  const list: TraceStateMember[] = [];
  const keys = new Set<string>();
  let members = 0;
  for (const part of typeof header === 'string' ? [header] : header) {
    if (typeof part !== 'string') return undefined;
    for (const raw of part.split(',')) {
      const member = raw.replace(OWS, '');
      if (member === '') continue;
      const equals = member.indexOf('=');
      if (equals === -1 || ++members > TRACESTATE_MAX_MEMBERS) return undefined;
      const key = member.slice(0, equals);
      const value = member.slice(equals + 1);
      if (!KEY.test(key) || !VALUE.test(value)) return undefined;
      if (keys.has(key)) continue;
      keys.add(key);
      list.push([key, value]);
    }
  }
  return list;
}

/**
 * Whether the `tracestate` header(s) follow the W3C grammar: `key=value`
 * members, key and value characters, keys of at most 256 characters, at most
 * 32 members in all. A key twice is allowed (the later one is dropped when
 * parsed).
 */
export function isValidTraceState(header: string | readonly string[]): boolean {
  return parseTraceState(header) !== undefined;
}
