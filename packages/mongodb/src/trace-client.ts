import { type Attributes, type Context, context, isSpanContextValid, type Span, trace } from '@opentelemetry/api';
import {
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  isRecording,
  now,
  type SpanNameInfo,
  Tracer,
  type TracingOptions,
} from '@tracewire/core';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  COMPONENT_MONGODB,
  DB_SYSTEM_MONGODB,
} from './attributes.js';
import { collectionOf, isRedacted, sanitizedQuery, serverOf } from './command.js';
import { CommandMetrics } from './metrics.js';
import {
  EXTRA_OPTIONS,
  type MongoClientLike,
  type MongoCommandEndEvent,
  type MongoCommandInfo,
  type MongoSpanNameInfo,
  type MongoTracing,
  type MongoTracingOptions,
  validateMongoOptions,
} from './options.js';
import { applyFailure, type Failure, failureOf, replyFailure } from './status.js';
import { SCOPE } from './version.js';

/**
 * At most this many commands of one client are traced at once. The driver
 * runs one command per pooled connection (`maxPoolSize`, 100 by default, per
 * server), so only many servers, a very large pool or end events that never
 * came reach it. A command started beyond it gets no span (it still runs),
 * and this is reported once.
 */
export const MAX_IN_FLIGHT = 1024;

/** The parts of the driver's command monitoring events that tracing reads. */
interface CommandEvent {
  requestId: number;
  connectionId?: number | string;
  address: string;
}
interface StartedEvent extends CommandEvent {
  commandName: string;
  databaseName: string;
  command: Record<string, unknown>;
}
interface SucceededEvent extends CommandEvent {
  reply?: Record<string, unknown>;
}
interface FailedEvent extends CommandEvent {
  failure: unknown;
}

interface InFlight {
  ctx: Context;
  /** Undefined for a command measured but not traced (no parent, `requireParentSpan`). */
  span: Span | undefined;
  /** When metrics are on: the command's metric attributes, and the `now()` it started at. */
  measure: Attributes | undefined;
  start: number;
}

type CommandTracer = Tracer<MongoCommandInfo, MongoCommandEndEvent>;

const CLOSED: Failure = { type: '_OTHER', message: 'the client closed before the command ended' };
const LOST: Failure = {
  type: '_OTHER',
  message: 'a later command had the same request id on the same connection: its end event never came',
};

/** A command's end event is matched to its start by the server, the connection and the request id. */
const keyOf = (event: CommandEvent): string => `${event.address} ${event.connectionId} ${event.requestId}`;

/** Whether `ctx` holds a span of a trace: a request's span, or a remote parent. */
function hasParent(ctx: Context): boolean {
  const parent = trace.getSpan(ctx);
  return parent !== undefined && isSpanContextValid(parent.spanContext());
}

// A client is traced once: a second set of listeners would make every span twice.
const traced = new WeakSet<object>();

// Module-level, so that an end event allocates no closure.
const failureOfReply = (event: SucceededEvent) => replyFailure(event.reply);
const failureOfFailed = (event: FailedEvent) => failureOf(event.failure);

/**
 * Traces a MongoClient (driver 6.4 and later, 6.x or 7.x) through its own
 * command monitoring: one CLIENT span per command, from `commandStarted` to
 * `commandSucceeded` or `commandFailed`, child of the context active where
 * the command was issued. Call it before `client.connect()`, or create the
 * client with `monitorCommands: true`. Returns a handle whose `untrace()`
 * stops tracing and removes the listeners.
 */
