// Query keys whose values are credentials in signed URLs (AWS, Azure, GCS).
const SENSITIVE_QUERY_KEYS = new Set(['AWSAccessKeyId', 'Signature', 'sig', 'X-Goog-Signature']);

/** `url.full` for a client span: user info removed, signed-URL credentials replaced by `REDACTED`. */
export function redactUrl(url: URL): string {
  if (url.username === '' && url.password === '' && url.search === '') return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  if (copy.search !== '') {
    let changed = false;
    for (const key of SENSITIVE_QUERY_KEYS) {
      if (copy.searchParams.has(key)) {
        copy.searchParams.set(key, 'REDACTED');
        changed = true;
      }
    }
    // Rebuilding the query re-encodes it; only do so when something was redacted.
    if (!changed) copy.search = url.search;
  }
  return copy.href;
}

/** The port a URL connects to, defaults included. */
export function portOf(url: URL): number | undefined {
  if (url.port !== '') return Number(url.port);
  if (url.protocol === 'https:') return 443;
  if (url.protocol === 'http:') return 80;
  return undefined;
}
