import type { TextMapPropagator } from '@opentelemetry/api';

/**
 * Our own propagators, which apply the W3C rules as they parse, and the
 * arrays their fields() return: for them the strict re-check of w3c.ts is
 * skipped, so a request's headers are parsed once. A global propagator is
 * seen only through `propagation.fields()`, which hands back the registered
 * propagator's own array: so each of ours returns the same frozen array every
 * time, and that array is known here too.
 */
const STRICT = new WeakSet<object>();

export function markStrict(propagator: TextMapPropagator): void {
  STRICT.add(propagator);
  STRICT.add(propagator.fields());
}

/** Whether a propagator, or the fields array of one, is ours and strict. */
export function isStrict(value: object | undefined): boolean {
  return value !== undefined && STRICT.has(value);
}

/** A fields array that is the same object on every call, so that it can be recognised. */
export function fixedFields(...names: string[]): string[] {
  return Object.freeze(names) as string[];
}
