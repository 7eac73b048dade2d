import {
  type BaggageEntry,
  baggageEntryMetadataFromString,
  type Context,
  propagation,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import {
  BAGGAGE_KEY,
  BAGGAGE_MAX_BYTES,
  BAGGAGE_MAX_MEMBERS,
  baggageMembers,
  isBaggageMember,
  trimOws,
} from './baggage.js';
import { fixedFields, markStrict } from './strict.js';
import { isTracingSuppressed } from './suppress.js';

const BAGGAGE = 'baggage';
const FIELDS = fixedFields(BAGGAGE);
const PERCENT = /%([0-9A-Fa-f]{2})/g;
const LONE_SURROGATE = /\p{Cs}/gu;
const utf8 = new TextDecoder();

/**
 * A percent-decoded value. W3C: octets that are not UTF-8 become U+FFFD; a
 * '%' without two hex digits is kept as it is (decodeURIComponent would throw
 * and OTel would drop the member).
 */
function decodeValue(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    // Valid baggage is ASCII: each character that is not an escape is one byte.
    const bytes = value.replace(PERCENT, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    return utf8.decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0)));
  }
}

/** UTF-8 percent-encoding; a lone surrogate, which UTF-8 cannot hold, is sent as U+FFFD. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return encodeURIComponent(text.replace(LONE_SURROGATE, '\ufffd'));
  }
}

/**
 * Keys are tokens, sent and read as they are (W3C does not percent-encode
 * keys). A key that is no token is percent-encoded, as OTel does, so that the
 * header stays valid: '(' and ')', which encodeURIComponent leaves, are no
 * token characters.
 */
function encodeKey(key: string): string {
  if (BAGGAGE_KEY.test(key)) return key;
  return encode(key).replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** W3C Baggage: the `baggage` header. */
export class BaggagePropagator implements TextMapPropagator {
  constructor() {
    markStrict(this);
  }

  /**
   * Sends the baggage percent-encoded, whole members only, within 180 members
   * and 8192 bytes. A member the grammar does not allow (metadata is the
   * app's own text) or that no longer fits is left out; W3C lets a platform
   * drop members.
   */
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const baggage = propagation.getBaggage(context);
    if (baggage === undefined || isTracingSuppressed(context)) return;
    const members: string[] = [];
    let bytes = -1;
    for (const [key, entry] of baggage.getAllEntries()) {
      const metadata = entry.metadata?.toString();
      const member = `${encodeKey(key)}=${encode(entry.value)}${metadata ? `;${metadata}` : ''}`;
      // Members that pass the grammar are ASCII: characters are bytes.
      if (bytes + 1 + member.length > BAGGAGE_MAX_BYTES || !isBaggageMember(member)) continue;
      members.push(member);
      bytes += 1 + member.length;
      if (members.length === BAGGAGE_MAX_MEMBERS) break;
    }
    if (members.length > 0) setter.set(carrier, BAGGAGE, members.join(','));
  }

  /**
   * Reads the `baggage` header(s): nothing from one that breaks the grammar
   * or the limits. Values are percent-decoded; properties are kept as sent,
   * as the entry's metadata, and sent on unchanged.
   */
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = getter.get(carrier, BAGGAGE);
    if (typeof header !== 'string' && !Array.isArray(header)) return context;
    const members = baggageMembers(header);
    if (members === undefined) return context;
    // No prototype: `__proto__` is a key like any other, not a setter.
    const entries: Record<string, BaggageEntry> = Object.create(null);
    for (const member of members) {
      const semicolon = member.indexOf(';');
      const pair = semicolon === -1 ? member : member.slice(0, semicolon);
      const equals = pair.indexOf('=');
      const entry: BaggageEntry = { value: decodeValue(trimOws(pair.slice(equals + 1))) };
      if (semicolon !== -1) entry.metadata = baggageEntryMetadataFromString(member.slice(semicolon + 1));
      // A key twice: the later value wins, as in OTel and the API's setEntry (W3C lets either be kept).
      entries[trimOws(pair.slice(0, equals))] = entry;
    }
    return propagation.setBaggage(context, propagation.createBaggage(entries));
  }

  fields(): string[] {
    return FIELDS;
  }
}
