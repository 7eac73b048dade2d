import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';

/**
 * Several propagators as one: each injects its headers, each extracts in
 * turn from what the one before returned, and the fields are the union.
 * Nothing is caught here: Tracer catches a propagator that throws.
 */
export class CompositePropagator implements TextMapPropagator {
  private readonly all: string[];

  constructor(private readonly propagators: readonly TextMapPropagator[]) {
    this.all = [...new Set(propagators.flatMap((propagator) => propagator.fields()))];
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
    return [...this.all];
  }
}
