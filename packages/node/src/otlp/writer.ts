/**
 * The protobuf wire format, as much of it as OTLP traces need, written into
 * one growing buffer. A nested message reserves one byte for its length and
 * moves its body when the length needs more: most nested messages (a
 * key-value, a status) are under 128 bytes, so they never move.
 */
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i;
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i;
}

const TWO_32 = 2 ** 32;

export class ProtoWriter {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  pos = 0;

  /** The bytes written, copied out so that the writer can be reused at once. */
  finish(): Uint8Array {
    const out = Buffer.from(this.buffer.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }

  private room(bytes: number): void {
    if (this.pos + bytes <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.pos + bytes));
    this.buffer.copy(next, 0, 0, this.pos);
    this.buffer = next;
  }

  private varint(value: number): void {
    this.room(10);
    const buffer = this.buffer;
    while (value > 0x7f) {
      buffer[this.pos++] = (value & 0x7f) | 0x80;
      value = value > 0xffffffff ? Math.floor(value / 128) : value >>> 7;
    }
    buffer[this.pos++] = value;
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  uint(field: number, value: number): void {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
  }

  bool(field: number, value: boolean): void {
    this.tag(field, WIRE_VARINT);
    this.varint(value ? 1 : 0);
  }

  /** A signed int64 that is a safe integer: negative ones as two's complement, 10 bytes. */
  int64(field: number, value: number): void {
    if (value >= 0) {
      this.uint(field, value);
      return;
    }
    this.tag(field, WIRE_VARINT);
    this.room(10);
    let low = (value % TWO_32) >>> 0;
    let high = Math.floor(value / TWO_32) >>> 0;
    for (let i = 0; i < 9; i++) {
      this.buffer[this.pos++] = (low & 0x7f) | 0x80;
      low = (low >>> 7) | ((high & 0x7f) << 25);
      high >>>= 7;
    }
    this.buffer[this.pos++] = 1;
  }

  double(field: number, value: number): void {
    this.tag(field, WIRE_FIXED64);
    this.room(8);
    this.pos = this.buffer.writeDoubleLE(value, this.pos);
  }

  fixed32(field: number, value: number): void {
    this.tag(field, WIRE_FIXED32);
    this.room(4);
    this.pos = this.buffer.writeUInt32LE(value >>> 0, this.pos);
  }

  /** A fixed64 of seconds * 1e9 + nanos, exact without BigInt: both halves stay below 2^53. */
  fixed64Time(field: number, seconds: number, nanos: number): void {
    const high16 = Math.floor(seconds / 65536);
    const a = high16 * 1e9;
    const b = (seconds - high16 * 65536) * 1e9 + nanos;
    const low = (a % 65536) * 65536 + b;
    const high = Math.floor(a / 65536) + Math.floor(low / TWO_32);
    this.tag(field, WIRE_FIXED64);
    this.room(8);
    this.buffer.writeUInt32LE(low % TWO_32, this.pos);
    this.buffer.writeUInt32LE(high >>> 0, this.pos + 4);
    this.pos += 8;
  }

  string(field: number, value: string): void {
    this.tag(field, WIRE_LENGTH);
    const length = value.length;
    // Short ASCII strings (keys, names, methods) skip the UTF-8 encoder.
    if (length < 128) {
      this.room(1 + length * 3);
      const buffer = this.buffer;
      const start = this.pos + 1;
      let i = 0;
      while (i < length) {
        const code = value.charCodeAt(i);
        if (code > 0x7f) break;
        buffer[start + i] = code;
        i++;
      }
      if (i === length) {
        buffer[this.pos] = length;
        this.pos = start + length;
        return;
      }
    }
    const bytes = Buffer.byteLength(value);
    this.varint(bytes);
    this.room(bytes);
    this.pos += this.buffer.write(value, this.pos, bytes, 'utf8');
  }

  /**
   * A KeyValue whose key and string value are short ASCII, written in one
   * pass with one bounds check: the shape of nearly every span attribute.
   * Writes nothing and returns false for any other shape.
   */
  asciiKeyValue(field: number, key: string, value: string): boolean {
    const keyLength = key.length;
    const valueLength = value.length;
    const total = keyLength + valueLength + 6;
    if (total > 127 || field > 15) return false;
    this.room(total + 2);
    const buffer = this.buffer;
    let at = this.pos;
    buffer[at++] = (field << 3) | WIRE_LENGTH;
    buffer[at++] = total;
    buffer[at++] = (1 << 3) | WIRE_LENGTH;
    buffer[at++] = keyLength;
    for (let i = 0; i < keyLength; i++) {
      const code = key.charCodeAt(i);
      if (code > 0x7f) return false;
      buffer[at++] = code;
    }
    // AnyValue (field 2) holding string_value (field 1).
    buffer[at++] = (2 << 3) | WIRE_LENGTH;
    buffer[at++] = valueLength + 2;
    buffer[at++] = (1 << 3) | WIRE_LENGTH;
    buffer[at++] = valueLength;
    for (let i = 0; i < valueLength; i++) {
      const code = value.charCodeAt(i);
      if (code > 0x7f) return false;
      buffer[at++] = code;
    }
    this.pos = at;
    return true;
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, WIRE_LENGTH);
    this.varint(value.length);
    this.room(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  /** A trace or span id given in hex, written as its bytes. */
  hexBytes(field: number, hex: string): void {
    const length = hex.length >>> 1;
    this.tag(field, WIRE_LENGTH);
    this.varint(length);
    this.room(length);
    const buffer = this.buffer;
    for (let i = 0; i < length; i++) {
      const high = HEX[hex.charCodeAt(2 * i)] ?? -1;
      const low = HEX[hex.charCodeAt(2 * i + 1)] ?? -1;
      // Not hex: an SDK never makes such ids; written as 0 rather than throwing mid-batch.
      buffer[this.pos++] = high < 0 || low < 0 ? 0 : (high << 4) | low;
    }
  }

  /** Starts a nested message: returns where its body starts, for end(). */
  begin(field: number): number {
    this.tag(field, WIRE_LENGTH);
    this.room(1);
    this.pos += 1;
    return this.pos;
  }

  end(start: number): void {
    const length = this.pos - start;
    if (length < 128) {
      this.buffer[start - 1] = length;
      return;
    }
    let extra = 1;
    while (length >= 2 ** (7 * (extra + 1))) extra++;
    this.room(extra);
    const buffer = this.buffer;
    buffer.copyWithin(start + extra, start, this.pos);
    this.pos += extra;
    let at = start - 1;
    let rest = length;
    while (rest > 0x7f) {
      buffer[at++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    buffer[at] = rest;
  }
}
