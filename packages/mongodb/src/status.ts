import { type Span, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, errorName } from '@tracewire/core';
import { ATTR_DB_RESPONSE_STATUS_CODE } from './attributes.js';

// The MongoDB status rules of the span contract. A command fails when the
// driver reports it failed, or when its reply carries write errors (a
// duplicate key) or a write concern error. The server's own error message is
// not recorded: it can quote the document (E11000 quotes the duplicate key).

// Names of common server error codes, for replies that give a code without
// its name (write errors do).
const CODE_NAMES: Record<number, string> = {
  2: 'BadValue',
  9: 'FailedToParse',
  11: 'UserNotFound',
  13: 'Unauthorized',
  14: 'TypeMismatch',
  18: 'AuthenticationFailed',
  26: 'NamespaceNotFound',
  43: 'CursorNotFound',
  48: 'NamespaceExists',
  50: 'MaxTimeMSExpired',
  59: 'CommandNotFound',
  64: 'WriteConcernFailed',
  66: 'ImmutableField',
  91: 'ShutdownInProgress',
  100: 'UnsatisfiableWriteConcern',
  112: 'WriteConflict',
  121: 'DocumentValidationFailure',
  251: 'NoSuchTransaction',
  10107: 'NotWritablePrimary',
  11000: 'DuplicateKey',
  11600: 'InterruptedAtShutdown',
  13435: 'NotPrimaryNoSecondaryOk',
};

export interface Failure {
  /** `error.type`: the code's name when known, else the code as a string, else the driver error's name. */
  type: string;
  /** `db.response.status_code`: the server's error code, when there is one. */
  code?: string;
  /** The status description: only what the driver says (never the server's message). */
  message?: string;
}

function serverFailure(code: number, codeName: unknown): Failure {
  const name = typeof codeName === 'string' && codeName !== '' ? codeName : CODE_NAMES[code];
  return { type: name ?? String(code), code: String(code) };
}

/** The failure of a `commandFailed` event: a server error (with a code) or a driver error. */
export function failureOf(error: unknown): Failure {
  const record = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  if (typeof record.code === 'number' && Number.isInteger(record.code))
    return serverFailure(record.code, record.codeName);
  const message = typeof record.message === 'string' && record.message !== '' ? record.message : undefined;
  return message === undefined ? { type: errorName(error) } : { type: errorName(error), message };
}

function codeOf(entry: unknown): Failure | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { code, codeName } = entry as Record<string, unknown>;
  return typeof code === 'number' && Number.isInteger(code) ? serverFailure(code, codeName) : { type: '_OTHER' };
}

/** The failure a successful reply reports: its first write error, else its write concern error. */
export function replyFailure(reply: unknown): Failure | undefined {
  if (typeof reply !== 'object' || reply === null) return undefined;
  const { writeErrors, writeConcernError } = reply as Record<string, unknown>;
  if (Array.isArray(writeErrors) && writeErrors.length > 0) return codeOf(writeErrors[0]);
  return codeOf(writeConcernError);
}

/** ERROR with `error.type` and `db.response.status_code`; a span that did not fail is left UNSET. */
export function applyFailure(span: Span, failure: Failure): void {
  if (failure.code !== undefined) span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, failure.code);
  span.setAttribute(ATTR_ERROR_TYPE, failure.type);
  span.setStatus(
    failure.message === undefined
      ? { code: SpanStatusCode.ERROR }
      : { code: SpanStatusCode.ERROR, message: failure.message },
  );
}
