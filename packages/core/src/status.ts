import { type Span, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE } from './attributes.js';

// The status and error rules of the span contract, in one place.

/** Server: 5xx, or an escaped exception that did not become a 4xx. Never OK. */
export function serverFailed(statusCode: number | undefined, error: unknown): boolean {
  if (statusCode !== undefined && statusCode >= 500) return true;
  return error !== undefined && !(statusCode !== undefined && statusCode >= 400 && statusCode < 500);
}

/** Client: 4xx, 5xx, or a request that failed. */
export function clientFailed(statusCode: number | undefined, error: unknown): boolean {
  return error !== undefined || (statusCode !== undefined && statusCode >= 400);
}

/**
 * `error.type` of a finished request by the contract's rule for its kind, or
 * undefined when it did not fail: the span and the duration metric both take it from here.
 */
export function errorTypeOf(server: boolean, statusCode: number | undefined, error: unknown): string | undefined {
  if (server) {
    if (!serverFailed(statusCode, error)) return undefined;
    return error !== undefined ? errorClassName(error) : String(statusCode);
  }
  if (!clientFailed(statusCode, error)) return undefined;
  return statusCode !== undefined && statusCode >= 400 ? String(statusCode) : errorName(error);
}

/** The class name of a thrown value, as the server span's `error.type`. */
export function errorClassName(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const name = (error as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return '_OTHER';
}

/** The `name` of a thrown value (`AbortError`, `TimeoutError`, `TypeError`), as the client span's `error.type`. */
export function errorName(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return errorClassName(error);
}

export function errorMessage(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}

/** Records an exception event for any thrown value; non-errors become their string form. */
export function recordError(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  else if (typeof error === 'object' && error !== null && 'message' in error) span.recordException(error as Error);
  else span.recordException(String(error));
}

/**
 * Applies the outcome to a span: the status code attribute, the exception
 * event, and ERROR with `error.type` when there is one (it failed); UNSET otherwise.
 */
export function applyOutcome(span: Span, errorType: string | undefined, error: unknown, statusCode?: number): void {
  if (statusCode !== undefined) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode);
  if (error !== undefined) recordError(span, error);
  if (errorType === undefined) return;
  const message = errorMessage(error);
  span.setStatus(message === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message });
  span.setAttribute(ATTR_ERROR_TYPE, errorType);
}
