import { createNoopMeter, type Meter, type MeterProvider, metrics } from '@opentelemetry/api';
import type { OnceLogger } from './diag.js';
import type { TracingOptions } from './options.js';

// What the API's meter provider answers with until an SDK registers one: its
// no-op provider gives this meter. The API exports no NoopMeterProvider to
// compare with, so a provider is known as a no-op by the meter it gives, once.
const NOOP_METER = createNoopMeter();
let knownNoop: MeterProvider | undefined;

/**
 * The meter of an adapter: `meterProvider`, else the global one. While that
 * is the API's no-op, it is looked up again per request (one global read and
 * a compare, no call into it), since the SDK is often started after the
 * middleware is made; once a real one is there, the meter is kept.
 */
export class MeterSource {
  private current: Meter | undefined;
  private readonly explicit: MeterProvider | undefined;
  private readonly off: boolean;

  constructor(
    private readonly scope: { name: string; version: string },
    options: Pick<TracingOptions, 'meterProvider' | 'metrics'>,
  ) {
    this.explicit = options.meterProvider;
    this.off = options.metrics === false;
  }

  /** The meter to record with, or undefined when metrics are off or no provider is registered (yet). */
  meter(): Meter | undefined {
    if (this.current !== undefined || this.off) return this.current;
    const provider = this.explicit ?? metrics.getMeterProvider();
    if (provider === knownNoop) return undefined;
    const meter = provider.getMeter(this.scope.name, this.scope.version);
    if (meter === NOOP_METER) {
      knownNoop = provider;
      return undefined;
    }
    this.current = meter;
    return meter;
  }
}

/**
 * Instruments made once, by `create`, from the first meter there is; until
 * then (and when making them failed) `get()` is undefined, and the caller
 * measures nothing.
 */
export class Instruments<T> {
  private value: T | undefined;
  private failed = false;

  constructor(
    private readonly source: MeterSource,
    private readonly log: OnceLogger,
    private readonly create: (meter: Meter) => T,
  ) {}

  get(): T | undefined {
    if (this.value !== undefined || this.failed) return this.value;
    try {
      const meter = this.source.meter();
      if (meter !== undefined) this.value = this.create(meter);
    } catch (error) {
      this.failed = true;
      this.log.warn('metrics', 'making the metric instruments failed; no metrics are recorded', error);
    }
    return this.value;
  }
}

/** Now, in milliseconds, for a duration: monotonic, unlike Date.now(). */
export const now = (): number => performance.now();

/** Seconds since `start` (a `now()`), the unit of every duration metric here. */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}
