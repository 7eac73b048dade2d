import type { TextMapPropagator } from '@opentelemetry/api';
import { compositePropagator, noPropagator, w3cBaggagePropagator, w3cTraceContextPropagator } from '@tracewire/core';
import { type Env, fail, listOf, oneOf } from './env.js';
import { loadPeer } from './peers.js';

/** The `OTEL_PROPAGATORS` values we build (spec names). */
export const PROPAGATOR_NAMES = ['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger', 'none'] as const;
export type PropagatorName = (typeof PROPAGATOR_NAMES)[number];

const VARIABLE = 'OTEL_PROPAGATORS';

/** The names in `OTEL_PROPAGATORS`, once each, in order; unset means tracecontext,baggage (spec default). */
export function resolvePropagators(env: Env): PropagatorName[] {
  const names = [...new Set(listOf(env[VARIABLE]).map((name) => oneOf(name, PROPAGATOR_NAMES, VARIABLE)))];
  if (names.length === 0) return ['tracecontext', 'baggage'];
  if (names.includes('none') && names.length > 1) {
    fail(`${VARIABLE} is "${env[VARIABLE]}": "none" cannot be listed with other propagators`);
  }
  return names;
}

interface B3Module {
  B3Propagator: new (config?: { injectEncoding?: number }) => TextMapPropagator;
  B3InjectEncoding: { SINGLE_HEADER: number; MULTI_HEADER: number };
}

function build(name: PropagatorName): TextMapPropagator {
  const why = `${VARIABLE} "${name}"`;
  switch (name) {
    case 'tracecontext':
      return w3cTraceContextPropagator();
    case 'baggage':
      return w3cBaggagePropagator();
    case 'b3':
    case 'b3multi': {
      const { B3Propagator, B3InjectEncoding } = loadPeer<B3Module>('@opentelemetry/propagator-b3', why);
      const injectEncoding = name === 'b3' ? B3InjectEncoding.SINGLE_HEADER : B3InjectEncoding.MULTI_HEADER;
      return new B3Propagator({ injectEncoding });
    }
    case 'jaeger': {
      const { JaegerPropagator } = loadPeer<{ JaegerPropagator: new () => TextMapPropagator }>(
        '@opentelemetry/propagator-jaeger',
        why,
      );
      return new JaegerPropagator();
    }
    case 'none':
      return noPropagator();
  }
}

/** One propagator for the names: W3C ones are core's strict ones, B3 and Jaeger the OTel packages'. */
export function buildPropagator(names: PropagatorName[]): TextMapPropagator {
  const propagators = names.map(build);
  return propagators.length === 1 ? propagators[0]! : compositePropagator(propagators);
}
