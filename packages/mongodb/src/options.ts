import type { TracingOptions } from '@tracewire/core';
import { describe } from '@tracewire/core';

/** What `spanName` is given to name a command's span. */
export interface MongoSpanNameInfo {
  kind: 'client';
  /** The command name (`find`, `insert`, `getMore`, `ping`): `db.operation.name`. */
  operation: string;
  /** The database the command runs on: `db.namespace`. */
  database: string;
  /** The collection, for commands on a collection: `db.collection.name`. */
  collection?: string;
}

/** What `ignore` and `requestHook` are given: the command as the driver reported it. Treat it as read-only. */
export interface MongoCommandInfo extends MongoSpanNameInfo {
  /** The command document from the driver's `commandStarted` event (empty for commands the driver redacts). */
  command: Record<string, unknown>;
  /** The server it was sent to, as the driver names it (`host:port`). */
  address: string;
}

/** What `responseHook` is given: how the command ended. */
export interface MongoCommandOutcome {
  /** The server's reply (`commandSucceeded`), when it succeeded. */
  reply?: Record<string, unknown>;
  /** The driver's error (`commandFailed`), when it failed. */
  failure?: unknown;
  /** The driver's measure of the command, in milliseconds. */
  durationMs?: number;
}

/**
 * The core options, for MongoDB commands: `spanName` gets a
 * `MongoSpanNameInfo`; nothing is propagated and no header exists, so
 * `propagator` and `captureHeaders` do not apply.
 */
export interface MongoTracingOptions
  extends Omit<TracingOptions<MongoCommandInfo, MongoCommandOutcome>, 'spanName' | 'propagator' | 'captureHeaders'> {
  spanName?: (info: MongoSpanNameInfo) => string;
  /**
   * Record `db.query.text`: the command's shape with every value replaced by
   * `?` (never for commands the driver redacts). Default: false.
   */
  dbQueryText?: boolean;
}

/** The structural part of a MongoClient (driver 6.x or 7.x) that tracing uses. */
export interface MongoClientLike {
  // biome-ignore lint/suspicious/noExplicitAny: the driver's typed events differ between majors
  on(event: any, listener: any): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: the driver's typed events differ between majors
  removeListener(event: any, listener: any): unknown;
}

export const EXTRA_OPTIONS = ['dbQueryText'] as const;
const NOT_APPLICABLE = ['propagator', 'captureHeaders'] as const;

/** Checks the client and what core does not know about, in core's wording (core's Tracer checks the rest). */
export function validateMongoOptions(client: unknown, options: MongoTracingOptions | undefined): void {
  const candidate = client as Partial<MongoClientLike> | null;
  if (typeof candidate?.on !== 'function' || typeof candidate.removeListener !== 'function') {
    throw new TypeError(`tracewire: the MongoClient to trace must be an event emitter, got ${describe(client)}`);
  }
  if (typeof options !== 'object' || options === null) return;
  for (const name of NOT_APPLICABLE) {
    if ((options as Record<string, unknown>)[name] !== undefined) {
      throw new TypeError(`tracewire: option "${name}" does not apply to MongoDB commands`);
    }
  }
  const { dbQueryText } = options;
  if (dbQueryText !== undefined && typeof dbQueryText !== 'boolean') {
    throw new TypeError(`tracewire: option "dbQueryText" must be a boolean, got ${describe(dbQueryText)}`);
  }
}
