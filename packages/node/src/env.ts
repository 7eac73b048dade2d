/** The process environment, or a stand-in for it in tests. */
export type Env = Record<string, string | undefined>;

/** Every setup error names the option or variable it is about. */
export function fail(message: string): never {
  throw new Error(`@tracewire/node: ${message}`);
}

export function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** A comma-separated list variable (`OTEL_TRACES_EXPORTER`, `OTEL_PROPAGATORS`), lower-cased, blanks dropped. */
export function listOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
}

/** `true` or `false`, in any case; unset or blank is `fallback`; anything else fails naming the variable. */
export function booleanOf(env: Env, variable: string, fallback: boolean): boolean {
  const value = nonEmpty(env[variable])?.toLowerCase();
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  fail(`${variable} is "${env[variable]}", which is not true or false`);
}

/** One of `allowed`, or a failure that names `source` and lists them. */
export function oneOf<T extends string>(value: string, allowed: readonly T[], source: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  fail(`${source} is "${value}", which is not one of ${allowed.join(', ')}`);
}

export function checkUrl(value: string, source: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`${source} is "${value}", which is not a URL (expected e.g. http://localhost:4318)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fail(`${source} is "${value}", which is not an http or https URL`);
  }
  return url;
}
