export { type KoaTracingOptions, tracing } from './middleware.js';
export { VERSION } from './version.js';
