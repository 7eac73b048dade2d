import { type Attributes, type Context, context, type Span } from '@opentelemetry/api';
import {
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  isRecording,
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
import { collectionOf, isRedacted, queryText, serverOf } from './command.js';
import {
  EXTRA_OPTIONS,
  type MongoClientLike,
  type MongoCommandInfo,
  type MongoCommandOutcome,
  type MongoSpanNameInfo,
  type MongoTracingOptions,
  validateMongoOptions,
} from './options.js';
import { applyFailure, type Failure, failureOf, replyFailure } from './status.js';
import { SCOPE } from './version.js';

/**
 * At most this many commands of one client are tracked at once. The driver
 * runs one command per pooled connection (`maxPoolSize`, 100 by default, per
 * server), so only commands whose end event was lost can fill it; the oldest
 * is then ended, marked as such, to make room.
 */
export const MAX_IN_FLIGHT = 1024;

/** The parts of the driver's command monitoring events that tracing reads. */
interface StartedEvent {
  requestId: number;
  commandName: string;
  databaseName: string;
  command: Record<string, unknown>;
  address: string;
}
interface SucceededEvent {
  requestId: number;
  reply?: Record<string, unknown>;
  duration?: number;
}
interface FailedEvent {
  requestId: number;
  failure: unknown;
  duration?: number;
}

interface InFlight {
  ctx: Context;
  span: Span;
}

type CommandTracer = Tracer<MongoCommandInfo, MongoCommandOutcome>;

const CLOSED: Failure = { type: '_OTHER', message: 'the client closed before the command ended' };
const EVICTED: Failure = {
  type: '_OTHER',
  message: `more than ${MAX_IN_FLIGHT} commands in flight: ended before its outcome was known`,
};

const succeededFailure = (event: SucceededEvent) => replyFailure(event.reply);
const succeededOutcome = (event: SucceededEvent): MongoCommandOutcome => ({
  reply: event.reply,
  durationMs: event.duration,
});
const failedFailure = (event: FailedEvent) => failureOf(event.failure);
const failedOutcome = (event: FailedEvent): MongoCommandOutcome => ({
  failure: event.failure,
  durationMs: event.duration,
});

// A client is traced once: a second set of listeners would make every span twice.
const traced = new WeakSet<object>();

/**
 * Traces a MongoClient (driver 6.x or 7.x) through its own command monitoring:
 * one CLIENT span per command, from `commandStarted` to `commandSucceeded` or
 * `commandFailed`, child of the context active where the command was issued.
 * Call it before `client.connect()`, or create the client with
 * `monitorCommands: true`. Returns `untrace()`, which stops tracing new
 * commands; the ones in flight still end at their own end event.
 */
export function traceMongoClient(client: MongoClientLike, options?: MongoTracingOptions): () => void {
  validateMongoOptions(client, options);
  if (traced.has(client)) {
    throw new Error(
      'tracewire: this MongoClient is traced already; call the untrace() that traceMongoClient returned first',
    );
  }
  enableMonitoring(client);
  const tracer: CommandTracer = new Tracer(
    'client',
    SCOPE,
    options as TracingOptions<MongoCommandInfo, MongoCommandOutcome>,
    EXTRA_OPTIONS,
  );
  const withText = options?.dbQueryText === true;
  const wantsInfo = options?.ignore !== undefined || options?.requestHook !== undefined;
  const withResponseHook = options?.responseHook !== undefined;
  const inFlight = new Map<number, InFlight>();
  let stopped = false;

  function end(entry: InFlight, failure: Failure | undefined, outcome: MongoCommandOutcome | undefined): void {
    const { ctx, span } = entry;
    if (isRecording(span, tracer)) {
      if (outcome !== undefined) tracer.responseHook(span, outcome);
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

  function take(requestId: number): InFlight | undefined {
    const entry = inFlight.get(requestId);
    if (entry !== undefined) inFlight.delete(requestId);
    if (stopped && inFlight.size === 0) detach();
    return entry;
  }

  const onStarted = (event: StartedEvent): void => {
    if (stopped) return;
    try {
      if (tracer.recordsNothing()) return;
      const operation = event.commandName;
      const database = event.databaseName;
      const command = event.command ?? {};
      const collection = collectionOf(operation, command);
      const info: MongoCommandInfo | undefined = wantsInfo
        ? { kind: 'client', operation, database, collection, command, address: event.address }
        : undefined;
      if (info !== undefined && tracer.ignores(info)) return;
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
      if (typeof event.address === 'string') {
        const server = serverOf(event.address);
        attributes[ATTR_SERVER_ADDRESS] = server.address;
        if (server.port !== undefined) attributes[ATTR_SERVER_PORT] = server.port;
      }
      if (withText && !isRedacted(operation, command)) {
        attributes[ATTR_DB_QUERY_TEXT] = queryText(operation, collection, command);
      }
      const started = tracer.start(context.active(), COMPONENT_MONGODB, name, undefined, undefined, attributes);
      if (info !== undefined && isRecording(started.span, tracer)) tracer.requestHook(started.span, info);
      if (inFlight.size >= MAX_IN_FLIGHT) {
        const [oldest, entry] = inFlight.entries().next().value as [number, InFlight];
        inFlight.delete(oldest);
        tracer.log.warn('in flight', `more than ${MAX_IN_FLIGHT} commands in flight; the oldest is ended unfinished`);
        end(entry, EVICTED, undefined);
      }
      // A request id the driver used again (it wraps around): the older command is long gone.
      const previous = inFlight.get(event.requestId);
      if (previous !== undefined) end(previous, EVICTED, undefined);
      inFlight.set(event.requestId, started);
    } catch (error) {
      tracer.log.warn('commandStarted', 'tracing a started command failed; the command goes on untraced', error);
    }
  };

  /** A command's end event: the span ends once, with the failure the event shows, if any. */
  function settle<E extends { requestId: number }>(
    event: E,
    failureIn: (event: E) => Failure | undefined,
    outcome: (event: E) => MongoCommandOutcome,
  ): void {
    try {
      const entry = take(event.requestId);
      if (entry !== undefined) end(entry, failureIn(event), withResponseHook ? outcome(event) : undefined);
    } catch (error) {
      tracer.log.warn('end event', 'ending the span of a command failed', error);
    }
  }
  const onSucceeded = (event: SucceededEvent): void => settle(event, succeededFailure, succeededOutcome);
  const onFailed = (event: FailedEvent): void => settle(event, failedFailure, failedOutcome);

  // On close the driver fails the commands it still had; those of them left
  // after that turn never get an end event. A command started after the close
  // (the client connected again) is not one of them.
  const onClosed = (): void => {
    if (inFlight.size === 0) return;
    const open = [...inFlight.keys()];
    setImmediate(() => {
      try {
        for (const requestId of open) {
          const entry = take(requestId);
          if (entry !== undefined) end(entry, CLOSED, undefined);
        }
      } catch (error) {
        tracer.log.warn('topologyClosed', 'ending the spans of unfinished commands failed', error);
      }
    });
  };

  const listeners: [string, (event: never) => void][] = [
    ['commandStarted', onStarted],
    ['commandSucceeded', onSucceeded],
    ['commandFailed', onFailed],
    ['topologyClosed', onClosed],
  ];
  let attached = true;
  function detach(): void {
    if (!attached) return;
    attached = false;
    for (const [event, listener] of listeners) client.removeListener(event, listener);
    traced.delete(client);
  }

  for (const [event, listener] of listeners) client.on(event, listener);
  traced.add(client);

  return function untrace(): void {
    if (stopped) return;
    stopped = true;
    if (inFlight.size === 0) detach();
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
      'tracewire: this MongoClient is connected already and was created without { monitorCommands: true }; ' +
        'call traceMongoClient before client.connect(), or create the client with monitorCommands: true',
    );
  }
  record.monitorCommands = true;
}
