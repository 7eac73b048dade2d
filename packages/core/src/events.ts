import type { EventEmitter } from 'node:events';
import { type Context, context } from '@opentelemetry/api';

// Node emits a request's 'end' and a response's 'finish' and 'close' from the
// connection's async context, not the request's: without this, a listener
// there (an access logger, a body reader) sees no active span.

const kContext = Symbol('tracewire.events.context');
const kEmit = Symbol('tracewire.events.emit');

type BoundEmitter = EventEmitter & { [kContext]?: Context; [kEmit]?: EventEmitter['emit'] };

// One function for every emitter, reading its context from the emitter: no closure per request.
function emitInContext(this: BoundEmitter, event: string | symbol, ...args: unknown[]): boolean {
  const ctx = this[kContext] as Context;
  const emit = this[kEmit] as EventEmitter['emit'];
  if (context.active() === ctx) return emit.call(this, event, ...args);
  return context.with(ctx, emit, this, event, ...args);
}

/**
 * Runs every listener of `emitter` in `ctx`, whoever emits the event. Meant
 * for a request's Node `req` and `res`; calling it again moves the emitter to
 * the new context. Listeners, return values and errors are unchanged.
 */
export function bindEvents(emitter: EventEmitter, ctx: Context): void {
  const bound = emitter as BoundEmitter;
  if (bound[kContext] === undefined) {
    bound[kEmit] = bound.emit;
    bound.emit = emitInContext;
  }
  bound[kContext] = ctx;
}