export function traceMongoClient(client: MongoClientLike, options?: MongoTracingOptions): MongoTracing {
  validateMongoOptions(client, options);
  if (traced.has(client)) {
    throw new Error(
      'tracewire: this MongoClient is traced already; call untrace() on the handle traceMongoClient returned first',
    );
  }
  const tracer: CommandTracer = new Tracer(
    'client',
    SCOPE,
    options as TracingOptions<MongoCommandInfo, MongoCommandEndEvent>,
    EXTRA_OPTIONS,
  );
  const metrics = new CommandMetrics(tracer as Tracer<never, never>);
  enableMonitoring(client);
  const withText = options?.queryText === true;
  const requireParent = options?.requireParentSpan !== false;
  const wantsInfo = options?.ignore !== undefined || options?.requestHook !== undefined;
  const withResponseHook = options?.responseHook !== undefined;
  const inFlight = new Map<string, InFlight>();
  let stopped = false;

  function end(entry: InFlight, failure: Failure | undefined, event: MongoCommandEndEvent | undefined): void {
    const { ctx, span, measure } = entry;
    if (measure !== undefined) metrics.end(ctx, measure, entry.start, failure);
    if (span === undefined) return;
    if (isRecording(span, tracer)) {
      if (event !== undefined) tracer.responseHook(span, event);
      if (failure !== undefined) {
        try {
          applyFailure(span, failure);
        } catch (error) {
          tracer.log.warn('status', 'recording the command status failed', error);
        }
      }
    }
    // No error and no HTTP status: core ends the span and adds nothing of its own.
    tracer.end(ctx, span);
  }

  function take(key: string): InFlight | undefined {
    const entry = inFlight.get(key);
    if (entry !== undefined) inFlight.delete(key);
    if (stopped && inFlight.size === 0) detach();
    return entry;
  }

  const onStarted = (event: StartedEvent): void => {
    if (stopped) return;
    try {
      const measured = metrics.on;
      if (!measured && tracer.recordsNothing()) return;
      const parent = context.active();
      // requireParentSpan is about spans: a command outside any trace is still measured.
      const traces = !requireParent || hasParent(parent);
      if (!traces && !measured) return;
      if (inFlight.size >= MAX_IN_FLIGHT) {
        tracer.log.warn(
          'in flight',
          `more than ${MAX_IN_FLIGHT} commands of one client in flight; commands beyond that get no span`,
        );
        return;
      }
      const operation = event.commandName;
      const database = event.databaseName;
      const command = event.command ?? {};
      const collection = collectionOf(operation, command);
      const info: MongoCommandInfo | undefined = wantsInfo
        ? { kind: 'client', operation, database, collection, command, address: event.address }
        : undefined;
      if (info !== undefined && tracer.ignores(info)) return;
      const start = measured ? now() : 0;
      const server = typeof event.address === 'string' ? serverOf(event.address) : undefined;
      const measure = measured ? metrics.begin(database, collection, operation, server) : undefined;
      const key = keyOf(event);
      const started = traces ? startSpan(parent, info, operation, database, collection, command, server) : undefined;
      const entry: InFlight = { ctx: started?.ctx ?? parent, span: started?.span, measure, start };
      // A request id the driver used again on that connection (it wraps around): the older command is long gone.
      const previous = inFlight.get(key);
      if (previous !== undefined) end(previous, LOST, undefined);
      inFlight.set(key, entry);
    } catch (error) {
      tracer.log.warn('commandStarted', 'tracing a started command failed; the command goes on untraced', error);
    }
  };

  /** The command's span, named and with its attributes, as the span contract says. */
  function startSpan(
    parent: Context,
    info: MongoCommandInfo | undefined,
    operation: string,
    database: string,
    collection: string | undefined,
    command: Record<string, unknown>,
    server: { address: string; port?: number } | undefined,
  ): { ctx: Context; span: Span } {
    let name = `${operation} ${collection ?? database}`;
    if (tracer.renames) {
      const nameInfo: MongoSpanNameInfo = { kind: 'client', operation, database, collection };
      name = tracer.name(nameInfo as unknown as SpanNameInfo, name);
    }
    const attributes: Attributes = {
      [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_MONGODB,
      [ATTR_DB_NAMESPACE]: database,
      [ATTR_DB_OPERATION_NAME]: operation,
    };
    if (collection !== undefined) attributes[ATTR_DB_COLLECTION_NAME] = collection;
    if (server !== undefined) {
      attributes[ATTR_SERVER_ADDRESS] = server.address;
      if (server.port !== undefined) attributes[ATTR_SERVER_PORT] = server.port;
    }
    if (withText && !isRedacted(operation, command)) {
      attributes[ATTR_DB_QUERY_TEXT] = sanitizedQuery(operation, collection, command);
    }
    const started = tracer.start(parent, COMPONENT_MONGODB, name, undefined, undefined, attributes);
    if (info !== undefined && isRecording(started.span, tracer)) tracer.requestHook(started.span, info);
    return started;
  }

  /** A command's end event: the span ends once, with the failure the event shows, if any. */
  function settle<E extends CommandEvent>(event: E, failureIn: (event: E) => Failure | undefined): void {
    // Nothing in flight (no SDK, no parent): no key to build.
    if (inFlight.size === 0) return;
    try {
      const entry = take(keyOf(event));
      if (entry === undefined) return;
      end(entry, failureIn(event), withResponseHook ? (event as unknown as MongoCommandEndEvent) : undefined);
    } catch (error) {
      tracer.log.warn('end event', 'ending the span of a command failed', error);
    }
  }
  const onSucceeded = (event: SucceededEvent): void => settle(event, failureOfReply);
  const onFailed = (event: FailedEvent): void => settle(event, failureOfFailed);

  // On close the driver fails the commands it still had; those of them left
  // after that turn never get an end event, and end here. A command started
  // after the close (the client connected again) is not one of them.
  const onClosed = (): void => {
    try {
      if (inFlight.size === 0) return;
      const open = [...inFlight.keys()];
      setImmediate(() => {
        try {
          for (const key of open) {
            const entry = take(key);
            if (entry !== undefined) end(entry, CLOSED, undefined);
          }
        } catch (error) {
          tracer.log.warn('topologyClosed', 'ending the spans of unfinished commands failed', error);
        }
      });
    } catch (error) {
      tracer.log.warn('topologyClosed', 'ending the spans of unfinished commands failed', error);
    }
  };

  const ends: [string, (event: never) => void][] = [
    ['commandSucceeded', onSucceeded],
    ['commandFailed', onFailed],
    ['topologyClosed', onClosed],
  ];
  let attached = true;
  function detach(): void {
    if (!attached) return;
    attached = false;
    for (const [event, listener] of ends) client.removeListener(event, listener);
    traced.delete(client);
  }

  client.on('commandStarted', onStarted);
  for (const [event, listener] of ends) client.on(event, listener);
  traced.add(client);

  return {
    untrace(): void {
      if (stopped) return;
      stopped = true;
      client.removeListener('commandStarted', onStarted);
      if (inFlight.size === 0) detach();
    },
  };
}

/**
 * The driver emits command events only when `monitorCommands` is on, and a
 * connection reads it when it is opened: set it on a client that has not
 * connected yet; refuse a connected client that was created without it.
 */
function enableMonitoring(client: MongoClientLike): void {
  const record = client as unknown as {
    monitorCommands?: unknown;
    options?: { monitorCommands?: unknown };
    topology?: unknown;
  };
  if (record.monitorCommands === true || record.options?.monitorCommands === true) return;
  if (record.topology !== undefined && record.topology !== null) {
    throw new TypeError(
      'tracewire: this MongoClient is connected already and was created without { monitorCommands: true }, ' +
        'so the driver reports none of its commands and it cannot be traced; ' +
        'call traceMongoClient before client.connect(), or create the client with { monitorCommands: true }',
    );
  }
  record.monitorCommands = true;
}
