export type { FetchRequestInfo, FetchTracingOptions } from './options.js';
export { type FetchFunction, traceFetch } from './trace-fetch.js';
export { VERSION } from './version.js';
