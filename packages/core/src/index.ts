// The names of the other adapters' metrics, from the conventions package core depends on.
export {
  METRIC_DB_CLIENT_OPERATION_DURATION,
  METRIC_RPC_CLIENT_CALL_DURATION,
  METRIC_RPC_SERVER_CALL_DURATION,
} from '@opentelemetry/semantic-conventions';
export * from './attributes.js';
export { BAGGAGE_MAX_BYTES, BAGGAGE_MAX_MEMBERS, isValidBaggage } from './baggage.js';
export * from './carriers.js';
export { OnceLogger } from './diag.js';
export { bindEvents, bindEventsOnPrototype, type ContextHolder } from './events.js';
export {
  durationHistogram,
  HTTP_DURATION_BUCKETS,
  HttpClientMetrics,
  HttpServerMetrics,
  metricMethod,
  type ServerOutcome,
} from './http-metrics.js';
export { type TraceIds, traceIds } from './ids.js';
export { Instruments, MeterSource, now, secondsSince } from './metrics.js';
export { describe, type SpanNameInfo, type TracingOptions, validateOptions } from './options.js';
export {
  compositePropagator,
  defaultPropagator,
  noPropagator,
  resolvePropagator,
  w3cBaggagePropagator,
  w3cTraceContextPropagator,
} from './propagator.js';
export { isRecording } from './recording.js';
export {
  ERROR_TYPE_ABORTED,
  HttpServerTracing,
  isTraced,
  pathOf,
  type ServerAdapter,
  type ServerRequest,
  serverRequestOf,
} from './server.js';
export { clientFailed, errorClassName, errorName, errorTypeOf, serverFailed } from './status.js';
export { isTracingSuppressed, suppressTracing } from './suppress.js';
export { type InstrumentationScope, type SpanKindName, type StartedSpan, Tracer } from './tracer.js';
export { isValidTraceState, TRACESTATE_MAX_MEMBERS } from './tracestate.js';
export { portOf, redactUrl } from './url.js';
export { VERSION } from './version.js';
