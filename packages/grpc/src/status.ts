import { type Span, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@tracewire/core';
import { ATTR_RPC_GRPC_STATUS_CODE } from './attributes.js';

// gRPC status rules (OpenTelemetry's), which differ from the HTTP ones in
// core: the adapter applies them itself and ends the span through core
// without an HTTP status or an error, so core adds nothing of its own.

const NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

export const CANCELLED = 1;
export const DEADLINE_EXCEEDED = 4;

// The codes that say the server failed, not the caller.
const SERVER_ERRORS = new Set([2, 4, 12, 13, 14, 15]);

/** `INTERNAL` for 13; a code outside the table is its number as a string. */
export function statusName(code: number): string {
  return NAMES[code] ?? String(code);
}

/** Client: every code but OK. Server: UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, and any code outside the table. */
export function grpcFailed(kind: 'server' | 'client', code: number): boolean {
  if (kind === 'client') return code !== 0;
  return SERVER_ERRORS.has(code) || NAMES[code] === undefined;
}

/**
 * `rpc.grpc.status_code` always; for a failed call also status ERROR with
 * the details as message, `error.type` = the code's name, and an `exception`
 * event of that type (gRPC hands interceptors a status, never the thrown error).
 */
export function applyGrpcStatus(span: Span, kind: 'server' | 'client', code: number, details: string): void {
  span.setAttribute(ATTR_RPC_GRPC_STATUS_CODE, code);
  if (!grpcFailed(kind, code)) return;
  const name = statusName(code);
  span.recordException({ name, message: details });
  span.setStatus(details === '' ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message: details });
  span.setAttribute(ATTR_ERROR_TYPE, name);
}
