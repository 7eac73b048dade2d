// W3C Baggage, checked strictly on the raw header(s). OTel's baggage
// propagator keeps whatever members it can decode, keys with spaces or quotes
// included, and forwards them re-encoded; a header that breaks the grammar or
// the limits is discarded as a whole here instead, the traceparent still
// honoured. (W3C leaves what to do with a malformed header to the platform.)

/** At most this many list members across every `baggage` header of a request. */
export const BAGGAGE_MAX_MEMBERS = 180;
/** At most this many bytes across every `baggage` header of a request, joined by commas. */
export const BAGGAGE_MAX_BYTES = 8192;

// RFC 7230 token.
export const BAGGAGE_KEY = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// US-ASCII without controls, whitespace, DQUOTE, comma, semicolon and backslash.
const VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;
const OWS = /^[ \t]+|[ \t]+$/g;

/** Without the optional white space (SP, HTAB) at either end. */
export function trimOws(text: string): string {
  return text.replace(OWS, '');
}

/** `key OWS "=" OWS value`, or (for a property only) a bare `key`. */
function isPair(text: string, bare: boolean): boolean {
  const equals = text.indexOf('=');
  if (equals === -1) return bare && BAGGAGE_KEY.test(trimOws(text));
  return BAGGAGE_KEY.test(trimOws(text.slice(0, equals))) && VALUE.test(trimOws(text.slice(equals + 1)));
}

/** One list member: `key=value`, then `;property` or `;key=value` properties. */
export function isBaggageMember(member: string): boolean {
  const [pair, ...properties] = member.split(';');
  if (!isPair(pair as string, false)) return false;
  for (const property of properties) if (!isPair(property, true)) return false;
  return true;
}

/**
 * The list members of the `baggage` header(s), white space around them
 * trimmed, or `undefined` when they break the grammar (members
 * `key=value;property;key=value`, keys tokens, values baggage octets) or the
 * limits: 180 members and 8192 bytes in all.
 */
export function baggageMembers(header: string | readonly string[]): string[] | undefined {
  const parts = typeof header === 'string' ? [header] : header;
  let bytes = parts.length - 1;
  for (const part of parts) {
    if (typeof part !== 'string') return undefined;
    // Valid baggage is ASCII: characters are bytes. Checked first, so a huge header costs nothing more.
    bytes += part.length;
    if (bytes > BAGGAGE_MAX_BYTES) return undefined;
  }
  const members: string[] = [];
  for (const part of parts) {
    for (const member of part.split(',')) {
      if (members.length === BAGGAGE_MAX_MEMBERS || !isBaggageMember(member)) return undefined;
      members.push(trimOws(member));
    }
  }
  return members;
}

/** Whether the `baggage` header(s) follow the W3C grammar within the limits: 180 members and 8192 bytes in all. */
export function isValidBaggage(header: string | readonly string[]): boolean {
  return baggageMembers(header) !== undefined;
}
