import {
  type Context,
  propagation,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { BaggagePropagator } from './baggage-propagator.js';
import { CompositePropagator } from './composite-propagator.js';
import { fixedFields, isStrict, markStrict } from './strict.js';
import { TraceContextPropagator } from './trace-context-propagator.js';

/** The W3C `traceparent` and `tracestate` headers. */
export function w3cTraceContextPropagator(): TextMapPropagator {
  return new TraceContextPropagator();
}

/** The W3C `baggage` header. */
export function w3cBaggagePropagator(): TextMapPropagator {
  return new BaggagePropagator();
}

/** Injects with every propagator, extracts with each in turn; the fields of all. */
export function compositePropagator(propagators: TextMapPropagator[]): TextMapPropagator {
  return new CompositePropagator(propagators);
}

/** W3C Trace Context + W3C Baggage: what Kratos falls back to when none is set. */
export function defaultPropagator(): TextMapPropagator {
  return compositePropagator([w3cTraceContextPropagator(), w3cBaggagePropagator()]);
}

/**
 * Its fields, this very array, tell the middleware that the app chose no
 * propagation (`OTEL_PROPAGATORS=none`): the global propagator is asked for
 * its fields, and an empty list otherwise means that none was registered.
 */
const NO_FIELDS: string[] = fixedFields();

/** Propagates nothing. Registered globally, it also keeps the middleware from falling back to W3C. */
export function noPropagator(): TextMapPropagator {
  const none: TextMapPropagator = {
    inject() {},
    extract: (context) => context,
    fields: () => NO_FIELDS,
  };
  markStrict(none); // nothing extracted, nothing to re-check
  return none;
}

/**
 * Uses the app's global propagator once one is registered, the default one
 * until then. It is looked up on use, not at setup, because middleware is
 * often created before the SDK starts. Never sets the global itself.
 */
class GlobalOrDefaultPropagator implements TextMapPropagator {
  private readonly fallback = defaultPropagator();
  private readonly fallbackFields = this.fallback.fields();
  private globalFields: string[] | undefined;

  private current(): TextMapPropagator {
    if (this.globalFields !== undefined) return propagation;
    // The no-op global propagator has no fields: nothing was registered.
    const fields = propagation.fields();
    if (fields.length > 0 || fields === NO_FIELDS) {
      this.globalFields = fields;
      return propagation;
    }
    return this.fallback;
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    this.current().inject(context, carrier, setter);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    return this.current().extract(context, carrier, getter);
  }

  // Asked on every request: answered without building a new array.
  fields(): string[] {
    return this.current() === this.fallback ? this.fallbackFields : (this.globalFields as string[]);
  }

  /** The default is ours; a global one is ours when its fields are the array one of ours returns. */
  strict(): boolean {
    return this.current() === this.fallback || isStrict(this.globalFields);
  }
}

/**
 * Whether `propagator` (as resolvePropagator gave it) applies the W3C rules
 * itself, so that what it extracted need not be checked again.
 */
export function appliesW3CRules(propagator: TextMapPropagator): boolean {
  return propagator instanceof GlobalOrDefaultPropagator ? propagator.strict() : isStrict(propagator);
}

/** `options.propagator`, else the global one if registered, else the default. */
export function resolvePropagator(propagator: TextMapPropagator | undefined): TextMapPropagator {
  return propagator ?? new GlobalOrDefaultPropagator();
}
