import { randomFillSync } from 'node:crypto';

/**
 * Random trace and span ids, cut from one long hex string made 4 KB of
 * random bytes at a time: one syscall and one hex conversion per ~170 spans,
 * and each id a substring (V8 shares the characters instead of copying).
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let hex = '';
let offset = 0;

const ZEROS_16 = '0'.repeat(16);
const ZEROS_32 = '0'.repeat(32);

function randomHex(chars: number): string {
  if (offset + chars > hex.length) {
    randomFillSync(pool);
    hex = pool.toString('hex');
    offset = 0;
  }
  const id = hex.substring(offset, offset + chars);
  offset += chars;
  return id;
}

export function traceId(): string {
  let id = randomHex(32);
  // All zeros is the invalid id of W3C Trace Context (a 2^-128 chance, but free to rule out).
  while (id === ZEROS_32) id = randomHex(32);
  return id;
}

export function spanId(): string {
  let id = randomHex(16);
  while (id === ZEROS_16) id = randomHex(16);
  return id;
}
