import { describe, type TracingOptions } from '@tracewire/core';

/** What `ignore` and `requestHook` are given: the call as fetch will see it. Treat it as read-only. */
export interface FetchRequestInfo {
  /** The method fetch sends: `init.method`, else the Request's, else `GET`; standard methods upper-cased as fetch does. */
  method: string;
  /** The parsed target URL (the caller's own `URL` when one was passed: do not modify it). */
  url: URL;
  /** The first argument, as the caller passed it. */
  input: unknown;
  /** The second argument, as the caller passed it. */
  init: RequestInit | undefined;
}

/** Options of `traceFetch`: the core options, plus `propagateTo`. */
export interface FetchTracingOptions extends TracingOptions<FetchRequestInfo, Response> {
  /** Return false to send no trace headers to this URL (a span is still made); default: every URL. */
  propagateTo?: (url: URL) => boolean;
}

export const EXTRA_OPTIONS = ['propagateTo'] as const;

/** Checks what core does not know about, in core's wording. */
export function validateFetchOptions(fetchImpl: unknown, options: FetchTracingOptions | undefined): void {
  if (typeof fetchImpl !== 'function') {
    throw new TypeError(`tracewire: the fetch to trace must be a function, got ${describe(fetchImpl)}`);
  }
  const propagateTo = options?.propagateTo;
  if (propagateTo !== undefined && typeof propagateTo !== 'function') {
    throw new TypeError(`tracewire: option "propagateTo" must be a function, got ${describe(propagateTo)}`);
  }
}
