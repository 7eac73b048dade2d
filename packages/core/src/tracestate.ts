// W3C Trace Context `tracestate`, checked strictly on the raw header(s).
// OTel's TraceState is lenient: it skips members that break the grammar and
// keeps the rest. W3C allows discarding a tracestate that cannot be parsed;
// a broken one is discarded as a whole here, the traceparent still honoured.

const KEY_CHARS = '[a-z0-9_*/-]';
const KEY = new RegExp(`^(?:[a-z]${KEY_CHARS}{0,255}|[a-z0-9]${KEY_CHARS}{0,240}@[a-z]${KEY_CHARS}{0,13})$`);
// Printable ASCII except ',' and '='; the last character not a space.
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const OWS = /^[ \t]+|[ \t]+$/g;

/** At most this many list members across every `tracestate` header of a request. */
export const TRACESTATE_MAX_MEMBERS = 32;

/**
 * Whether the `tracestate` header(s) follow the W3C grammar: `key=value`
 * members, simple or `tenant@system` keys, value characters, at most 32
 * members in all, no key twice. Empty members are allowed, as W3C says, so
 * that several headers can be joined.
 */
export function isValidTraceState(header: string | readonly string[]): boolean {
  const keys = new Set<string>();
  for (const part of typeof header === 'string' ? [header] : header) {
    if (typeof part !== 'string') return false;
    for (const raw of part.split(',')) {
      const member = raw.replace(OWS, '');
      if (member === '') continue;
      const equals = member.indexOf('=');
      if (equals === -1) return false;
      const key = member.slice(0, equals);
      if (!KEY.test(key) || !VALUE.test(member.slice(equals + 1)) || keys.has(key)) return false;
      keys.add(key);
      if (keys.size > TRACESTATE_MAX_MEMBERS) return false;
    }
  }
  return true;
}
