// Decodes OTLP/HTTP protobuf trace requests with the official OTLP schema
// (tools/otlp-decode, built by scripts/otlp-decode.sh), so that tests of our
// encoder compare against the spec's own types, not against a second copy of
// our own assumptions.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** What protojson (and JSON.parse) can give. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

let bin: string | undefined;

/**
 * The decoder binary: OTLP_DECODE_BIN if set (it must then exist: whoever set
 * it, CI, expects the tests to run), else what scripts/otlp-decode.sh builds,
 * once per machine; the first build can take a minute, so call this from a
 * beforeAll with a long timeout.
 */
export function otlpDecodeBin(): string {
  if (bin) return bin;
  const fromEnv = process.env.OTLP_DECODE_BIN;
  if (fromEnv) {
    try {
      accessSync(fromEnv, constants.X_OK);
    } catch {
      throw new Error(`OTLP_DECODE_BIN=${fromEnv} is not an executable file`);
    }
    bin = fromEnv;
  } else {
    const out = execFileSync('bash', [join(root, 'scripts/otlp-decode.sh')], { encoding: 'utf8' });
    bin = out.trim().split('\n').pop();
    if (!bin) throw new Error('scripts/otlp-decode.sh printed no binary path');
  }
  return bin;
}

/**
 * One ExportTraceServiceRequest in protobuf bytes, as the official schema's
 * protojson (lowerCamelCase names, defaults left out). Throws with the
 * decoder's message on bytes that are not a valid request, field numbers the
 * schema does not have included.
 */
export function decodeOfficial(bytes: Uint8Array): unknown {
  let out: string;
  try {
    out = execFileSync(otlpDecodeBin(), [], { input: bytes, encoding: 'utf8', stdio: 'pipe', maxBuffer: 1 << 28 });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(stderr || `otlp-decode failed: ${(error as Error).message}`);
  }
  return JSON.parse(out) as unknown;
}

// The bytes fields of spans and links; protojson writes them in base64.
const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/**
 * protojson made plain for comparison: span and link ids as lower-case hex
 * (as W3C headers and the OTel API write them). 64-bit numbers stay decimal
 * strings and enums stay names, as protojson gives them.
 */
export function normalizeOfficial(json: unknown): Json {
  return normalize(json as Json);
}

function normalize(value: Json): Json {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: Json } = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] =
      ID_FIELDS.has(key) && typeof field === 'string' ? Buffer.from(field, 'base64').toString('hex') : normalize(field);
  }
  return out;
}
