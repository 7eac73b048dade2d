export type { SpanNameInfo, TracingOptions } from '@tracewire/core';
export {
  type NextFunction,
  type TracingErrorMiddleware,
  type TracingMiddleware,
  tracing,
  tracingErrors,
} from './middleware.js';
export { VERSION } from './version.js';
