import type { Span } from '@opentelemetry/api';
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

/**
 * What `responseHook` is given: the driver's own `commandSucceeded` event
 * (with `reply`) or `commandFailed` event (with `failure`), as it came.
 * Treat it as read-only.
 */
export interface MongoCommandEndEvent {
  /** The command name. */
  commandName: string;
  /** The driver's request id, the same as in the command's `commandStarted` event. */
  requestId: number;
  /** The connection the command went over. */
  connectionId?: number | string;
  /** The server, as the driver names it (`host:port`). */
  address: string;
  /** The driver's measure of the command, in milliseconds. */
  duration: number;
  /** The server's reply (`commandSucceeded`; empty for commands the driver redacts). */
  reply?: unknown;
  /** The driver's error (`commandFailed`). */
  failure?: unknown;
}

/**
 * The core options, for MongoDB commands: `spanName` gets a
 * `MongoSpanNameInfo`, `responseHook` the driver's end event; nothing is
 * propagated and no header exists, so `propagator` and `captureHeaders` do not
 * apply.
 */
export interface MongoTracingOptions
  extends Omit<
    TracingOptions<MongoCommandInfo, MongoCommandEndEvent>,
    'spanName' | 'propagator' | 'captureHeaders' | 'responseHook'
  > {
  spanName?: (info: MongoSpanNameInfo) => string;
  /** Called before the span ends, with the driver's `commandSucceeded` or `commandFailed` event. */
  responseHook?: (span: Span, event: MongoCommandEndEvent) => void;
  /**
   * Make no span for a command issued outside any trace (no active span, as
   * at start-up or in a timer of its own), like the OpenTelemetry MongoDB
   * instrumentation. Default: true.
   */
  requireParentSpan?: boolean;
  /**
   * Record `db.query.text`: the command with every value replaced by `?`,
   * at most `MAX_QUERY_TEXT` characters (never for commands the driver
   * redacts). Default: false.
   */
  queryText?: boolean;
}

/** What `traceMongoClient` returns. */
export interface MongoTracing {
  /**
   * Stops tracing the client: no span for a command that starts after it, and
   * the listeners are removed (the end listeners once the commands in flight
   * have ended, so their spans still end at their own end event).
   */
  untrace(): void;
}

/** The structural part of a MongoClient (driver 6.x or 7.x) that tracing uses. */
export interface MongoClientLike {
  // biome-ignore lint/suspicious/noExplicitAny: the driver's typed events differ between majors
  on(event: any, listener: any): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: the driver's typed events differ between majors
  removeListener(event: any, listener: any): unknown;
}

const BOOLEAN_OPTIONS = ['requireParentSpan', 'queryText'] as const;
export const EXTRA_OPTIONS: readonly string[] = BOOLEAN_OPTIONS;
const NOT_APPLICABLE = ['propagator', 'captureHeaders'] as const;

/** Checks the client and what core does not know about, in core's wording (core's Tracer checks the rest). */
export function validateMongoOptions(client: unknown, options: MongoTracingOptions | undefined): void {
  const candidate = client as Partial<MongoClientLike> | null;
  if (typeof candidate?.on !== 'function' || typeof candidate.removeListener !== 'function') {
    throw new TypeError(`tracewire: the MongoClient to trace must be an event emitter, got ${describe(client)}`);
  }
  if (typeof options !== 'object' || options === null) return;
  const record = options as Record<string, unknown>;
  for (const name of NOT_APPLICABLE) {
    if (record[name] !== undefined) {
      throw new TypeError(`tracewire: option "${name}" does not apply to MongoDB commands`);
    }
  }
  for (const name of BOOLEAN_OPTIONS) {
    const value = record[name];
    if (value !== undefined && typeof value !== 'boolean') {
      throw new TypeError(`tracewire: option "${name}" must be a boolean, got ${describe(value)}`);
    }
  }
}
