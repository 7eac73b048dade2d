// Reads a fetch call's arguments the way fetch itself does, and builds the
// outgoing init without touching the caller's objects.

/** The parts of a `Request` that tracing reads; any fetch implementation's Request has them. */
interface RequestLike {
  url: string;
  method: string;
  headers: ConstructorParameters<typeof Headers>[0];
}

/** A `Request` from any fetch implementation (undici's, Node's), recognised by shape, not by class. */
export function requestOf(input: unknown): RequestLike | undefined {
  if (typeof input !== 'object' || input === null || input instanceof URL) return undefined;
  const candidate = input as Partial<RequestLike>;
  return typeof candidate.url === 'string' && typeof candidate.method === 'string'
    ? (candidate as RequestLike)
    : undefined;
}

/** The target URL; throws when it does not parse, exactly when fetch would reject. */
export function urlOf(input: unknown, request: RequestLike | undefined): URL {
  if (request !== undefined) return new URL(request.url);
  return input instanceof URL ? input : new URL(String(input));
}

// fetch upper-cases these six (case-insensitively) and sends any other method as written.
const NORMALIZED = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

export function methodOf(init: RequestInit | undefined, request: RequestLike | undefined): string {
  const method = init?.method ?? request?.method;
  if (method === undefined) return 'GET';
  const upper = String(method).toUpperCase();
  return NORMALIZED.has(upper) ? upper : String(method);
}

/**
 * A new `Headers` holding what fetch would send: `init.headers` when given
 * (it replaces a Request's headers, it does not merge with them), else the
 * Request's headers, else none. Throws when fetch would reject the headers.
 */
export function headersOf(init: RequestInit | undefined, request: RequestLike | undefined): Headers {
  const headers = init?.headers;
  if (headers !== undefined) return new Headers(headers);
  return new Headers(request?.headers);
}

// The members fetch reads from an init (RequestInit, plus undici's `dispatcher`).
const INIT_MEMBERS = [
  'body',
  'cache',
  'credentials',
  'dispatcher',
  'duplex',
  'integrity',
  'keepalive',
  'method',
  'mode',
  'priority',
  'redirect',
  'referrer',
  'referrerPolicy',
  'signal',
  'window',
] as const;

/**
 * The caller's init with `headers` replaced, as a new object. A plain object
 * is spread (what wrappers of fetch expect). Anything else (a class instance,
 * a Request used as init) may hold members as prototype getters, which fetch
 * reads but a spread skips: those are copied by name.
 */
export function withHeaders(init: RequestInit | undefined, headers: Headers): RequestInit {
  if (init === undefined || init === null) return { headers };
  const copy: Record<string, unknown> = { ...init, headers };
  const proto = Object.getPrototypeOf(init);
  if (proto === Object.prototype || proto === null) return copy;
  const source = init as Record<string, unknown>;
  for (const member of INIT_MEMBERS) {
    if (!(member in copy)) {
      const value = source[member];
      if (value !== undefined) copy[member] = value;
    }
  }
  return copy;
}
