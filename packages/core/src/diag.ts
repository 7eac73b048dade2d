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

  /**
   * A hook that returned a promise: nothing awaits it, and its rejection
   * would be unhandled, which by Node's default ends the process. Reports
   * the rejection instead.
   */
  rejection(key: string, message: string, result: unknown): void {
    try {
      if (typeof (result as PromiseLike<unknown> | null)?.then !== 'function') return;
      Promise.resolve(result).catch((error: unknown) => this.warn(key, message, error));
    } catch (error) {
      this.warn(key, message, error);
    }
  }
}
