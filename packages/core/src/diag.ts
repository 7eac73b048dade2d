import { diag } from '@opentelemetry/api';

/**
 * Reports a failure of user-supplied or tracing code once per key, so that a
 * broken hook called on every request does not flood the log.
 */
export class OnceLogger {
  private readonly seen = new Set<string>();

  constructor(private readonly prefix: string) {}

  warn(key: string, message: string, error?: unknown): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    diag.warn(`${this.prefix}: ${message}`, error);
  }
}
