import type { EventEmitter } from 'node:events';
import type { Context } from '@opentelemetry/api';
import { context } from '@opentelemetry/api';

// Node emits a request's 'end' and a response's 'finish' and 'close' from the
// connection's async context, not the request's: without this, a listener
// there (an access logger, a body reader) sees no active span.

/** What an emitter's listeners run in; `closed` is told after the emitter's 'close' listeners ran. */
export interface ContextHolder {
  readonly ctx: Context;
  closed?(emitter: EventEmitter): void;
}

const kEmit = Symbol('tracewire.events.emit');
// The holder is a symbol property of the emitter. A WeakMap from req/res to a
// holder that refers back to them (a request's state does) is an ephemeron
// cycle: V8's young-generation GC cannot free it, so every request's objects
// were promoted and left for a full GC (a sixth of the CPU time of a traced
// Express request).
const kHolder = Symbol('tracewire.events.holder');

type BoundEmitter = EventEmitter & { [kEmit]?: EventEmitter['emit']; [kHolder]?: ContextHolder };

// One function for every emitter, reading its state from the emitter: no
// closure per request.
function emitInContext(this: BoundEmitter, event: string | symbol, ...args: unknown[]): boolean {
  const emit = this[kEmit] as EventEmitter['emit'];
  const holder = this[kHolder];
  if (holder === undefined) return emit.call(this, event, ...args);
  const ctx = holder.ctx;
  // Most events are emitted in the request's context already, or have no listener to run in it.
  const result =
    this.listenerCount(event) === 0 || context.active() === ctx
      ? emit.call(this, event, ...args)
      : context.with(ctx, emit, this, event, ...args);
  if (event === 'close' && holder.closed !== undefined) holder.closed(this);
  return result;
}

/**
 * Runs every listener of `emitter` in `holder.ctx`, whoever emits the event.
 * Meant for a request's Node `req` and `res`; calling it again moves the
 * emitter to the new holder. Listeners, return values and errors are unchanged.
 */
export function bindEvents(emitter: EventEmitter, holder: ContextHolder): void {
  const bound = emitter as BoundEmitter;
  if (bound.emit !== emitInContext) {
    bound[kEmit] = bound.emit;
    bound.emit = emitInContext;
  }
  bound[kHolder] = holder;
}

/**
 * Puts the context-aware `emit` on a prototype that a framework owns per app
 * (Express's `app.request` and `app.response`), once, so that binding one of
 * its objects then adds one property, the holder, instead of three.
 */
export function bindEventsOnPrototype(proto: object): void {
  const bound = proto as BoundEmitter;
  if (Object.hasOwn(bound, kEmit)) return;
  bound[kEmit] = bound.emit;
  bound.emit = emitInContext;
}

/** The holder `bindEvents` gave this emitter, if any. */
export function holderOf(emitter: object): ContextHolder | undefined {
  return (emitter as BoundEmitter)[kHolder];
}
