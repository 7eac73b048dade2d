import { validateHeaderName, validateHeaderValue } from 'node:http';
import { type Env, fail, nonEmpty, oneOf } from '../env.js';

export const OTLP_COMPRESSIONS = ['gzip', 'none'] as const;
export type OtlpCompression = (typeof OTLP_COMPRESSIONS)[number];

/** What our OTLP/HTTP sender reads from the `OTEL_EXPORTER_OTLP_*` variables. */
export interface OtlpHttpSettings {
  /** Lower-case names; sent on every request. */
  headers: Record<string, string>;
  timeoutMillis: number;
  compression: OtlpCompression;
}

/** The spec's default export timeout. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** setTimeout fires at once beyond this (2^31 - 1 ms). */
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Headers, timeout and compression, the traces variable first. Headers of
 * both variables are merged, the traces one winning per name (as OTel's
 * exporters do); timeout and compression take the first one set. Every
 * variable that is set is checked, even one that another overrides: a bad
 * value is a mistake either way.
 */
export function resolveOtlpHttpSettings(env: Env): OtlpHttpSettings {
  const headers = {
    ...headersOf(env, 'OTEL_EXPORTER_OTLP_HEADERS'),
    ...headersOf(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
  };
  const timeout = [timeoutOf(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT'), timeoutOf(env, 'OTEL_EXPORTER_OTLP_TIMEOUT')];
  const compression = [
    compressionOf(env, 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION'),
    compressionOf(env, 'OTEL_EXPORTER_OTLP_COMPRESSION'),
  ];
  return {
    headers,
    timeoutMillis: timeout[0] ?? timeout[1] ?? DEFAULT_TIMEOUT_MS,
    compression: compression[0] ?? compression[1] ?? 'none',
  };
}

/** `name=value,name2=value2`, values percent-encoded, as W3C baggage writes them; blank members are skipped. */
function headersOf(env: Env, variable: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const member of (env[variable] ?? '').split(',')) {
    if (member.trim() === '') continue;
    const at = member.indexOf('=');
    const name = member.slice(0, Math.max(at, 0)).trim();
    if (at < 0 || name === '') fail(`${variable} has "${member.trim()}", which is not name=value`);
    try {
      validateHeaderName(name);
    } catch {
      fail(`${variable} has the header name "${name}", which HTTP does not allow`);
    }
    let value: string;
    try {
      value = decodeURIComponent(member.slice(at + 1).trim());
    } catch {
      fail(`${variable} has a value for "${name}" that is not valid percent-encoding`);
    }
    try {
      validateHeaderValue(name, value);
    } catch {
      // Not echoed: a header value is often a credential.
      fail(`${variable} has a value for "${name}" with characters HTTP does not allow (e.g. a line break)`);
    }
    headers[name.toLowerCase()] = value;
  }
  return headers;
}

/** Milliseconds, more than 0. */
function timeoutOf(env: Env, variable: string): number | undefined {
  const value = nonEmpty(env[variable]);
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!(Number.isFinite(ms) && ms > 0 && ms <= MAX_TIMEOUT_MS)) {
    fail(`${variable} is "${env[variable]}", which is not a timeout in milliseconds (more than 0)`);
  }
  return ms;
}

function compressionOf(env: Env, variable: string): OtlpCompression | undefined {
  const value = nonEmpty(env[variable]);
  return value === undefined ? undefined : oneOf(value.toLowerCase(), OTLP_COMPRESSIONS, variable);
}
