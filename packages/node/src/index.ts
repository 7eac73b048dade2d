export type { ExporterName, OtlpProtocol, PropagatorName, SetupOptions } from './options.js';
export { setupTracing, type Tracing } from './setup.js';
export { VERSION } from './version.js';
