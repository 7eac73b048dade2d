import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { fixedFields, isStrict, markStrict } from './strict.js';

/**
 * Several propagators as one: each injects its headers, each extracts in
 * turn from what the one before returned, and the fields are the union
 * (one array, the same on every call). Made only of strict ones, it is strict.
 * Nothing is caught here: Tracer catches a propagator that throws.
 */
export class CompositePropagator implements TextMapPropagator {
  private readonly all: string[];

  constructor(private readonly propagators: readonly TextMapPropagator[]) {
    this.all = fixedFields(...new Set(propagators.flatMap((propagator) => propagator.fields())));
    if (propagators.every((propagator) => isStrict(propagator))) markStrict(this);
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    for (const propagator of this.propagators) propagator.inject(context, carrier, setter);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let extracted = context;
    for (const propagator of this.propagators) extracted = propagator.extract(extracted, carrier, getter);
    return extracted;
  }

  fields(): string[] {
    return this.all;
  }
}
